"""The review queue: records lowest confidence first, filtered as the analyst asks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..inventory import Inventory
from .store import REVIEW_FIELDS

STATUSES = ("unreviewed", "reviewed", "rejected", "merged", "needs-recheck")


@dataclass
class Filters:
    doc: str = ""
    field: str = ""
    cls: str = ""
    """A value of hard_soft, scope or modality."""
    low: float = 0.0
    high: float = 1.0
    status: str = ""
    order: str = "confidence"
    """confidence (lowest first) or uncertainty (unreviewed records whose detection the model was
    least sure of, nearest 0.5, first: what reviewing teaches the models most)."""

    def query(self) -> str:
        from urllib.parse import urlencode

        items = {
            "doc": self.doc,
            "field": self.field,
            "cls": self.cls,
            "low": "" if self.low == 0.0 else f"{self.low:g}",
            "high": "" if self.high == 1.0 else f"{self.high:g}",
            "status": self.status,
            "order": "" if self.order == "confidence" else self.order,
        }
        return urlencode({k: v for k, v in items.items() if v})


def record_confidence(record: dict[str, Any], field: str = "") -> float:
    """The confidence the queue sorts by: the field's when one is chosen, else the lowest of the
    filled fields' and detection's (an empty field's 0.0 says nothing was found, not doubt)."""
    confidence = record.get("confidence") or {}
    if field:
        return float(confidence.get(field, 1.0))
    values = [float(confidence["detect"])] if "detect" in confidence else []
    for key in REVIEW_FIELDS:
        if key in confidence and record.get(key) not in (None, [], {}, ""):
            values.append(float(confidence[key]))
    return min(values) if values else 1.0


def queue(inventory: Inventory, filters: Filters) -> list[dict[str, Any]]:
    """Queue rows: id, doc, name, confidence, status, needs_recheck, pages."""
    states = {
        r[0]: (r[1], bool(r[2]))
        for r in inventory.conn.execute("SELECT record_id, status, needs_recheck FROM review_state")
    }
    sql, args = "SELECT data FROM records", []
    if filters.doc:
        sql += " WHERE doc = ?"
        args.append(filters.doc)
    rows = []
    for (raw,) in inventory.conn.execute(sql, args):
        record = json.loads(raw)
        status, recheck = states.get(record["id"], ("unreviewed", False))
        if filters.status == "needs-recheck":
            if not recheck:
                continue
        elif filters.status and status != filters.status:
            continue
        if filters.cls and filters.cls not in (
            record.get("hard_soft"),
            record.get("scope"),
            record.get("modality"),
        ):
            continue
        if filters.field and filters.field not in (record.get("confidence") or {}):
            continue
        score = record_confidence(record, filters.field)
        if not filters.low <= score <= filters.high:
            continue
        detect = float((record.get("confidence") or {}).get("detect", 1.0))
        rows.append(
            {
                "id": record["id"],
                "doc": record["doc"],
                "name": record.get("name") or (record.get("evidence") or [""])[0][:90],
                "confidence": round(score, 3),
                "uncertainty": round(1 - abs(detect - 0.5) * 2, 3),
                "status": status,
                "needs_recheck": recheck,
                "pages": record.get("pages") or [],
            }
        )
    if filters.order == "uncertainty":
        rows = [r for r in rows if r["status"] == "unreviewed"]
        rows.sort(key=lambda r: (-r["uncertainty"], r["doc"], r["id"]))
    else:
        rows.sort(key=lambda r: (r["confidence"], r["doc"], r["id"]))
    return rows
