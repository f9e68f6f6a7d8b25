"""The inventory: migrations, idempotent writes, replacement, version changes, interventions
joined across reports, and survival of a process killed mid-batch (kill -9)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.inventory import MIGRATIONS, SCHEMA_VERSION, Inventory, same_intervention
from pipeline.records.model import Record, RecordAmount, RecordYears

from .pdfs import REPORT_2COL, ROOT, make_corpus

runner = CliRunner()


def record(rid: str, name: str | None = None, value: float = 20e6, start: int = 2012, **kw: object) -> Record:
    doc = rid.rsplit("-", 1)[0]
    return Record(
        id=rid,
        doc=doc,
        name=name,
        funders=list(kw.get("funders", ["World Bank"])),  # type: ignore[call-overload]
        recipients=list(kw.get("recipients", ["Honduras"])),  # type: ignore[call-overload]
        amounts=[RecordAmount(value, "USD", f"${value / 1e6:g} million", "exact")],
        years=RecordYears(start, None, [start]),
        hard_soft=str(kw.get("hard_soft", "soft")),
        pipeline_version=str(kw.get("pipeline_version", "0.1.0")),
        model_version=str(kw.get("model_version", "m1")),
    )


def summary(doc: str, sha: str = "s1", pipeline_version: str = "0.1.0", model_version: str = "m1") -> dict:
    return {
        "doc": doc,
        "path": f"/corpus/{doc}.pdf",
        "sha256": sha,
        "status": "success",
        "pages": 3,
        "errors": [],
        "pipeline_version": pipeline_version,
        "model_version": model_version,
    }


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_a_v1_database_is_migrated_in_order(tmp_path: Path) -> None:
    db = tmp_path / "v1.sqlite"
    with sqlite3.connect(db) as conn:  # a database written by the first schema
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
        conn.executescript(MIGRATIONS[0])
        conn.execute("INSERT INTO schema_version VALUES (1, 'then')")
        conn.execute(
            "INSERT INTO documents VALUES"
            " ('old', '/old.pdf', 'x', NULL, 1, 'success', '[]', 'p', 'm', 't', '{}')"
        )
    with Inventory(db) as inventory:
        assert inventory.version() == SCHEMA_VERSION
        assert [d["doc"] for d in inventory.documents()] == ["old"]
        versions = [r[0] for r in inventory.conn.execute("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))  # in order, each once
    assert count(db, "interventions") == 0 and count(db, "changes") == 0
    with Inventory(db) as inventory:  # opening again applies nothing
        assert inventory.version() == SCHEMA_VERSION


def test_writes_are_idempotent_and_a_changed_file_replaces_its_own_records(tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inventory:
        first = inventory.store(summary("a"), [record("a-0001"), record("a-0002", value=5e6, start=2001)])
        inventory.store(summary("b"), [record("b-0001", value=9e6, start=1999, recipients=["Peru"])])
        again = inventory.store(summary("a"), [record("a-0001"), record("a-0002", value=5e6, start=2001)])
        assert (first.reason, first.added) == ("new", 2)
        assert (again.reason, again.added, again.removed, again.updated, again.unchanged) == (
            "unchanged", 0, 0, 0, 2,
        )  # fmt: skip
        assert count(db, "records") == 3 and count(db, "documents") == 2 and count(db, "actors") == 6
        changed = inventory.store(summary("a", sha="s2"), [record("a-0001", value=7e6)])
        assert (changed.reason, changed.removed, changed.updated) == ("changed-file", 1, 1)
        assert [r["id"] for r in inventory.records()] == ["a-0001", "b-0001"]
        assert inventory.records("b")[0]["recipients"] == ["Peru"]  # the other document is untouched
        assert inventory.is_current("a", "s2", "0.1.0", "m1") and not inventory.is_current(
            "a", "s1", "0.1.0", "m1"
        )
        upgraded = inventory.store(
            summary("a", sha="s2", model_version="m2"),
            [record("a-0001", value=7e6, model_version="m2"), record("a-0002", model_version="m2")],
        )
        assert (upgraded.reason, upgraded.added, upgraded.updated, upgraded.unchanged) == (
            "new-version",
            1,
            0,
            1,
        )
        log = inventory.conn.execute("SELECT doc, reason, added, removed, updated FROM changes ORDER BY n")
        assert [tuple(r) for r in log] == [
            ("a", "new", 2, 0, 0),
            ("b", "new", 1, 0, 0),
            ("a", "changed-file", 0, 1, 1),
            ("a", "new-version", 1, 0, 0),
        ]


def test_one_intervention_from_several_reports_keeps_each_documents_figures(tmp_path: Path) -> None:
    with Inventory(tmp_path / "inv.sqlite") as inventory:
        inventory.store(summary("x"), [record("x-0001", name="Plan Colombia", value=1.3e9, start=2000)])
        inventory.store(summary("y"), [record("y-0001", name="the Plan Colombia", value=7.5e9, start=2000)])
        inventory.store(summary("z"), [record("z-0001", value=20.05e6), record("z-0002", value=30e6)])
        inventory.store(summary("w"), [record("w-0001", value=20e6)])
        rows = inventory.conn.execute(
            "SELECT id, documents, records, conflicts FROM interventions ORDER BY id"
        )
        interventions = {r[0]: (r[1], r[2], json.loads(r[3])) for r in rows}
        assert interventions["iv-x-0001"] == (2, 2, ["amount"])
        assert interventions["iv-w-0001"][:2] == (2, 2)  # 20 vs 20.05 million: within 0.5%
        assert interventions["iv-z-0002"][:2] == (1, 1)  # 30 million is another intervention
        facts = inventory.conn.execute(
            "SELECT value, doc FROM intervention_facts"
            " WHERE intervention_id = 'iv-x-0001' AND field = 'amount'"
        )
        assert sorted(tuple(r) for r in facts) == [("1300000000.0 USD", "x"), ("7500000000.0 USD", "y")]
        sources = inventory.sources()
        assert sources["y-0001"]["sources"] == [
            {"doc": "x", "record": "x-0001"},
            {"doc": "y", "record": "y-0001"},
        ]
    a, b = record("a-0001").to_dict(), record("b-0001", value=20.2e6).to_dict()
    assert not same_intervention(a, b)  # 1% apart
    assert not same_intervention(a, record("b-0001", start=2015).to_dict())  # years do not overlap


def _committed(db: Path) -> list[str]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return [r[0] for r in conn.execute("SELECT doc FROM documents ORDER BY doc")]
    except sqlite3.Error:
        return []


@pytest.mark.slow
def test_a_run_killed_mid_batch_leaves_a_usable_inventory_and_a_rerun_completes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    make_corpus(corpus)
    shutil.copy(REPORT_2COL, corpus / "zz-report-copy.pdf")  # ~10 s: the kill lands while it is mined
    db, out = tmp_path / "inv.sqlite", tmp_path / "out"
    command = [sys.executable, "-m", "pipeline.cli", "run", str(corpus), "--out", str(out), "--db", str(db)]
    process = subprocess.Popen([*command, "--workers", "1"], cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _committed(db) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = _committed(db)
    assert 1 <= len(done) < 4, done
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for doc, stored in conn.execute("SELECT doc, summary FROM documents"):
            records = conn.execute("SELECT COUNT(*) FROM records WHERE doc = ?", (doc,)).fetchone()[0]
            assert records == json.loads(stored)["counts"]["records"]  # whole documents only
    result = runner.invoke(app, ["run", str(corpus), "--out", str(out), "--db", str(db), "--workers", "1"])
    assert result.exit_code == 0, result.output
    for doc in done:
        assert any(doc in line and "unchanged" in line for line in result.output.splitlines())
    assert _committed(db) == ["honduras", "review", "salvador", "zz-report-copy"]
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM records")]
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(ids) == len(set(ids)) == len(lines) > 50


def test_two_renderings_of_one_report_give_one_intervention_per_real_one(
    shared_dir: Path, tmp_path: Path
) -> None:
    """The gold codes each of the seed's two layouts record by record, the same intervention
    under the same ``seed_line``: each intervention must hold one record of each, of one line."""
    lines = (shared_dir / "gold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    gold = [json.loads(line) for line in lines]
    docs = ("neighborhood-1col", "neighborhood-2col")
    with Inventory(tmp_path / "inv.sqlite") as inventory:
        for doc in docs:
            inventory.store(summary(doc, sha=doc), [r for r in gold if r["doc"] == doc])
        sources = inventory.sources()
    line = {r["id"]: r["seed_line"] for r in gold if r["doc"] in docs}
    groups: dict[str, list[str]] = {}
    for record_id, linked in sources.items():
        groups.setdefault(linked["intervention"], []).append(record_id)
    assert len(groups) == len(line) // 2
    for members in groups.values():
        assert sorted(m.rsplit("-", 1)[0] for m in members) == list(docs)
        assert len({line[m] for m in members}) == 1, members


def test_only_stated_totals_identify_an_intervention() -> None:
    """A $7 million cell of one program's table and another program's $7 million share are the
    same figure by chance, not the same intervention; two stated totals are."""
    a, b = record("a-0001", value=7e6).to_dict(), record("b-0001", value=7e6).to_dict()
    assert same_intervention(a, b)
    for role, part_of in (("cell", None), ("part", 0), ("rate", None)):
        roled = {**b, "amounts": [{**b["amounts"][0], "role": role, "part_of": part_of}]}
        assert not same_intervention(a, roled), role
    grand = {**b, "amounts": [{**b["amounts"][0], "role": "total", "part_of": None}]}
    assert same_intervention(a, grand)


def _named(rid: str, name: str | None, value: float = 20e6, text: str = "") -> dict:
    data = record(rid, name=name, value=value).to_dict()
    return data | {"evidence": [text], "spans": [{"text": text}]} if text else data


def _interventions(inventory: Inventory) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for record_id, linked in inventory.sources().items():
        groups.setdefault(linked["intervention"], []).append(record_id)
    return sorted(sorted(g) for g in groups.values())


def test_records_of_two_programs_never_join_whatever_they_share(tmp_path: Path) -> None:
    """Same funder, recipient, years and amount are weak evidence: two named programs stay apart,
    an unnamed record matching both is evidence of neither, one matching a single program joins it."""
    with Inventory(tmp_path / "inv.sqlite") as inventory:
        inventory.store(summary("a"), [_named("a-0001", "Plan Colombia")])
        inventory.store(summary("b"), [_named("b-0001", "Mérida Initiative")])
        inventory.store(summary("c"), [_named("c-0001", None)])  # matches both programs' figures
        inventory.store(
            summary("d"), [_named("d-0001", "Plan Colombia", value=5e6), _named("d-0002", None, 5e6)]
        )
        inventory.store(summary("e"), [_named("e-0001", None, value=5e6)])  # matches d-0001 only
        assert _interventions(inventory) == [
            ["a-0001", "d-0001", "e-0001"],
            ["b-0001"],
            ["c-0001"],
            ["d-0002"],  # matches e-0001, which names Plan Colombia's figures: never chained
        ]
    assert not same_intervention(_named("a-0001", "Plan Colombia"), _named("b-0001", "Mérida Initiative"))
    assert same_intervention(
        _named("a-0001", "Plan Colombia", 1e6), _named("b-0001", "the Plan Colombia", 9e9)
    )


def test_names_the_text_gives_as_one_program_join_across_reports(tmp_path: Path) -> None:
    spelled = "The United States funded the Central America Regional Security Initiative (CARSI) in Honduras."
    with Inventory(tmp_path / "inv.sqlite") as inventory:
        inventory.store(
            summary("a"), [_named("a-0001", "Central America Regional Security Initiative (CARSI)")]
        )
        inventory.store(summary("b"), [_named("b-0001", "CARSI", value=7e6)])
        inventory.store(summary("c"), [_named("c-0001", "CARSI", value=9e6, text=spelled)])
        inventory.store(summary("d"), [_named("d-0001", "Central America Regional Security Initiative", 3e6)])
        inventory.store(
            summary("e"), [_named("e-0001", "Beyond Mérida, formerly the Mérida Initiative", 1e6)]
        )
        inventory.store(
            summary("f"), [_named("f-0001", "The Mérida Initiative", 2e6), _named("f-0002", "CBSI")]
        )
        inventory.store(summary("g"), [_named("g-0001", "Police Reform Program (2010-2014)", 4e6)])
        inventory.store(summary("h"), [_named("h-0001", "Youth Program (2010-2014)", 4e6)])
        assert _interventions(inventory) == [
            ["a-0001", "b-0001", "c-0001", "d-0001"],
            ["e-0001", "f-0001"],
            ["f-0002"],
            ["g-0001"],  # a parenthesis that is no acronym names nothing
            ["h-0001"],
        ]


def test_export_lists_one_source_per_document_of_the_intervention(tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inventory:
        inventory.store(summary("x"), [record("x-0001", "CARSI", 1e6), record("x-0002", "CARSI", 2e6)])
        inventory.store(summary("y"), [record("y-0001", "CARSI", 3e6), record("y-0002", "Plan Colombia")])
        assert len(inventory.sources()["x-0002"]["sources"]) == 3  # every member
    out = tmp_path / "all.jsonl"
    result = runner.invoke(app, ["export", "--db", str(db), "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert exported["x-0001"]["sources"] == [
        {"doc": "x", "record": "x-0001"},
        {"doc": "y", "record": "y-0001"},
    ]
    assert exported["x-0002"]["sources"] == [
        {"doc": "x", "record": "x-0002"},
        {"doc": "y", "record": "y-0001"},
    ]
    assert exported["y-0001"]["sources"] == [
        {"doc": "x", "record": "x-0001"},
        {"doc": "y", "record": "y-0001"},
    ]
    assert exported["y-0002"]["sources"] == [{"doc": "y", "record": "y-0002"}]
    assert {r["intervention"] for r in exported.values()} == {"iv-x-0001", "iv-y-0002"}


def test_status_summarizes_a_large_inventory_and_lists_every_document_with_all(tmp_path: Path) -> None:
    from pipeline.cli import STATUS_ROWS

    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inventory:
        for n in range(STATUS_ROWS + 5):
            doc = f"doc{n:03d}"
            failed = (
                {"status": "failure", "errors": [{"code": "E101", "message": "no pages"}]} if n == 7 else {}
            )
            inventory.store(summary(doc) | failed, [] if failed else [record(f"{doc}-0001", f"Program {n}")])
    short = runner.invoke(app, ["status", "--db", str(db)])
    assert short.exit_code == 0, short.output
    assert f"{STATUS_ROWS + 5} documents" in short.output and "1 failure" in short.output
    assert "doc007" in short.output and "E101" in short.output  # the document that needs attention
    assert "doc008" not in short.output and "--all" in short.output
    every = runner.invoke(app, ["status", "--db", str(db), "--all"])
    assert every.exit_code == 0 and all(f"doc{n:03d}" in every.output for n in range(STATUS_ROWS + 5))
