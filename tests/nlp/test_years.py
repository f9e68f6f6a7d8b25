"""Years: rules checked on real sentences of the corpus, then measured against the gold.

Sentences come from the gold evidence and the report's truth text (see test_amounts for the
conventions); superscript footnote digits are stripped before extraction.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.document import Table
from pipeline.nlp.amounts import amounts_from_table
from pipeline.nlp.years import YearMention, find_years, mentioned_years

SUPERSCRIPTS = str.maketrans("", "", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def strip_markers(text: str) -> str:
    return text.translate(SUPERSCRIPTS)


def spans(text: str) -> list[tuple[str, int | None, int | None, str]]:
    return [(y.text, y.first, y.last, y.precision) for y in find_years(strip_markers(text))]


# --------------------------------------------------------------------------- single years


def test_single_years() -> None:
    text = (
        "MERCOSUR members also agreed to a *Joint Firearms Registration Mechanism* in 1998, though it has "
        "yet to be operationalized¹¹⁴, and only reluctantly established a working group to move ahead "
        "with CIFTA."
    )
    assert spans(text) == [("1998", 1998, 1998, "year")]
    text = "In 2003 and 2004, the General Assembly adopted two resolutions on the issue"
    assert spans(text) == [("2003", 2003, 2003, "year"), ("2004", 2004, 2004, "year")]
    text = (
        "Following the events of September 11 2001, the United States also financed enhanced border security"
    )
    assert spans(text) == [("2001", 2001, 2001, "year")]
    text = "Another major development occurred in mid-2013 with the presentation of a much anticipated report"
    assert spans(text) == [("2013", 2013, 2013, "year")]


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("text", "span", "first", "last"),
    [
        (
            "Between 1980 and 2008 anti-drug assistance to Latin America amounted to",
            "Between 1980 and 2008",
            1980,
            2008,
        ),
        ("originally intended to last from 2008 to 2010.", "from 2008 to 2010", 2008, 2010),
        ("The 2005-2012 *European Union Drug Strategy*, for example", "2005-2012", 2005, 2012),
        ("Figure 8. CARSI budget in $ millions (2008–2012)", "2008–2012", 2008, 2012),
        ("amounted to almost \\$9 billion between 2000-2012 (of which", "between 2000-2012", 2000, 2012),
        ("13,680 small arms and 5,772 unstable munitions were destroyed in 2006-07", "2006-07", 2006, 2007),
        ("in Nicaragua, 1,011 rockets were destroyed in 2004-06, and in Suriname", "2004-06", 2004, 2006),
        (
            "The Colombian government supported more than 60 cooperation activities in 2010-2012",
            "2010-2012",
            2010,
            2012,
        ),
        ("budget requests for 2012-13", "2012-13", 2012, 2013),
        ("a programme running in 2000-01", "2000-01", 2000, 2001),
        ("between June 2008 and May 2010", "between June 2008 and May 2010", 2008, 2010),
    ],
)
def test_ranges(text: str, span: str, first: int, last: int) -> None:
    assert spans(text) == [(span, first, last, "range")]


# --------------------------------------------------------------------------- open ranges


@pytest.mark.parametrize(
    ("text", "span", "first", "last", "precision"),
    [
        (
            "the country has trained more than 10,000 police in forensics since 2009⁴³",
            "since 2009",
            2009,
            None,
            "open_start",
        ),
        (
            "Since 2000, the program was the primary means of cooperation",
            "Since 2000",
            2000,
            None,
            "open_start",
        ),
        (
            "a wider strategy of Plan Colombia was elaborated from 1999 onward.",
            "from 1999 onward",
            1999,
            None,
            "open_start",
        ),
        ("and Nicaragua from late 2003 onwards.", "from late 2003 onwards", 2003, None, "open_start"),
        ("from 2009, the agency expanded", "from 2009", 2009, None, "open_start"),
        ("By 2007, an inter-agency committee developed a US *Strategy*", "By 2007", None, 2007, "open_end"),
        (
            "Before 2008, the ACP was known as the Andean Counterdrug Initiative, or ACI.",
            "Before 2008",
            None,
            2008,
            "open_end",
        ),
        (
            "By early 2004, El Salvador, Guatemala, Honduras and Nicaragua agreed",
            "By early 2004",
            None,
            2004,
            "open_end",
        ),
        ("the program was funded until 2010", "until 2010", None, 2010, "open_end"),
    ],
)
def test_open_ranges(text: str, span: str, first: int | None, last: int | None, precision: str) -> None:
    assert spans(text) == [(span, first, last, precision)]


# --------------------------------------------------------------------------- fiscal years and decades


def test_fiscal_years() -> None:
    text = "The TVPA was reauthorized through FY2011 in the William Wilberforce Act of 2008 (P.L. 110-457)."
    [fy, act] = find_years(text)
    assert (fy.text, fy.first, fy.last, fy.precision, fy.fiscal) == (
        "through FY2011",
        None,
        2011,
        "open_end",
        True,
    )
    assert (act.text, act.first, act.precision, act.fiscal) == ("2008", 2008, "year", False)
    assert spans("the FY 2011 request") == [("FY 2011", 2011, 2011, "fiscal_year")]
    assert spans("appropriations for FY2012-FY2013") == [("FY2012-FY2013", 2012, 2013, "fiscal_range")]
    assert spans("the fiscal year 2010 budget") == [("fiscal year 2010", 2010, 2010, "fiscal_year")]
    assert all(y.fiscal for y in find_years("FY2012-13 and fiscal years 2010-2012"))


@pytest.mark.parametrize(
    ("text", "span", "first"),
    [
        (
            "which have financed citizen security initiatives through grants and loans since the late 1990s.",
            "the late 1990s",
            1990,
        ),
        ("of the Mexican armed forces in the 1990s.", "the 1990s", 1990),
        ("“community” security frameworks developed in the mid-1990s and invests", "the mid-1990s", 1990),
        ("approximately half the total aid up to the early 2000s", "the early 2000s", 2000),
    ],
)
def test_decades(text: str, span: str, first: int) -> None:
    assert spans(text) == [(span, first, first + 9, "decade")]


# --------------------------------------------------------------------------- not years


@pytest.mark.parametrize(
    "text",
    [
        "ISSN 2359-098X",
        "Igarapé Institute\nRua Conde de Irajá, 370\nRio de Janeiro, RJ\nBrazil - 22271-020",
        "Accounting for citizen security interventions in Latin America (n=1,304)",
        "the centralization of the country's 2,800 police forces",
        "a budget of $2008 million",
        "the sum of 2,008 dollars",
        "see p. 2010 of the annex; sample n=2010",
        "call +1 (202) 2011-4567",
        "the academy trained 2000 police last year",
        "Passed by a vote of 154 to 3",
    ],
)
def test_not_years(text: str) -> None:
    assert find_years(text) == []


def test_acronym_before_a_year_does_not_make_it_money() -> None:
    assert spans("the OAS 2008 resolution") == [("2008", 2008, 2008, "year")]


def test_years_inside_urls_are_not_mentions() -> None:
    text = (
        "See for example the collaboration between SICA and Inter-Peace since 2009 at "
        "<http://www.interpeace.org/2011-08-08-15-19-20/latest-news/2009/75-sica-signs-mou-with-interpeace>"
    )
    assert spans(text) == [("since 2009", 2009, None, "open_start")]


def test_a_year_before_count_words_after_in_is_still_a_year() -> None:
    assert spans("in 2012 police forces were merged") == [("2012", 2012, 2012, "year")]


# --------------------------------------------------------------------------- citations


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ('According to Brownfield (2012) "Since 2009, the Colombian National Police (CNP)', [2012]),
        ("the illicit drug market was conceived as a threat to national security (Nixon 1971).", [1971]),
        ("which committed states to the promotion of social capital formation (see Estévez 2001).", [2001]),
        ("See Deusch (1957) and Adler and Barnett (1998) for more on “security communities”.", [1957, 1998]),
        (
            "consult also IADB (2012, 2011), Chaux (2012), World Bank (2011), Chiado et al (2011)",
            [2012, 2011, 2012, 2011, 2011],
        ),
        ("See United States CRS (2013, 6).", [2013]),
        ("See UNDP (2011b) and http://www.abc.gov.br/", [2011]),
        ("Internet World Stats, <http://www.internetworldstats.com> (accessed April 19, 2012).", [2012]),
        ("(Walsh 2012; Smith et al. 2010)", [2012, 2010]),
    ],
)
def test_citation_years_are_flagged(text: str, cited: list[int]) -> None:
    years = find_years(text)
    assert [y.first for y in years if y.citation] == cited


@pytest.mark.parametrize(
    "text",
    [
        "Colombia has also co-hosted training in kidnapping and terrorism with France (2011), Spain (2011), "
        "United Kingdom (2012)",
        "As one example, an OAS (2008) resolution commits member states to a multi-sector strategy",
        "Additional treaties such as the International Convention for the Suppression of the Financing of "
        "Terrorism (1999)",
        "Citizen security interventions rising: 1998-2012 (n=1,304)",
        "flagship security cooperation versus all other citizen security interventions (1998-2012)*",
    ],
)
def test_dates_in_brackets_are_not_citations(text: str) -> None:
    years = find_years(text)
    assert years
    assert not any(y.citation for y in years)


# --------------------------------------------------------------------------- mentioned years


def test_mentioned_years_mirror_the_gold_coding() -> None:
    text = (
        "Since 2001, the United States assisted at least four Latin American states. In El Salvador, the "
        "United States assisted authorities destroy 30,000 small arms in 2003, in Honduras, 13,680 small "
        "arms "
        "were destroyed in 2006-07, in Nicaragua, 1,011 rockets were destroyed in 2004-06, since the 1990s. "
        "See Stohl and Tuttle (2006)."
    )
    assert mentioned_years(find_years(text)) == [2001, 2003, 2004, 2006, 2007]
    assert mentioned_years(find_years("Between 1980 and 2008 anti-drug assistance")) == [1980, 2008]
    assert mentioned_years(find_years("in the late 1990s"), decades=True) == [1990, 1999]


def test_spans_are_offsets_into_the_given_text() -> None:
    text = "Launched in 2008, CARSI was expanded in 2010 (see Figure 8) and by 2013 spent FY2012-13 funds."
    for year in find_years(text):
        assert isinstance(year, YearMention)
        assert text[year.start : year.end] == year.text


# --------------------------------------------------------------------------- measurement against the gold


def _gold_records(shared_dir: Path) -> list[dict]:
    lines = (shared_dir / "gold/dev.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return [r for r in records if r["doc"] == records[0]["doc"]]  # both renderings carry the same records


def _tables(shared_dir: Path) -> list[Table]:
    data = json.loads((shared_dir / "corpus/truth/neighborhood/tables.json").read_text(encoding="utf-8"))
    return [
        Table(1, (0, 0, 0, 0), t["caption"], t["header"], t["rows"], header_rows=t["header_rows"])
        for t in data
    ]


def _row_years(evidence: str, tables: list[Table]) -> set[int] | None:
    """Years of the cells of a table row quoted as evidence (the header says which year each is)."""
    cells = evidence.split("\t")
    for table in tables:
        for i, row in enumerate(table.rows):
            if row == cells:
                return {a.year for a in amounts_from_table(table) if a.row == i and a.year is not None}
    return None


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def test_mentioned_years_f1_on_gold_evidence(shared_dir: Path) -> None:
    """Per record: predicted = years :func:`find_years` covers in its evidence (citations out),
    compared as sets with the gold ``years.mentioned``.

    Two figures. Text only: the years written in the evidence sentences. With tables: a table
    row quoted as evidence also contributes the years of its columns (read from the table header
    by :func:`amounts_from_table`), as the gold codes the Plan Colombia, Mérida and CARSI
    records. The remaining false positives are attribution calls, not reading errors: one
    sentence tells of several interventions and the gold gives each only its own year (records
    024/025, 067-069, 052/053, 029/030) or leaves out a year of a related event (118).
    """
    tables = _tables(shared_dir)
    text_counts = [0, 0, 0]
    table_counts = [0, 0, 0]
    for record in _gold_records(shared_dir):
        text_years: set[int] = set()
        cell_years: set[int] = set()
        for evidence in record["evidence"]:
            evidence = strip_markers(evidence)
            row = _row_years(evidence, tables) if "\t" in evidence else None
            if row is not None:
                cell_years |= row
            else:
                text_years |= set(mentioned_years(find_years(evidence)))
        gold = set(record["years"]["mentioned"])
        for counts, pred in ((text_counts, text_years), (table_counts, text_years | cell_years)):
            counts[0] += len(pred & gold)
            counts[1] += len(pred - gold)
            counts[2] += len(gold - pred)
    text_f1, table_f1 = _f1(*text_counts), _f1(*table_counts)
    print(
        f"years mentioned F1: text only {text_f1:.3f} {text_counts}; "
        f"with table columns {table_f1:.3f} {table_counts}"
    )
    assert table_f1 >= 0.95
    assert text_f1 >= 0.90
