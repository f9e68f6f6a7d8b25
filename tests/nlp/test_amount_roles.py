"""Amount roles, stages, US-dollar values and the one total a record can be added up by.

Checked on the seed's three tables (``shared/corpus/truth/neighborhood/tables.json``: Plan
Colombia, Mérida, CARSI) and on the sentences the gold gives for those programs
(``shared/gold/dev.jsonl``): the figures each test expects are read off those inputs, not typed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.document import Table
from pipeline.nlp.amount_roles import ROLES, RoledAmount, describe_amounts, total_usd
from pipeline.nlp.amounts import amounts_from_table, find_amounts

SUPERSCRIPTS = str.maketrans("", "", "⁰¹²³⁴⁵⁶⁷⁸⁹")
RATES = Path(__file__).resolve().parents[2] / "pipeline" / "nlp" / "data" / "usd_rates.json"


@pytest.fixture(scope="module")
def tables(shared_dir: Path) -> dict[str, Table]:
    path = shared_dir / "corpus/truth/neighborhood/tables.json"
    return {
        t["id"]: Table(1, (0, 0, 0, 0), t["caption"], t["header"], t["rows"], t["header_rows"], t["note"])
        for t in json.loads(path.read_text(encoding="utf-8"))
    }


@pytest.fixture(scope="module")
def gold_sentences(shared_dir: Path) -> list[str]:
    lines = (shared_dir / "gold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    return [
        e.translate(SUPERSCRIPTS) for r in records if r["doc"] == "neighborhood-2col" for e in r["evidence"]
    ]


def sentence(sentences: list[str], words: str) -> str:
    return next(s for s in sentences if words in s)


def printed(cell: str) -> float:
    """A table cell as printed ("557*", "281.8") in US dollars (the tables are in $ million)."""
    return float(cell.rstrip("*")) * 1e6


def roled(table: Table, *sentences: str) -> list[RoledAmount]:
    return describe_amounts(
        [(s, find_amounts(s)) for s in sentences], [(0, table, amounts_from_table(table))]
    )


def top(amounts: list[RoledAmount], n: int) -> int:
    """The amount ``n`` finally adds into, following part_of."""
    while amounts[n].part_of is not None:
        n = amounts[n].part_of  # type: ignore[assignment]
    return n


def test_carsi_cells_add_into_the_grand_total_and_a_request_is_not_counted(tables: dict[str, Table]) -> None:
    table = tables["figure8"]
    amounts = roled(table)
    total_row = next(r for r in table.rows if r[0] == "Total")
    grand = [n for n, a in enumerate(amounts) if a.role == "total"]
    assert [amounts[n].value for n in grand] == [printed(total_row[-1])]  # 574, the table's own total
    assert all(top(amounts, n) == grand[0] for n in range(len(amounts)))  # every cell reaches it
    assert all(a.role == "cell" and a.row and a.column for n, a in enumerate(amounts) if n not in grand)
    assert {a.role for a in amounts} <= set(ROLES)
    flat = sum(a.value for a in amounts)
    assert flat > 3 * amounts[grand[0]].value  # cells, row totals and totals side by side
    request = table.header.index("2013 Request")
    assert {a.stage for a in amounts if a.column == "2013 Request"} == {"requested"}
    given = sum(printed(c) for c in total_row[1:request])  # the per-year totals before the request
    assert total_usd(amounts) == pytest.approx(given)


def test_carsi_money_spent_beats_a_projection(tables: dict[str, Table], gold_sentences: list[str]) -> None:
    text = sentence(gold_sentences, "has been spent since its inception")
    amounts = roled(tables["figure8"], text)
    spent, projected = amounts[0], amounts[1]
    assert (spent.role, spent.stage, projected.stage) == ("total", "disbursed", "estimated")
    assert total_usd(amounts) == spent.value


def test_plan_colombia_cells_are_parts_of_their_years_total(tables: dict[str, Table]) -> None:
    table = tables["figure6"]
    amounts = roled(table)
    totals = {a.column: n for n, a in enumerate(amounts) if a.row == "Total"}
    assert all(amounts[n].part_of is None for n in totals.values())  # no grand total printed
    body = [a for a in amounts if a.row != "Total"]
    assert body and all(a.part_of == totals[a.column] for a in body)
    assert total_usd(amounts) == pytest.approx(sum(printed(c) for c in table.rows[-1][1:]))


def test_merida_request_row_makes_its_years_total_a_request(tables: dict[str, Table]) -> None:
    table = tables["figure7"]
    amounts = roled(table)
    total_row = next(r for r in table.rows if r[0] == "Total")
    requested = next(r for r in table.rows if r[0] == "Requested")
    requested_years = [year for year, v in zip(table.header[1:], requested[1:], strict=True) if v != "0"]
    totals = {a.column: a for a in amounts if a.row == "Total"}
    assert all(totals[year].stage == "requested" for year in requested_years)
    asked = sum(printed(total_row[table.header.index(y)]) for y in requested_years)
    assert total_usd(amounts) == pytest.approx(sum(printed(c) for c in total_row[1:]) - asked)


def test_parts_stated_in_text(gold_sentences: list[str]) -> None:
    plan = sentence(gold_sentences, "initially amounted to")
    whole, abroad, home = describe_amounts([(plan, find_amounts(plan))], [])
    assert (whole.role, abroad.role, abroad.part_of, home.role, home.part_of) == (
        "total",
        "part",
        0,
        "part",
        0,
    )
    assert total_usd([whole, abroad, home]) == whole.value
    # "Of this amount, …" makes every amount of the sentence a part of the total stated before it
    channeled = sentence(gold_sentences, "Congress channeled at least")
    shares = sentence(gold_sentences, "Of this amount")
    amounts = describe_amounts([(channeled, find_amounts(channeled)), (shares, find_amounts(shares))], [])
    assert amounts[0].role == "total" and len(amounts) == 1 + len(find_amounts(shares))
    assert all(a.role == "part" and a.part_of == 0 for a in amounts[1:])
    assert total_usd(amounts) == amounts[0].value < sum(a.value for a in amounts)


def test_rates_and_stages() -> None:
    text = "The United States federal government spends roughly $ 25 billion each year on drug control."
    (rate,) = describe_amounts([(text, find_amounts(text))], [])
    assert rate.role == "rate" and total_usd([rate]) is None
    text = "Congress appropriated $90 million in 2010; the administration requested $100 million for 2011."
    given, asked = describe_amounts([(text, find_amounts(text))], [])
    assert (given.stage, asked.stage) == ("appropriated", "requested")
    assert total_usd([given, asked]) == given.value  # a request beside money given is not added
    assert total_usd([asked]) == asked.value  # a request alone is what the record states


def test_usd_values_come_from_the_rate_table_at_the_amount_year() -> None:
    rates = json.loads(RATES.read_text(encoding="utf-8"))["currencies"]
    assert all(
        entry["source"] and entry["quote"] in ("usd_per_unit", "units_per_usd") for entry in rates.values()
    )
    text = "The European Union gave €5 million in 2012 to the police of Honduras."
    (euro,) = describe_amounts([(text, find_amounts(text))], [], start_year=2008)
    assert (euro.value, euro.currency) == (5e6, "EUR")  # the original is kept
    assert euro.usd == pytest.approx(5e6 * rates["EUR"]["rates"]["2012"])  # the sentence's year, not 2008
    text = "Canada gave C$ 2 million to the police of Honduras."
    (cad,) = describe_amounts([(text, find_amounts(text))], [], start_year=2010)
    assert cad.usd == pytest.approx(2e6 / rates["CAD"]["rates"]["2010"])  # quoted as CAD per USD
    (unknown,) = describe_amounts([(text, find_amounts(text))], [], start_year=1950)
    assert unknown.usd is None and total_usd([unknown]) is None  # never guessed


def test_total_of_amounts_without_roles_is_their_largest(gold_sentences: list[str]) -> None:
    plan = sentence(gold_sentences, "initially amounted to")
    plain: list[dict[str, Any]] = [
        {"value": m.value, "currency": m.currency, "text": m.text, "qualifier": m.qualifier}
        for m in find_amounts(plan)
    ]
    assert total_usd(plain) == max(a["value"] for a in plain)
    assert total_usd([{"value": 5e6, "currency": "EUR", "text": "€5 million", "qualifier": "exact"}]) is None


def _stated(text: str) -> list[tuple[str, str | None]]:
    return [(a.text, a.stage) for a in describe_amounts([(text, find_amounts(text))], [])]


def test_the_value_of_what_was_seized_is_a_result_not_money_given() -> None:
    seized = (
        "Since 2021, more than $11 billion in illegal drugs and $472 million in illegal assets were "
        "seized through support from the Departments of Justice and State."
    )
    assert _stated(seized) == []  # the first amount shares the predicate of the second
    assert _stated("Police executed 19 search warrants, seized over $200,000, and arrested ten people.") == []
    # money given for work on seized assets is money given: its own cue is nearer
    assert _stated("The OAS provided $2 million for training in seized asset management.") == [
        ("$2 million", "disbursed")
    ]


def test_amounts_joined_by_and_share_their_stage() -> None:
    assert _stated("$5 million and $3 million were requested for the program.") == [
        ("$5 million", "requested"),
        ("$3 million", "requested"),
    ]
    assert _stated("Congress appropriated $5 million and $3 million in 2012 and 2013.") == [
        ("$5 million", "appropriated"),
        ("$3 million", "appropriated"),
    ]
