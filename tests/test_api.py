"""The notebook API, the files an inventory exports (typed Parquet read by pandas and DuckDB, an
Excel workbook, CSV for any locale, IATI XML valid against the IATI schema) and inventory
hygiene (the default inventory, missing inputs, removing a document).

Everything runs on one small corpus mined once: ``csminer.mine`` loads the models in this
process and the CLI run that follows reuses them (its workers are forked from it).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import csminer
from pipeline.cli import app
from pipeline.codebook import CLASSES, meaning
from pipeline.export import read_records

from .pdfs import TEXTS, make_corpus, make_pdf

runner = CliRunner()
IATI = Path(__file__).resolve().parents[2] / "shared" / "iati"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus(folder)
    make_pdf(  # a cell that starts like a formula must stay text in every export
        folder / "formula.pdf",
        [
            "=HYPERLINK(1) The World Bank financed a $20 million program in Honduras in 2012 to prevent"
            " youth violence in schools."
        ],
    )
    return folder


@pytest.fixture(scope="module")
def mined(corpus: Path) -> list[csminer.Record]:
    return csminer.mine(corpus)


@pytest.fixture(scope="module")
def run_dir(corpus: Path, mined: list[csminer.Record], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    result = runner.invoke(
        app,
        [
            "run",
            str(corpus),
            str(corpus / "missing.pdf"),
            "--out",
            str(out),
            "--workers",
            "1",
            "--csv-sep",
            ";",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def export(run_dir: Path, fmt: str, name: str, *options: str) -> Path:
    out = run_dir / name
    result = runner.invoke(
        app,
        ["export", "--db", str(run_dir / "inventory.sqlite"), "--format", fmt, "--out", str(out), *options],
    )
    assert result.exit_code == 0, result.output
    return out


# --- the API -----------------------------------------------------------------------------------


def test_mine_gives_the_records_of_a_run(mined: list[csminer.Record], run_dir: Path) -> None:
    assert mined and all(isinstance(r, csminer.Record) for r in mined)
    as_run = [json.loads(x) for x in (run_dir / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    strip = ("pipeline_version", "model_version")
    assert [
        {k: v for k, v in json.loads(json.dumps(r.to_dict())).items() if k not in strip} for r in mined
    ] == [{k: v for k, v in r.items() if k not in strip} for r in as_run]
    salvador = [r for r in mined if r.doc == "salvador"]
    assert [r.id for r in salvador] == sorted(r.id for r in salvador)
    assert "World Bank" in salvador[0].to_dict()["funders"]


def test_records_frame_is_typed(mined: list[csminer.Record], run_dir: Path) -> None:
    frame = csminer.records_frame(mined)
    assert len(frame) == len(mined)
    assert str(frame["years_start"].dtype) == "Int64"
    assert str(frame["confidence_detect"].dtype) == "Float64"
    row = frame[frame["doc"] == "honduras"].iloc[0]
    assert isinstance(row["funders"], list) and "World Bank" in row["funders"]
    assert row["amounts"][0]["currency"] == "USD" and row["amounts"][0]["value"] == 20e6
    # the same frame from the files and the inventory
    assert len(csminer.records_frame(run_dir / "records.jsonl")) == len(mined)
    from_db = csminer.records_frame(run_dir / "inventory.sqlite")
    assert list(from_db["id"]) == list(frame["id"]) and "intervention" not in frame.columns
    assert all(isinstance(v, str) for v in from_db["intervention"])
    assert csminer.records_frame(mined, flat=True).loc[0, "funders"] == " | ".join(mined[0].funders)


def test_read_gives_the_document_model_and_missing_inputs_raise(corpus: Path, tmp_path: Path) -> None:
    document = csminer.read(corpus / "honduras.pdf")
    assert document.pages == 1 and "World Bank" in document.to_dict()["blocks"][1]["text"]
    with pytest.raises(FileNotFoundError, match=r"nope\.pdf"):
        csminer.mine(tmp_path / "nope.pdf")
    (tmp_path / "x.pdf").write_text("<html>", encoding="utf-8")
    with pytest.warns(UserWarning, match="E102"):
        assert csminer.mine(tmp_path / "x.pdf") == []
    with pytest.raises(ValueError, match="E102"):
        csminer.mine(tmp_path / "x.pdf", strict=True)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"csminer {csminer.__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", csminer.__version__)


# --- inventory hygiene -----------------------------------------------------------------------


def test_inventory_defaults_to_out_and_missing_inputs_stay_out(run_dir: Path) -> None:
    db = run_dir / "inventory.sqlite"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        docs = [r[0] for r in conn.execute("SELECT doc FROM documents ORDER BY doc")]
    assert docs == sorted([*TEXTS, "formula"])


def test_a_missing_input_is_reported(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "typo.pdf"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "E100" in result.output and "typo.pdf" in result.output
    assert not (tmp_path / "o" / "inventory.sqlite").exists()


def test_remove_a_document(run_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite"
    db.write_bytes((run_dir / "inventory.sqlite").read_bytes())
    result = runner.invoke(app, ["remove", "salvador", "--db", str(db)])
    assert result.exit_code == 0 and "removed salvador: 2 records" in result.output, result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM records WHERE doc = 'salvador'").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM documents WHERE doc = 'salvador'").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM actors WHERE record_id LIKE 'salvador-%'").fetchone() == (
            0,
        )
        last = conn.execute("SELECT doc, reason, removed FROM changes ORDER BY n DESC LIMIT 1").fetchone()
    assert last == ("salvador", "removed", 2)
    assert runner.invoke(app, ["remove", "salvador", "--db", str(db)]).exit_code == 1


# --- files that open cleanly -----------------------------------------------------------------


def test_csv_with_a_semicolon_and_a_bom(run_dir: Path) -> None:
    for path in (run_dir / "records.csv", export(run_dir, "csv", "x.csv", "--csv-sep", ";")):
        raw = path.read_bytes()
        assert raw.startswith(b'\xef\xbb\xbf"id";"doc";')
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter=";"))
        assert any(r["evidence"].startswith("'=HYPERLINK") for r in rows)  # escaped, not a formula
    assert [r["id"] for r in read_records(run_dir / "records.csv")] == [
        r["id"] for r in read_records(run_dir / "records.jsonl")
    ]


def test_typed_parquet_in_pandas_and_duckdb(run_dir: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = export(run_dir, "parquet", "x.parquet")
    frame = pd.read_parquet(path)
    assert str(frame["years_start"].dtype) == "Int64" and str(frame["confidence_detect"].dtype) == "Float64"
    assert list(frame["funders"].iloc[0]) and frame["amounts"].iloc[0][0]["currency"] == "USD"
    con = duckdb.connect()
    types = dict(
        con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{path}')").fetchall()
    )
    assert types["funders"] == "VARCHAR[]" and types["years_start"] == "BIGINT"
    assert types["confidence_detect"] == "DOUBLE" and types["amounts"].startswith("STRUCT(")
    by_funder = con.execute(
        f"SELECT funder, COUNT(*) AS records, SUM(a.value) AS amount FROM (SELECT unnest(funders) AS funder,"
        f" amounts FROM '{path}') t, unnest(t.amounts) AS u(a) GROUP BY funder ORDER BY funder"
    ).fetchall()
    assert ("World Bank", 4, 75.05e6) in by_funder  # 20 + 15 + 20 (the formula PDF) + 20.05 million
    # the typed round trip is exact: evidence keeps its line breaks, amounts their numbers
    assert read_records(path, core_only=True) == read_records(run_dir / "records.jsonl", core_only=True)
    # each record's money counted once, as a number, with each amount's role beside it
    jsonl = read_records(run_dir / "records.jsonl")
    totals = dict(con.execute(f"SELECT id, total_usd FROM '{path}'").fetchall())
    assert totals == {r["id"]: r["total_usd"] for r in jsonl} and types["total_usd"] == "DOUBLE"
    honduras = next(r for r in jsonl if r["doc"] == "honduras")
    assert [a["role"] for a in honduras["amounts"]] == ["total"]
    assert honduras["total_usd"] == honduras["amounts"][0]["value"]
    roles = con.execute(f"SELECT DISTINCT a.role FROM '{path}', unnest(amounts) AS u(a)").fetchall()
    assert {r[0] for r in roles} <= {"total", "part", "cell", "rate"}


def test_xlsx_workbook(run_dir: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(export(run_dir, "xlsx", "x.xlsx"))
    assert book.sheetnames == ["records", "amounts", "evidence", "codebook"]
    records, amounts, evidence, codebook = (
        list(book[n].iter_rows(values_only=True)) for n in book.sheetnames
    )
    jsonl = read_records(run_dir / "records.jsonl")
    assert len(records) == len(jsonl) + 1 and len(evidence) - 1 == sum(len(r["evidence"]) for r in jsonl)
    assert len(amounts) - 1 == sum(len(r["amounts"]) for r in jsonl)
    header = records[0]
    assert "\n" not in "".join(str(c) for row in records[1:] for c in row if isinstance(c, str))
    amount_cells = [row[header.index("amounts")] for row in records[1:]]
    assert any("= 20,000,000 USD" in str(c) for c in amount_cells)
    assert isinstance(amounts[1][amounts[0].index("value")], float | int)
    formula_cells = [c for ws in book for row in ws.iter_rows() for c in row if str(c.value).startswith("=")]
    assert formula_cells and all(c.data_type == "s" for c in formula_cells)  # text, never a formula
    explained = {(row[0], row[1]) for row in codebook[1:]}
    for name, rows in (("records", records), ("amounts", amounts), ("evidence", evidence)):
        assert {(name, c) for c in rows[0]} <= explained
        assert all(meaning(c) for c in rows[0])
    assert {("classes", field) for field in CLASSES} <= {(row[0], row[1]) for row in codebook[1:]}
    classes = {row[2] for row in codebook[1:] if row[0] == "classes" and row[1] == "scope"}
    assert classes == {"transnational", "local", "mixed"}


# --- IATI --------------------------------------------------------------------------------------


def codes(name: str) -> set[str]:
    from lxml import etree

    return {c.text for c in etree.parse(str(IATI / "codelists" / f"{name}.xml")).iter("code") if c.text}


def test_iati_export_validates_and_uses_only_codelist_codes(run_dir: Path) -> None:
    from lxml import etree

    from pipeline.iati import validate

    if not IATI.is_dir():
        pytest.skip(f"IATI schema not found at {IATI}")
    path = export(run_dir, "iati", "x.xml")
    assert validate(path, IATI / "iati-activities-schema.xsd") == []
    root = etree.parse(str(path)).getroot()
    assert root.get("version") == "2.03"
    activities = root.findall("iati-activity")
    with sqlite3.connect(run_dir / "inventory.sqlite") as conn:
        interventions = conn.execute("SELECT COUNT(*) FROM interventions").fetchone()[0]
    assert len(activities) == interventions  # every record here has a year
    checks: dict[str, tuple[str, str]] = {
        "participating-org": ("role", "OrganisationRole"),
        "recipient-country": ("code", "Country"),
        "recipient-region": ("code", "Region"),
        "sector": ("code", "Sector"),
        "activity-status": ("code", "ActivityStatus"),
        "budget": ("type", "BudgetType"),
        "transaction-type": ("code", "TransactionType"),
        "value": ("currency", "Currency"),
        "reporting-org": ("type", "OrganisationType"),
    }
    for tag, (attr, codelist) in checks.items():
        used = {e.get(attr) for e in root.iter(tag) if e.get(attr)}
        assert used <= codes(codelist), (tag, used - codes(codelist))
    # honduras, review and formula state one program: one activity, its figure counted once
    honduras = next(a for a in activities if any("honduras" in e.get("url") for e in a.iter("document-link")))
    assert len(honduras.findall("document-link")) == 3 and len(honduras.findall("budget")) == 1
    assert {e.get("code") for e in honduras.iter("recipient-country")} == {"HN"}
    assert {e.get("role") for e in honduras.iter("participating-org")} >= {"1"}
    assert honduras.find("activity-date").get("iso-date") == "2012-01-01"
    assert honduras.find("budget/value").text in ("20000000", "20050000")
    links = [e.get("url") for e in honduras.iter("document-link")]
    assert links and all(re.search(r"\.pdf#page=1$", u) for u in links)
    sectors = {e.get("code") for a in activities for e in a.iter("sector")}
    assert sectors and sectors <= {"15210", "15130", "15220", "16063", "15180", "15240", "15160"}


def test_iati_mapping_of_places(tmp_path: Path) -> None:
    from pipeline.iati import country_code, region_code, validate, write_iati

    assert (country_code("Guatemala"), country_code("the United States"), country_code("San Pedro Sula")) == (
        "GT",
        "US",
        None,
    )
    assert (region_code("Central America"), region_code("Latin America and the Caribbean")) == ("1032", "498")
    record: dict[str, Any] = {
        "id": "r-0001",
        "doc": "r",
        "name": None,
        "evidence": ["A sentence with \x0b a control character."],
        "pages": [],
        "funders": [],
        "implementers": [],
        "recipients": ["Central America", "San Pedro Sula"],
        "amounts": [
            {"value": 5e6, "currency": "EUR", "text": "€5 million", "qualifier": "exact", "year": 2014}
        ],
        "years": {"start": None, "end": None, "mentioned": [2014]},
        "themes": [],
    }
    undated = {**record, "id": "u-0001", "doc": "u", "years": {"start": None, "end": None, "mentioned": []}}
    path = write_iati([record, undated], tmp_path / "x.xml")
    if IATI.is_dir():
        assert validate(path, IATI / "iati-activities-schema.xsd") == []
    text = path.read_text(encoding="utf-8")
    assert '<recipient-region code="1032" vocabulary="1"/>' in text and "San Pedro Sula" in text
    assert "left out, no year to date them: iv-u-0001" in text and text.count("<iati-activity ") == 1


def test_iati_budgets_and_transactions_by_stage(tmp_path: Path) -> None:
    from dataclasses import asdict

    from lxml import etree

    from pipeline.iati import validate, write_iati
    from pipeline.nlp.amount_roles import describe_amounts
    from pipeline.nlp.amounts import find_amounts

    text = (
        "USAID disbursed $8 million in 2010 to the police of Honduras, of which $3 million went to training;"
        " Congress requested $12 million for 2011."
    )
    amounts = [asdict(a) for a in describe_amounts([(text, find_amounts(text))], [], start_year=2010)]
    assert [(a["role"], a["stage"]) for a in amounts] == [("total", "disbursed"), ("part", None),
                                                          ("total", "requested")]  # fmt: skip
    record: dict[str, Any] = {
        "id": "t-0001", "doc": "t", "name": None, "evidence": [text], "pages": [1], "funders": ["USAID"],
        "implementers": [], "recipients": ["Honduras"], "amounts": amounts,
        "years": {"start": 2010, "end": 2011, "mentioned": [2010, 2011]}, "themes": [],
    }  # fmt: skip
    path = write_iati([record], tmp_path / "t.xml")
    if IATI.is_dir():
        assert validate(path, IATI / "iati-activities-schema.xsd") == []
    act = etree.parse(str(path)).getroot().find("iati-activity")
    assert act is not None
    transactions = [
        (t.find("transaction-type").get("code"), t.find("value").text) for t in act.iter("transaction")
    ]
    assert transactions == [("3", "8000000")]  # the part inside it is not another disbursement
    assert [b.find("value").text for b in act.iter("budget")] == ["12000000"]  # the request: a budget
