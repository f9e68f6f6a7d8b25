"""Money amounts: rules checked on real sentences of the corpus, then measured against the gold.

Sentences come from the gold evidence (``shared/gold/dev.jsonl``, which keeps the plain-text
copy's ``\\$`` and superscript footnote digits) and from the truth text of the report
(``shared/corpus/truth/neighborhood``). Superscripts are stripped before extraction, as the
reading stage removes footnote markers; the backslashes are kept because the extractor must
tolerate them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.document import Table
from pipeline.nlp.amounts import AmountMention, amounts_from_table, find_amounts, table_unit

SUPERSCRIPTS = str.maketrans("", "", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def strip_markers(text: str) -> str:
    """Drop superscript footnote digits, as the reading stage does."""
    return text.translate(SUPERSCRIPTS)


def found(text: str, **kwargs: str) -> list[tuple[float, str, str]]:
    return [(a.value, a.currency, a.qualifier) for a in find_amounts(strip_markers(text), **kwargs)]


# --------------------------------------------------------------------------- hard cases


def test_of_which_gives_two_amounts_with_their_own_qualifiers() -> None:
    text = (
        "Although there are disagreements about total spending, according to the U.S. government "
        "between 2008 and 2010 the *Mérida Initiative* totaled some \\$2.4 billion of which \\$1.7 "
        "billion was invested in military and policing assistance.⁷⁰"
    )
    assert found(text) == [(2.4e9, "USD", "approx"), (1.7e9, "USD", "exact")]


def test_space_after_dollar_and_percentages_in_brackets() -> None:
    text = (
        "Of this amount, some \\$ 366 million was allocated to Bolivia (7 per cent), \\$ 3.9 billion to "
        "Colombia (76 per cent), \\$233 million to Ecuador (5 per cent), \\$659 million for Peru ((13 per "
        "cent) and \\$ 7 million to Venezuela (less than 1 per cent)."
    )
    assert found(text) == [
        (366e6, "USD", "approx"),
        (3.9e9, "USD", "exact"),
        (233e6, "USD", "exact"),
        (659e6, "USD", "exact"),
        (7e6, "USD", "exact"),
    ]


def test_from_to_with_two_complete_amounts_stays_two_amounts() -> None:
    text = (
        "Assistance has grown steadily in material terms from some USD 500,000 in 2010 "
        "to more than USD 2 million in 2013."
    )
    mentions = find_amounts(text)
    assert [(a.value, a.currency, a.qualifier, a.high) for a in mentions] == [
        (500_000, "USD", "approx", None),
        (2e6, "USD", "more_than", None),
    ]
    assert mentions[1].text == "more than USD 2 million"
    assert mentions[0].text == "some USD 500,000"


def test_us_dollar_prefix_with_and_without_space() -> None:
    text = (
        "The plan initially amounted to \\$ 7.5 billion, of which US\\$ 3.5 billion was to be provided by "
        "the “international community” and US\\$ 4 billion from the Colombian state."
    )
    assert found(text) == [(7.5e9, "USD", "exact"), (3.5e9, "USD", "exact"), (4e9, "USD", "exact")]
    assert found("a loan of US$1.6 billion") == [(1.6e9, "USD", "exact")]


def test_amount_over_a_period_is_a_total_not_a_rate() -> None:
    [mention] = find_amounts("The package was worth $1.4 billion over three years.")
    assert (mention.value, mention.rate, mention.text) == (1.4e9, None, "$1.4 billion")


def test_stray_backslash_is_tolerated_and_kept_in_the_span() -> None:
    text = (
        "Between 1980 and 2008 anti-drug assistance to Latin America amounted to more than \\$10 billion "
        "and has remain steady"
    )
    [mention] = find_amounts(text)
    assert (mention.value, mention.currency, mention.qualifier) == (10e9, "USD", "more_than")
    assert mention.text == "more than \\$10 billion"
    assert text[mention.start : mention.end] == mention.text


# --------------------------------------------------------------------------- qualifiers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # approx: some, roughly, about, almost, approximately
        (
            "Between 2008 and 2012 the United States Congress mandated some $35 million through the INCLE",
            "approx",
        ),
        (
            "In Central America alone roughly $2 billion was committed to the theme over the past decade.",
            "approx",
        ),
        ("total Chinese trade with Latin American grew to about $240 billion in 2011.", "approx"),
        (
            "United States spending on Plan Colombia amounted to almost \\$9 billion between 2000-2012",
            "approx",
        ),
        ("If all of Latin America is included, the figure rises to approximately $6 billion.", "approx"),
        # more_than: more than, over, at least, exceeded
        ("It has also authorized more than $17 million to anti-trafficking measures", "more_than"),
        ("More than $496 million has been spent since its inception", "more_than"),
        ("support between 2009 and 2012 with investments of over $280 million.", "more_than"),
        ("the United States Congress channeled at least $5 billion dollars toward", "more_than"),
        ("Chinese trade to Latin America and the Caribbean in 2012 exceeded $140 billion", "more_than"),
        ("investments upwards of $3 million", "more_than"),
        ("in excess of $3 million", "more_than"),
        # less_than: less than, under, up to, below
        ("grants of less than $50,000 each", "less_than"),
        ("projects under $1 million", "less_than"),
        ("loans of up to $20 million", "less_than"),
        # none
        ("Since providing an initial $57 million loan to Colombia in 1998, the agency", "exact"),
        ("projections take it to $574 million in 2013 (see Figure 8).", "exact"),
    ],
)
def test_qualifiers(text: str, expected: str) -> None:
    [mention] = find_amounts(text)
    assert mention.qualifier == expected


def test_qualifier_nearest_the_amount_wins() -> None:
    text = "just one United Nations program averaged some $20 million a year until budget cuts in 2011"
    [mention] = find_amounts(text)
    assert (mention.qualifier, mention.text) == ("approx", "some $20 million")


# --------------------------------------------------------------------------- ranges and rates


def test_dash_range_shares_its_scale() -> None:
    [mention] = find_amounts("a program of $5-10 million")
    assert (mention.value, mention.high, mention.scale) == (5e6, 10e6, 1e6)


def test_between_range() -> None:
    [mention] = find_amounts("annual budgets of between $1 and $2 billion")
    assert (mention.value, mention.high, mention.text) == (1e9, 2e9, "between $1 and $2 billion")


def test_to_range_when_only_the_second_number_has_a_scale() -> None:
    [mention] = find_amounts("grants of $5 to $10 million")
    assert (mention.value, mention.high) == (5e6, 10e6)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            "International expenditures amount for roughly 8 per cent, or \\$ 2 billion per year, of federal",
            2e9,
        ),
        (
            "the International Commission against Impunity in Guatemala (CICIG), "
            "averaged some $20 million a year",
            20e6,
        ),
        ("The United States federal government spends roughly $ 25 billion each year on drug control", 25e9),
        ("The fund disburses EUR 3 million annually.", 3e6),
    ],
)
def test_rates(text: str, value: float) -> None:
    [mention] = find_amounts(text)
    assert (mention.value, mention.rate) == (value, "year")


def test_a_year_later_is_not_a_rate() -> None:
    [mention] = find_amounts("It received $5 million a year later.")
    assert mention.rate is None


# --------------------------------------------------------------------------- currencies and scales


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("C$ 20 million", 20e6, "CAD"),
        ("CAD 20 million", 20e6, "CAD"),
        ("20 million Canadian dollars", 20e6, "CAD"),
        ("$20 million Canadian dollars", 20e6, "CAD"),
        ("A$ 5 million", 5e6, "AUD"),
        ("€3m", 3e6, "EUR"),
        ("EUR 5 million", 5e6, "EUR"),
        ("12 million euros", 12e6, "EUR"),
        ("R$ 10 bilhões", 10e9, "BRL"),
        ("200 million reais", 200e6, "BRL"),
        ("£4.5bn", 4.5e9, "GBP"),
        ("5 million Colombian pesos", 5e6, "COP"),
        ("2,000 Mexican pesos", 2000, "MXN"),
        ("US$ 1.500 millones", 1.5e9, "USD"),
        ("US$ 2 mil millones", 2e9, "USD"),
        ("$500k", 500e3, "USD"),
        ("$2 trillion", 2e12, "USD"),
        ("two million dollars", 2e6, "USD"),
        ("500,000 US dollars", 500e3, "USD"),
        ("2 million USD", 2e6, "USD"),
    ],
)
def test_currencies_and_scales(text: str, value: float, currency: str) -> None:
    [mention] = find_amounts(text)
    assert (mention.value, mention.currency) == (pytest.approx(value), currency)


def test_space_grouped_thousands_and_trailing_symbols() -> None:
    # French-style price tiers from the municipal report in corpus/layouts
    assert found("$$ 50 000 $ à 100 000 $") == [(50_000, "USD", "exact"), (100_000, "USD", "exact")]
    assert found("un budget de 1 500 000 € en 2012") == [(1.5e6, "EUR", "exact")]
    assert found("R$ 1 500 000") == [(1.5e6, "BRL", "exact")]
    # without a currency next to it, "2010 500" is a year and a count, never one number
    assert found("in 2010 500 officers were trained with $5 million") == [(5e6, "USD", "exact")]


def test_a_code_on_the_next_line_is_not_a_currency() -> None:
    # an election bulletin (corpus/layouts): "DEM 64" then the candidate "RON NEHRING"
    assert find_amounts("GAVIN NEWSOM DEM 64\nRON NEHRING REP 247") == []


def test_bare_pesos_take_the_country_hint_or_are_skipped() -> None:
    text = "The municipality invested 3 million pesos in street lighting."
    assert find_amounts(text) == []  # undecidable: never guessed
    assert found(text, country="Colombia") == [(3e6, "COP", "exact")]
    assert found(text, country="MX") == [(3e6, "MXN", "exact")]
    assert found(text, country="Brazil") == []  # Brazil has no peso


def test_dollar_sign_is_usd_even_with_a_country_hint() -> None:
    assert found("a \\$57 million loan to Colombia", country="Colombia") == [(57e6, "USD", "exact")]


def test_acronym_that_is_a_currency_code_needs_a_real_amount() -> None:
    assert find_amounts("agreed at COP 15 in Copenhagen") == []
    assert found("a grant of COP 15 million") == [(15e6, "COP", "exact")]


def test_bare_scaled_number_borrows_the_currency_of_its_sentence() -> None:
    # footnote 37 and 38 of the report
    text = (
        "Bilateral assistance to multilaterals accounted for $ 13.4 billion while philanthropic "
        "initiatives were $52.6 billion and innovative finance mechanisms totaled 4 billion."
    )
    assert [v for v, _, _ in found(text)] == [13.4e9, 52.6e9, 4e9]
    text = (
        "The total OECD DAC contributions of development assistance averaged roughly $7 billion between "
        "2008-2010 (and 10.8 billion in 2010), with the United States, Spain, Germany"
    )
    assert found(text) == [(7e9, "USD", "approx"), (10.8e9, "USD", "exact")]


# --------------------------------------------------------------------------- not money


@pytest.mark.parametrize(
    "text",
    [
        "To put its aid in perspective, roughly 80 per cent of all United States political and military",
        "In total, more than 14,377 police have been trained from 50 countries and by 673 Colombian",
        "Accounting for citizen security interventions in Latin America: 1998-2012 (n=1,304)",
        "in Suriname, 3 million .50-cal rounds, 20,000 WWII-vintage rounds, and 20,000 small-arms munitions",
        "the International Development Research Centre (IDRC) and others have spent hundreds of millions of"
        " dollars",
        "Figure 6. US international cooperation for Plan Colombia (\\$ million): 2000-2012",
        "ACI/ACP/INCLE\t892\t48\t378\t580\t474\t463\t465\t465\t245\t230\t244\t204\t161",
        "The TVPA was reauthorized through FY2011 in the William Wilberforce Act of 2008 (P.L. 110-457).",
        "the centralization of the country's 2,800 police forces, and demand reduction efforts.",
    ],
)
def test_not_money(text: str) -> None:
    assert find_amounts(text) == []


def test_spans_are_offsets_into_the_given_text() -> None:
    text = "Chinese trade in 2012 exceeded $140 billion followed by India and Russia ($15 billion each)"
    for mention in find_amounts(text):
        assert isinstance(mention, AmountMention)
        assert text[mention.start : mention.end] == mention.text
    assert [m.text for m in find_amounts(text)] == ["exceeded $140 billion", "$15 billion"]


# --------------------------------------------------------------------------- tables


def _table(caption: str | None, header: list[str], rows: list[list[str]], **kw: object) -> Table:
    return Table(page=1, bbox=(0, 0, 0, 0), caption=caption, header=header, rows=rows, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def truth_tables(shared_dir: Path) -> dict[str, Table]:
    path = shared_dir / "corpus/truth/neighborhood/tables.json"
    return {
        t["id"]: _table(t["caption"], t["header"], t["rows"], header_rows=t["header_rows"], note=t["note"])
        for t in json.loads(path.read_text(encoding="utf-8"))
    }


def test_table_unit_from_caption(truth_tables: dict[str, Table]) -> None:
    assert table_unit(truth_tables["figure6"]) == ("USD", 1e6)  # "($ million)"
    assert table_unit(truth_tables["figure8"]) == ("USD", 1e6)  # "in $ millions"
    assert table_unit(_table("Table 2. Grants by donor (US$ thousands)", [], [])) == ("USD", 1e3)
    assert table_unit(_table("Table 3. Loans (EUR million)", [], [])) == ("EUR", 1e6)


def test_plan_colombia_table(truth_tables: dict[str, Table]) -> None:
    amounts = amounts_from_table(truth_tables["figure6"])
    assert len(amounts) == 4 * 13
    first = amounts[0]
    assert (first.row_label, first.column, first.year, first.value, first.currency) == (
        "ACI/ACP/INCLE",
        "2000",
        2000,
        892e6,
        "USD",
    )
    flagged = [a for a in amounts if a.flag]
    assert [(a.text, a.value, a.flag, a.year) for a in flagged] == [
        ("557*", 557e6, "*", 2011),
        ("489*", 489e6, "*", 2012),
    ]


def test_carsi_table_request_and_total_columns(truth_tables: dict[str, Table]) -> None:
    amounts = amounts_from_table(truth_tables["figure8"])
    by_cell = {(a.row_label, a.column): a for a in amounts}
    assert by_cell[("ESF", "2013 Request")].year == 2013
    assert by_cell[("ESF", "2013 Request")].value == pytest.approx(47.5e6)
    assert by_cell[("Total", "TOTAL")].year is None
    assert by_cell[("Total", "TOTAL")].value == 574e6
    assert ("NADR", "2009") not in by_cell  # "---" holds no amount
    assert len(amounts) == 27


def test_zero_cells_are_not_amounts_unless_asked(truth_tables: dict[str, Table]) -> None:
    merida = truth_tables["figure7"]
    assert [a.value for a in amounts_from_table(merida) if a.row_label == "Bridge"] == [48e6]
    assert len([a for a in amounts_from_table(merida, keep_zero=True) if a.row_label == "Bridge"]) == 5


def test_table_empty_cells_fiscal_headers_and_no_currency() -> None:
    table = _table(
        "Table 4. INCLE funding for Mexico ($ thousands)",
        ["Account", "FY2010", "FY 2011", "Share (%)"],
        [["INCLE", "1,304", "n/a", "12"], ["ESF", "-", "250.5†", "3"], ["Total", "", "---", "15"]],
    )
    amounts = amounts_from_table(table)
    assert [(a.value, a.year, a.fiscal, a.flag) for a in amounts] == [
        (1_304_000, 2010, True, None),
        (250_500, 2011, True, "†"),
    ]
    counts = _table(
        "Table 5. Police trained by country", ["", "2011", "2012"], [["Mexico", "3,000", "4,000"]]
    )
    assert amounts_from_table(counts) == []  # no currency anywhere: counts, not money
    assert [a.value for a in amounts_from_table(counts, currency="USD")] == [3000, 4000]


# --------------------------------------------------------------------------- measurement against the gold


def gold_records(shared_dir: Path) -> list[dict]:
    """One rendering's records (both documents carry the same 143)."""
    lines = (shared_dir / "gold/dev.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    first_doc = records[0]["doc"]
    return [r for r in records if r["doc"] == first_doc]


def load_tables(shared_dir: Path) -> list[Table]:
    data = json.loads((shared_dir / "corpus/truth/neighborhood/tables.json").read_text(encoding="utf-8"))
    return [
        _table(t["caption"], t["header"], t["rows"], header_rows=t["header_rows"], note=t["note"])
        for t in data
    ]


def table_row(evidence: str, tables: list[Table]) -> tuple[Table, int] | None:
    """The truth table and row a tab-separated evidence line copies, if any."""
    cells = evidence.split("\t")
    for table in tables:
        for i, row in enumerate(table.rows):
            if row == cells:
                return table, i
    return None


def match_amounts(pred: list[tuple[float, str]], gold: list[tuple[float, str]]) -> tuple[int, int, int]:
    """One-to-one matching as the scorer does it: same currency, value within 0.5 %."""
    left = list(gold)
    tp = 0
    for value, currency in pred:
        for i, (gv, gc) in enumerate(left):
            if gc == currency and abs(value - gv) <= 0.005 * max(abs(gv), 1.0):
                tp += 1
                left.pop(i)
                break
    return tp, len(pred) - tp, len(left)


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def test_amounts_f1_on_gold_evidence(shared_dir: Path) -> None:
    """Per record: predicted = the union of amounts found in its evidence sentences.

    Text amounts are a set per record (the same "$10 billion" restated in two sentences is one
    amount, as the gold codes it); table cells stay one amount each (465 in 2006 and 465 in 2007
    are two). Table-row evidence is read with :func:`amounts_from_table` on the truth table the
    row comes from, since a row alone does not carry its unit.
    """
    tables = load_tables(shared_dir)
    tp = fp = fn = 0
    misses = []
    for record in gold_records(shared_dir):
        text_amounts: set[tuple[float, str]] = set()
        cell_amounts: list[tuple[float, str]] = []
        for evidence in record["evidence"]:
            evidence = strip_markers(evidence)
            located = table_row(evidence, tables) if "\t" in evidence else None
            if located:
                table, row = located
                cell_amounts += [(a.value, a.currency) for a in amounts_from_table(table) if a.row == row]
            else:
                text_amounts |= {(a.value, a.currency) for a in find_amounts(evidence)}
        gold = [(float(a["value"]), a["currency"]) for a in record["amounts"]]
        counts = match_amounts([*sorted(text_amounts), *cell_amounts], gold)
        if counts[1] or counts[2]:
            misses.append((record["id"], counts))
        tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
    score = f1(tp, fp, fn)
    print(f"amounts F1={score:.3f} tp={tp} fp={fp} fn={fn} misses={misses}")
    assert score >= 0.97, misses
