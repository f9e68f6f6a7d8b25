"""Linking records across reports: storing or removing a document relinks only the interventions
around it, and the inventory ends exactly as a rebuild of every intervention leaves it."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

from pipeline.inventory import LINK_KEYS_VERSION, Inventory, link_keys, name_keys, relink

NAMES = [
    "Plan Colombia",
    "the Plan Colombia",
    "Mérida Initiative",
    "CARSI",
    "Central America Regional Security Initiative (CARSI)",
    "Central America Regional Security Initiative",
    "CBSI",
    "Plan Frontera Sur",
    None,
]
FUNDERS = ["United States", "Canada", "Spain", "European Union"]
RECIPIENTS = ["Colombia", "Mexico", "Honduras", "Guatemala"]
SENTENCES = [
    "The United States funded police training across Central America from 2008 onwards.",
    "Canada supported community policing programs in Honduras with grants to municipalities.",
    "The European Union financed judicial reform and prison management in Guatemala.",
    "Spain and Colombia agreed to exchange intelligence on organized crime networks.",
    "The United States funded the Caribbean Basin Security Initiative (CBSI) across the islands.",
]


def summary(doc: str) -> dict[str, Any]:
    return {
        "doc": doc,
        "path": f"/corpus/{doc}.pdf",
        "sha256": f"sha-{doc}",
        "status": "success",
        "pages": 3,
        "errors": [],
        "pipeline_version": "v",
        "model_version": "m",
    }


def record(rng: random.Random, doc: str, n: int) -> dict[str, Any]:
    start = rng.choice([2000, 2004, 2008, 2010, None])
    value = rng.choice([1.3e9, 1.302e9, 20e6, 20.05e6, 30e6, 0, rng.uniform(1e6, 1e9)])
    shared = rng.random() < 0.3  # a sentence other reports repeat, or this report's own
    text = rng.choice(SENTENCES) if shared else f"Record {n} of report {doc} states a program of its own."
    return {
        "id": f"{doc}-{n:04d}",
        "doc": doc,
        "name": rng.choice(NAMES + [None] * 8),
        "funders": rng.sample(FUNDERS, rng.randint(0, 2)),
        "implementers": [],
        "recipients": rng.sample(RECIPIENTS, rng.randint(0, 2)),
        "amounts": [{"value": value, "currency": "USD", "text": "x"}] if value else [],
        "years": {"start": start, "end": start + rng.randint(0, 4) if start else None, "mentioned": []},
        "hard_soft": rng.choice(["hard", "soft"]),
        "scope": "local",
        "modality": "bilateral",
        "themes": [],
        "spans": [{"text": text, "pages": [1], "start": 0, "end": len(text)}],
        "confidence": {},
    }


def state(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    tables = {
        "interventions": "SELECT * FROM interventions",
        "record_sources": "SELECT * FROM record_sources",
        "facts": "SELECT * FROM intervention_facts",
    }
    return {name: sorted(tuple(r) for r in conn.execute(sql)) for name, sql in tables.items()}


def rebuilt(inventory: Inventory) -> dict[str, list[tuple[Any, ...]]]:
    inventory.conn.execute("BEGIN IMMEDIATE")
    try:
        relink(inventory.conn)
        return state(inventory.conn)
    finally:
        inventory.conn.execute("ROLLBACK")


def programs(conn: sqlite3.Connection) -> list[int]:
    """Per intervention, how many programs its records name: names sharing a key (directly or
    through a third name, as an acronym and its spelled-out form do) are one program."""
    out = []
    rows = conn.execute(
        "SELECT s.intervention_id, r.data FROM record_sources s JOIN records r ON r.id = s.record_id"
    )
    by_iv: dict[str, list[set[str]]] = {}
    for iv, data in rows:
        keys = name_keys(json.loads(data))
        by_iv.setdefault(iv, [])
        if keys:
            by_iv[iv].append(keys)
    for groups in by_iv.values():
        merged: list[set[str]] = []
        for keys in groups:
            touching = [m for m in merged if m & keys]
            merged = [m for m in merged if not m & keys] + [keys.union(*touching)]
        out.append(len(merged))
    return out


def test_storing_and_removing_relinks_as_a_rebuild_does(tmp_path: Path) -> None:
    rng = random.Random(20)
    with Inventory(tmp_path / "inv.sqlite") as inventory:
        docs = [f"d{n:02d}" for n in range(32)]
        for doc in docs:
            inventory.store(summary(doc), [record(rng, doc, n) for n in range(rng.randint(1, 6))])
            assert state(inventory.conn) == rebuilt(inventory), doc
            assert max(programs(inventory.conn)) <= 1, doc  # no intervention joins two programs
        linked = inventory.conn.execute("SELECT COUNT(*) FROM interventions WHERE documents > 1").fetchone()[
            0
        ]
        alone = inventory.conn.execute("SELECT COUNT(*) FROM interventions WHERE documents = 1").fetchone()[0]
        assert linked > 0 and alone > 0  # reports link, and not all into one intervention
        for doc in rng.sample(docs, 10):  # re-mined with other records, or removed
            if rng.random() < 0.5:
                inventory.store(summary(doc), [record(rng, doc, n) for n in range(rng.randint(0, 4))])
            else:
                inventory.remove(doc)
            assert state(inventory.conn) == rebuilt(inventory), doc
            assert max(programs(inventory.conn), default=0) <= 1, doc


def test_records_that_link_share_a_key() -> None:
    a = record(random.Random(1), "a", 1) | {"name": None, "funders": ["Spain"], "recipients": ["Mexico"]}
    b = a | {"id": "b-0001", "doc": "b", "amounts": [{"value": 1.005e9, "currency": "USD"}]}
    a = a | {"amounts": [{"value": 1.0e9, "currency": "USD"}]}
    assert link_keys(a) & link_keys(b) or any(  # neighbouring amount buckets are looked up too
        ka.rsplit("\x1f", 1)[0] == kb.rsplit("\x1f", 1)[0]
        and abs(int(ka.rsplit("\x1f", 1)[1]) - int(kb.rsplit("\x1f", 1)[1])) == 1
        for ka in link_keys(a)
        for kb in link_keys(b)
        if ka.startswith("pair") and kb.startswith("pair")
    )
    assert {k for k in link_keys(a | {"name": "The Mérida Initiative"}) if k.startswith("name")} == {
        "name\x1fmerida initiative"
    }


def test_an_inventory_made_before_link_keys_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    rng = random.Random(3)
    with Inventory(path) as inventory:
        for doc in ("x", "y", "z"):
            inventory.store(summary(doc), [record(rng, doc, n) for n in range(3)])
        expected = state(inventory.conn)
        keys = inventory.conn.execute("SELECT COUNT(*) FROM link_keys").fetchone()[0]
        conn = inventory.conn
        conn.execute("DELETE FROM link_keys")
        conn.execute("DROP TABLE link_keys")
        conn.execute("DROP INDEX record_sources_doc")
        conn.execute("DELETE FROM schema_version WHERE version >= ?", (LINK_KEYS_VERSION,))
    with Inventory(path) as inventory:
        assert inventory.version() >= LINK_KEYS_VERSION
        assert inventory.conn.execute("SELECT COUNT(*) FROM link_keys").fetchone()[0] == keys
        assert state(inventory.conn) == expected
