"""Tables listing interventions one per row, in a small made-up report, mined end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.document import Table as ReadTable
from pipeline.records.rows import column_roles

INVENTORY = [
    ["Donor", "Project", "Country", "Amount (US$ million)", "Years"],
    ["USAID", "Community Policing Project", "Honduras", "12.5", "2010-2014"],
    ["European Union", "Justice Sector Support Programme", "Guatemala", "20.0", "2012-2016"],
    ["Total", "", "", "32.5", ""],
]
BUDGET = [["Account", "2010", "2011"], ["Police training", "4.0", "5.5"], ["Equipment", "2.0", "1.0"]]


def _report(path: Path) -> Path:
    styles = getSampleStyleSheet()
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
    flow = [
        Paragraph("Donor Projects for Citizen Security in Central America", styles["Title"]),
        Paragraph("Donors have funded many security projects in the region since 2010.", styles["BodyText"]),
        Spacer(1, 12),
        Paragraph("Table 1. Donor projects on citizen security, 2010-2016", styles["BodyText"]),
        Table(INVENTORY, style=grid),
        Spacer(1, 12),
        Paragraph("Table 2. Police budget of Honduras (US$ million)", styles["BodyText"]),
        Table(BUDGET, style=grid),
    ]
    SimpleDocTemplate(str(path), pagesize=letter).build(flow)
    return path


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    folder = tmp_path_factory.mktemp("rows")
    pdf = _report(folder / "donors.pdf")
    result = CliRunner().invoke(
        app, ["run", str(pdf), "--out", str(folder / "out"), "--db", str(folder / "inv.sqlite")]
    )
    assert result.exit_code == 0, result.output
    lines = (folder / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_each_row_of_an_inventory_table_is_a_record_with_its_columns_roles(mined: list[dict]) -> None:
    by_name = {r["name"]: r for r in mined if r["name"]}
    policing = by_name["Community Policing Project"]
    assert "USAID" in policing["funders"] and policing["recipients"] == ["Honduras"]
    assert [(a["value"], a["currency"]) for a in policing["amounts"]] == [(12_500_000.0, "USD")]
    assert (policing["years"]["start"], policing["years"]["end"]) == (2010, 2014)
    assert policing["evidence"][0].startswith("Donor: USAID; Project: Community Policing Project")
    justice = by_name["Justice Sector Support Programme"]
    assert justice["funders"] == ["European Union"] and justice["recipients"] == ["Guatemala"]
    # the total row, the budget table and the title make no record
    assert not any("Total" in r["evidence"][0] or "Account" in r["evidence"][0] for r in mined)
    assert not any(r["evidence"][0].startswith("Donor Projects for") for r in mined)


def test_only_a_header_naming_who_provides_and_what_or_where_lists_interventions() -> None:
    def table(header: list[str]) -> ReadTable:
        return ReadTable(page=1, bbox=(0, 0, 1, 1), caption=None, header=header, rows=[])

    assert column_roles(table(["Donor", "Project", "Amount"])) == {0: "funder", 1: "program"}
    assert column_roles(table(["Implementing partner", "Funded by", "Country"])) == {
        0: "implementer",
        1: "funder",
        2: "recipient",
    }
    assert column_roles(table(["Account", "2010", "2011"])) == {}
    assert column_roles(table(["Donor", "2010", "2011"])) == {}  # who, but not what or where
