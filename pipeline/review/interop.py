"""Reviewed records as Argilla/Prodigy-style JSON Lines, and back.

One line per reviewed record: ``text`` (its evidence sentences, joined by blank lines),
``spans`` (character offsets into ``text`` with a label: FUNDER, IMPLEMENTER, RECIPIENT, AMOUNT,
YEAR, NAME), ``answer`` (accept, or reject for a record rejected as no intervention),
``annotator``, ``timestamp`` (Unix seconds), ``meta`` (record, doc, reviewed fields) and
``record`` (the fields as reviewed). Importing sets, per line, the fields of ``record`` that differ
from the inventory as corrections, the others as accepted, and a ``reject`` answer rejects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..inventory import Inventory
from . import store

LABELS = (("funders", "FUNDER"), ("implementers", "IMPLEMENTER"), ("recipients", "RECIPIENT"))


def _spans(text: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    folded = text.casefold()

    def mark(needle: str, label: str) -> None:
        if not needle:
            return
        at = folded.find(needle.casefold())
        if at >= 0:
            found.append(
                {"start": at, "end": at + len(needle), "label": label, "text": text[at : at + len(needle)]}
            )

    mark(record.get("name") or "", "NAME")
    for key, label in LABELS:
        for name in record.get(key) or []:
            mark(name, label)
    for amount in record.get("amounts") or []:
        mark(amount.get("text") or "", "AMOUNT")
    years = record.get("years") or {}
    for key in ("start", "end"):
        if years.get(key):
            mark(str(years[key]), "YEAR")
    return sorted(found, key=lambda s: (s["start"], s["end"]))


def export_lines(inventory: Inventory) -> list[dict[str, Any]]:
    marks = inventory.review_marks()
    lines: list[dict[str, Any]] = []
    for record in inventory.records():
        mark = marks.get(record["id"])
        if mark is None:
            continue
        text = "\n\n".join(record.get("evidence") or [])
        at = max((f["at"] for f in mark["fields"].values()), default=None)
        who = sorted({f["reviewer"] for f in mark["fields"].values()})
        lines.append(
            {
                "text": text,
                "spans": _spans(text, record),
                "answer": "reject" if mark["status"] in ("rejected", "merged") else "accept",
                "annotator": ", ".join(who),
                "_annotator_id": ", ".join(who),
                "timestamp": int(datetime.fromisoformat(at).timestamp()) if at else None,
                "meta": {
                    "record": record["id"],
                    "doc": record["doc"],
                    "status": mark["status"],
                    "reviewed_fields": sorted(mark["fields"]),
                },
                "record": {k: record.get(k) for k in store.REVIEW_FIELDS},
            }
        )
    return lines


def export_file(db: Path, out: Path) -> int:
    with Inventory(db) as inventory:
        lines = export_lines(inventory)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    tmp.replace(out)
    return len(lines)


def import_lines(inventory: Inventory, lines: Iterable[dict[str, Any]], reviewer: str) -> dict[str, int]:
    """Apply reviewed lines; counts of records updated and of lines skipped (unknown record)."""
    counts = {"records": 0, "skipped": 0}
    for line in lines:
        meta = line.get("meta") or {}
        rid = str(meta.get("record") or line.get("id") or "")
        row = inventory.conn.execute("SELECT data FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            counts["skipped"] += 1
            continue
        current = json.loads(row[0])
        who = str(line.get("annotator") or line.get("_annotator_id") or reviewer).split(",")[0]
        if line.get("answer") == "reject":
            version = store.state(inventory, rid)["version"]
            store.decide(inventory, rid, store.RECORD, "reject", who, version)
            counts["records"] += 1
            continue
        fields = line.get("record") or {}
        for field in meta.get("reviewed_fields") or list(fields):
            if field not in store.REVIEW_FIELDS:
                continue
            version = store.state(inventory, rid)["version"]
            if field in fields and fields[field] != current.get(field):
                store.decide(inventory, rid, field, "correct", who, version, fields[field])
            else:
                store.decide(inventory, rid, field, "accept", who, version)
        counts["records"] += 1
    return counts


def import_file(db: Path, path: Path, reviewer: str) -> dict[str, int]:
    with path.open(encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    with Inventory(db) as inventory:
        return import_lines(inventory, lines, reviewer)
