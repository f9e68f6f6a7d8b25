"""Review decisions in the inventory: audit, versions, kept through re-runs, export, interop, gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.inventory import Inventory, export_inventory
from pipeline.records.model import CORE_FIELDS
from pipeline.review import interop, store
from pipeline.review.gold import reviewed_gold
from pipeline.review.queue import Filters, queue

from .conftest import Mined


@pytest.fixture
def db(mined: Mined, tmp_path: Path) -> Path:
    return mined.copy(tmp_path)


def _ids(db: Path) -> list[str]:
    with Inventory(db) as inv:
        return [r["id"] for r in inv.records()]


def test_pdf_text_with_markup_is_mined(mined: Mined) -> None:
    with Inventory(mined.db) as inv:
        text = " ".join(e for r in inv.records() for e in r["evidence"])
    assert "<script>" in text and "onerror" in text


def test_decisions_are_logged_and_versioned(db: Path) -> None:
    rid = _ids(db)[0]
    with Inventory(db) as inv:
        assert store.decide(inv, rid, "funders", "accept", "ana", 0) == 1
        v = store.decide(inv, rid, "hard_soft", "correct", "ana", 1, "hard")
        with pytest.raises(store.Conflict, match="changed by ana"):
            store.decide(inv, rid, "scope", "accept", "ben", 1)  # ben saw version 1: stale
        log = store.log(inv, rid)
        assert [h["decision"] for h in log] == ["accept", "correct"]
        assert json.loads(log[1]["new_value"]) == "hard" and log[1]["reviewer"] == "ana"
        assert store.state(inv, rid)["version"] == v == 2
        with pytest.raises(store.DecisionError, match="one of"):
            store.decide(inv, rid, "scope", "correct", "ana", 2, "galactic")
        with pytest.raises(store.DecisionError, match="ISO 4217"):
            store.decide(inv, rid, "amounts", "correct", "ana", 2, [{"value": 1, "currency": "XXY"}])


def test_reviewed_fields_survive_a_forced_rerun_and_a_changed_file(db: Path) -> None:
    ids = _ids(db)
    with Inventory(db) as inv:
        store.decide(
            inv,
            ids[0],
            "amounts",
            "correct",
            "ana",
            0,
            [{"value": 16e6, "currency": "usd", "qualifier": "approx", "text": "$16 million"}],
        )
        store.decide(inv, ids[1], store.RECORD, "reject", "ana", 0)
        doc = inv.document(inv.records()[0]["doc"])
        summary = json.loads(doc["summary"])
        mined_again = [{**r, "amounts": [], "hard_soft": "mixed"} for r in inv.records()]  # a "new model"
        inv.store(summary, mined_again, forced=True)
        kept = {r["id"]: r for r in inv.records()}
        assert kept[ids[0]]["amounts"][0]["value"] == 16e6 and kept[ids[0]]["hard_soft"] == "mixed"
        assert store.state(inv, ids[1])["status"] == "rejected"
        assert not store.state(inv, ids[0])["needs_recheck"]
        inv.store({**summary, "sha256": "0" * 64}, mined_again)  # the PDF changed
        assert store.state(inv, ids[0])["needs_recheck"]
        assert sorted(r["id"] for r in queue(inv, Filters(status="needs-recheck"))) == sorted(ids[:2])


def test_export_marks_reviewed_fields_and_leaves_out_rejected(db: Path, tmp_path: Path) -> None:
    ids = _ids(db)
    with Inventory(db) as inv:
        store.decide(inv, ids[0], "funders", "accept", "ana", 0)
        store.decide(inv, ids[1], store.RECORD, "reject", "ana", 0)
    out = tmp_path / "records.jsonl"
    export_inventory(db, out, "jsonl")
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert ids[1] not in rows
    assert rows[ids[0]]["review"]["fields"]["funders"]["reviewer"] == "ana"
    assert "review" not in rows[ids[2]]


def test_merge_split_add(db: Path) -> None:
    ids = _ids(db)
    with Inventory(db) as inv:
        store.merge(inv, ids[0], ids[1], "ana", 0, 0)
        merged = {r["id"]: r for r in inv.records()}[ids[0]]
        assert len(merged["spans"]) == 2 and store.state(inv, ids[1])["status"] == "merged"
        new = store.split(inv, ids[0], 1, "ana", 1)
        parts = {r["id"]: r for r in inv.records()}
        assert len(parts[ids[0]]["spans"]) == 1 and len(parts[new]["spans"]) == 1
        added = store.add(inv, merged["doc"], 1, "A missed sentence.", [72, 72, 300, 84], "ana")
        assert {r["id"]: r for r in inv.records()}[added]["evidence"] == ["A missed sentence."]
        summary = json.loads(inv.document(merged["doc"])["summary"])
        fresh = [r for r in inv.records() if r["id"] in ids]
        inv.store(summary, fresh, forced=True)  # a re-run keeps what was split off and added
        assert {new, added} <= {r["id"] for r in inv.records()}


def test_queue_orders_and_filters(db: Path) -> None:
    with Inventory(db) as inv:
        rows = queue(inv, Filters())
        assert [r["confidence"] for r in rows] == sorted(r["confidence"] for r in rows)
        assert queue(inv, Filters(cls="no-such-class")) == []
        # Active learning: give the lowest-confidence record the surest detection and the last
        # the least sure; the uncertainty order puts the unreviewed ones nearest 0.5 first.
        ids = [r["id"] for r in rows]
        for rid, detect in zip(ids, (0.97, 0.71, 0.52), strict=True):
            (raw,) = inv.conn.execute("SELECT data FROM records WHERE id = ?", (rid,)).fetchone()
            data = json.loads(raw)
            data["confidence"]["detect"] = detect
            inv.conn.execute("UPDATE records SET data = ? WHERE id = ?", (json.dumps(data), rid))
        assert [r["id"] for r in queue(inv, Filters(order="uncertainty"))] == ids[::-1]
        store.decide(inv, ids[2], "name", "accept", "ana", 0)
        assert [r["id"] for r in queue(inv, Filters(status="reviewed"))] == [ids[2]]
        assert [r["id"] for r in queue(inv, Filters(order="uncertainty"))] == [ids[1], ids[0]]


def test_jsonl_round_trip(db: Path, tmp_path: Path) -> None:
    ids = _ids(db)
    with Inventory(db) as inv:
        store.decide(inv, ids[0], "years", "correct", "ana", 0, {"start": 2009, "end": 2012})
        store.decide(inv, ids[1], store.RECORD, "reject", "ana", 0)
        lines = interop.export_lines(inv)
    assert {line["answer"] for line in lines} == {"accept", "reject"}
    line = next(x for x in lines if x["meta"]["record"] == ids[0])
    assert {"text", "spans", "answer", "annotator", "timestamp"} <= line.keys()
    assert all(line["text"][s["start"] : s["end"]] == s["text"] for s in line["spans"])
    other = tmp_path / "other"
    other.mkdir()
    fresh = Path(str(db) + ".fresh")
    fresh.write_bytes(db.read_bytes())  # the same inventory before the decisions: re-apply them
    with Inventory(fresh) as inv:
        inv.conn.execute("DELETE FROM review_state")
        inv.conn.execute("DELETE FROM reviewed_fields")
        counts = interop.import_lines(inv, lines, "importer")
        assert counts == {"records": 2, "skipped": 0}
        assert store.state(inv, ids[1])["status"] == "rejected"
        assert {r["id"]: r for r in inv.records()}[ids[0]]["years"]["start"] == 2009


def test_reviewed_documents_become_gold(db: Path, mined: Mined) -> None:
    ids = _ids(db)
    with Inventory(db) as inv:
        assert reviewed_gold(db).documents == []
        store.decide(inv, ids[0], "funders", "accept", "ana", 0)
    partly = reviewed_gold(db)
    assert partly.documents == [] and "partly reviewed" in next(iter(partly.skipped.values()))
    with Inventory(db) as inv:
        for rid in ids[1:]:
            store.decide(inv, rid, store.RECORD, "reject", "ana", 0)
    gold = reviewed_gold(db)
    assert gold.documents == ["cooperation"] and [r["id"] for r in gold.records] == [ids[0]]
    assert gold.pdfs == [mined.pdfs / "cooperation.pdf"]
    assert set(gold.records[0]) == set(CORE_FIELDS)  # the RECORDS.md shape, nothing else
    assert reviewed_gold(db, inputs=[mined.pdfs]).pdfs == []  # already given: not read twice
