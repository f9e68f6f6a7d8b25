"""Review decisions: written to the inventory one transaction each, checked against the record's
version, logged with reviewer, time, old and new value.

A decision is committed before the server answers (WAL, one ``BEGIN IMMEDIATE … COMMIT``), so a
killed server loses nothing it acknowledged. Two reviewers on one inventory each send the version
they saw; a write against an older version is refused with a message saying who changed what.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pycountry

from ..inventory import Inventory, _dumps, link_around, record_anchor
from ..records.model import DECIDED_FIELDS, LABELS

REVIEW_FIELDS = DECIDED_FIELDS
"""The RECORDS.md fields an analyst decides on, one by one."""

RECORD = "_record"
"""The field name of decisions about the whole record (reject, merge, split, add)."""

ENUMS = LABELS
"""The RECORDS.md vocabularies: corrections must use them."""

DECISIONS = ("accept", "correct", "reject", "merge", "split", "add")
YEAR_RANGE = (1900, 2100)


class Conflict(Exception):
    """The record changed since the reviewer saw it (the message says by whom and when)."""


class DecisionError(ValueError):
    """A decision that cannot be applied (unknown record or field, a value of the wrong type)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- validation of corrected values ---------------------------------------------------------


def _actors(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DecisionError(f"{field}: a list of names")
    names = [" ".join(v.split()) for v in value]
    return list(dict.fromkeys(n for n in names if n))


def _year(value: Any, what: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError) as exc:
        raise DecisionError(f"{what}: a year") from exc
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise DecisionError(f"{what}: a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}")
    return year


def _amount(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecisionError("amounts: each amount has value, currency and qualifier")
    try:
        number = float(value.get("value"))
    except (TypeError, ValueError) as exc:
        raise DecisionError("amounts: the value is a number") from exc
    if number != number or number < 0 or number in (float("inf"),):
        raise DecisionError("amounts: the value is a positive number")
    currency = str(value.get("currency", "")).upper().strip()
    if pycountry.currencies.get(alpha_3=currency) is None:
        raise DecisionError(f"amounts: {currency!r} is not an ISO 4217 currency")
    qualifier = value.get("qualifier") or "exact"
    if qualifier not in ENUMS["qualifier"]:
        raise DecisionError(f"amounts: the qualifier is one of {', '.join(ENUMS['qualifier'])}")
    return {
        "value": number,
        "currency": currency,
        "text": str(value.get("text") or ""),
        "qualifier": qualifier,
        "year": _year(value.get("year"), "amounts: year"),
    }


def validate(field: str, value: Any) -> Any:
    """The corrected value in the record's own types, or DecisionError saying what is expected."""
    if field == "name":
        if value is None:
            return None
        if not isinstance(value, str):
            raise DecisionError("name: text")
        return " ".join(value.split()) or None
    if field in ("funders", "implementers", "recipients"):
        return _actors(value, field)
    if field == "amounts":
        if not isinstance(value, list):
            raise DecisionError("amounts: a list of amounts")
        return [_amount(v) for v in value]
    if field == "years":
        if not isinstance(value, dict):
            raise DecisionError("years: start and end")
        start, end = _year(value.get("start"), "years: start"), _year(value.get("end"), "years: end")
        if start is not None and end is not None and end < start:
            raise DecisionError("years: the end is before the start")
        mentioned = sorted({y for y in (_year(m, "years") for m in value.get("mentioned") or []) if y})
        return {"start": start, "end": end, "mentioned": mentioned}
    if field in ("hard_soft", "scope", "modality"):
        if value in (None, ""):
            return None
        if value not in ENUMS[field]:
            raise DecisionError(f"{field}: one of {', '.join(ENUMS[field])}")
        return value
    if field == "themes":
        if not isinstance(value, list) or any(v not in ENUMS["themes"] for v in value):
            raise DecisionError(f"themes: any of {', '.join(ENUMS['themes'])}")
        return sorted(set(value), key=ENUMS["themes"].index)
    raise DecisionError(f"unknown field {field!r}")


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Loaded:
    data: dict[str, Any]
    seq: int
    sha256: str
    version: int
    status: str
    origin: str


def _load(inventory: Inventory, record_id: str) -> Loaded:
    row = inventory.conn.execute(
        "SELECT r.data, r.seq, d.sha256 FROM records r JOIN documents d ON d.doc = r.doc WHERE r.id = ?",
        (record_id,),
    ).fetchone()
    if row is None:
        raise DecisionError(f"no record {record_id!r} in the inventory")
    state = inventory.conn.execute(
        "SELECT version, status, origin FROM review_state WHERE record_id = ?", (record_id,)
    ).fetchone()
    return Loaded(
        json.loads(row[0]),
        int(row[1]),
        str(row[2]),
        int(state[0]) if state else 0,
        str(state[1]) if state else "unreviewed",
        str(state[2]) if state else "pipeline",
    )


def state(inventory: Inventory, record_id: str) -> dict[str, Any]:
    """The record's review state: version, status, whether it needs another look, reviewed fields."""
    row = inventory.conn.execute("SELECT * FROM review_state WHERE record_id = ?", (record_id,)).fetchone()
    fields = {
        r[0]: {"decision": r[1], "reviewer": r[2], "at": r[3]}
        for r in inventory.conn.execute(
            "SELECT field, decision, reviewer, at FROM reviewed_fields WHERE record_id = ?", (record_id,)
        )
    }
    return {
        "version": int(row["version"]) if row else 0,
        "status": row["status"] if row else "unreviewed",
        "needs_recheck": bool(row["needs_recheck"]) if row else False,
        "origin": row["origin"] if row else "pipeline",
        "reviewer": row["reviewer"] if row else None,
        "at": row["at"] if row else None,
        "fields": fields,
    }


def log(inventory: Inventory, record_id: str) -> list[dict[str, Any]]:
    rows = inventory.conn.execute(
        "SELECT field, reviewer, at, old_value, new_value, decision, version FROM review_log"
        " WHERE record_id = ? ORDER BY n",
        (record_id,),
    )
    return [dict(r) for r in rows]


# --- writing ---------------------------------------------------------------------------------


def _check_version(inventory: Inventory, record_id: str, seen: int, current: int) -> None:
    if seen == current:
        return
    last = inventory.conn.execute(
        "SELECT reviewer, at, field, decision FROM review_log WHERE record_id = ? ORDER BY n DESC LIMIT 1",
        (record_id,),
    ).fetchone()
    who = f" by {last[0]} at {last[1]} ({last[3]} {last[2]})" if last else ""
    raise Conflict(
        f"Record {record_id} was changed{who} after you opened it (your version {seen}, now {current})."
        " Nothing was saved: reload it to see that decision, then decide again."
    )


def _write(
    inventory: Inventory,
    loaded: Loaded,
    data: dict[str, Any],
    status: str,
    reviewer: str,
    at: str,
    origin: str | None = None,
) -> int:
    """Rewrite the record's row and its review state (inside the caller's transaction)."""
    conn = inventory.conn
    conn.execute("DELETE FROM records WHERE id = ?", (data["id"],))
    inventory._insert_record(conn, loaded.seq, data, loaded.sha256)
    version = loaded.version + 1
    conn.execute(
        "INSERT INTO review_state (record_id, doc, version, status, needs_recheck, sha256, anchor, snapshot,"
        " origin, reviewer, at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (record_id) DO UPDATE SET version = excluded.version, status = excluded.status,"
        " needs_recheck = 0, sha256 = excluded.sha256, anchor = excluded.anchor,"
        " snapshot = excluded.snapshot, reviewer = excluded.reviewer, at = excluded.at",
        (
            data["id"],
            data["doc"],
            version,
            status,
            loaded.sha256,
            record_anchor(data),
            _dumps(data),
            origin or loaded.origin,
            reviewer,
            at,
        ),
    )
    return version


def _audit(
    inventory: Inventory,
    record_id: str,
    doc: str,
    field: str,
    reviewer: str,
    at: str,
    old: Any,
    new: Any,
    decision: str,
    version: int,
) -> None:
    inventory.conn.execute(
        "INSERT INTO review_log (record_id, doc, field, reviewer, at, old_value, new_value, decision,"
        " version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (record_id, doc, field, reviewer, at, _dumps(old), _dumps(new), decision, version),
    )


def _keep_field(
    inventory: Inventory, record_id: str, field: str, value: Any, decision: str, who: str
) -> None:
    inventory.conn.execute(
        "INSERT OR REPLACE INTO reviewed_fields VALUES (?, ?, ?, ?, ?, ?)",
        (record_id, field, _dumps(value), decision, who, _now()),
    )


def decide(
    inventory: Inventory,
    record_id: str,
    field: str,
    decision: str,
    reviewer: str,
    version: int,
    value: Any = None,
) -> int:
    """Accept or correct one field, or reject (or un-reject, ``accept`` of ``_record``) the
    record; returns the record's new version. Raises Conflict on a stale version."""
    if decision not in ("accept", "correct", "reject"):
        raise DecisionError(f"decision {decision!r}: accept, correct or reject")
    if field != RECORD and field not in REVIEW_FIELDS:
        raise DecisionError(f"unknown field {field!r}")
    reviewer = _reviewer(reviewer)
    with inventory.transaction():
        loaded = _load(inventory, record_id)
        _check_version(inventory, record_id, version, loaded.version)
        data, at = loaded.data, _now()
        status = "reviewed" if loaded.status == "unreviewed" else loaded.status
        if field == RECORD:
            old: Any = loaded.status
            status = "rejected" if decision == "reject" else "reviewed"
            new: Any = status
            _keep_field(inventory, record_id, RECORD, status, decision, reviewer)
        else:
            old = data.get(field)
            if decision == "reject":
                raise DecisionError("reject applies to the whole record")
            new = old if decision == "accept" else validate(field, value)
            data[field] = new
            if field == "years":
                data["years"] = {**(old or {}), **new} if decision == "accept" else new
                new = data["years"]
            _keep_field(inventory, record_id, field, new, decision, reviewer)
        version_now = _write(inventory, loaded, data, status, reviewer, at)
        _audit(inventory, record_id, data["doc"], field, reviewer, at, old, new, decision, version_now)
        link_around(inventory.conn, data["doc"])
    return version_now


def merge(
    inventory: Inventory, record_id: str, other_id: str, reviewer: str, version: int, other_version: int
) -> int:
    """Merge ``other_id`` into ``record_id`` (same document): its evidence, actors, amounts and
    themes join the first record; the other is kept as merged, out of exports. Returns the new
    version of the first record."""
    if record_id == other_id:
        raise DecisionError("a record cannot be merged with itself")
    reviewer = _reviewer(reviewer)
    with inventory.transaction():
        a, b = _load(inventory, record_id), _load(inventory, other_id)
        _check_version(inventory, record_id, version, a.version)
        _check_version(inventory, other_id, other_version, b.version)
        if a.data["doc"] != b.data["doc"]:
            raise DecisionError("only records of one document can be merged")
        data, other, at = a.data, b.data, _now()
        before = {k: data.get(k) for k in ("spans", "evidence", "pages")}
        data["spans"] = [*(data.get("spans") or []), *(other.get("spans") or [])]
        data["evidence"] = [*(data.get("evidence") or []), *(other.get("evidence") or [])]
        data["pages"] = sorted({*(data.get("pages") or []), *(other.get("pages") or [])})
        for key in ("funders", "implementers", "recipients", "themes"):
            data[key] = list(dict.fromkeys([*(data.get(key) or []), *(other.get(key) or [])]))
        data["amounts"] = [*(data.get("amounts") or []), *(other.get("amounts") or [])]
        data["name"] = data.get("name") or other.get("name")
        for key in (
            "spans",
            "evidence",
            "pages",
            "funders",
            "implementers",
            "recipients",
            "themes",
            "amounts",
            "name",
        ):
            _keep_field(inventory, record_id, key, data.get(key), "merge", reviewer)
        version_a = _write(inventory, a, data, "reviewed", reviewer, at)
        _keep_field(inventory, other_id, RECORD, "merged", "merge", reviewer)
        version_b = _write(inventory, b, other, "merged", reviewer, at)
        _audit(inventory, record_id, data["doc"], RECORD, reviewer, at, before, other_id, "merge", version_a)
        _audit(
            inventory, other_id, data["doc"], RECORD, reviewer, at, b.status, record_id, "merge", version_b
        )
        link_around(inventory.conn, data["doc"])
    return version_a


def _new_id(inventory: Inventory, doc: str, kind: str) -> str:
    """A fresh id outside the pipeline's ``<doc>-NNNN`` sequence, so a re-run never reuses it."""
    n = 1
    while inventory.conn.execute(
        "SELECT 1 FROM records WHERE id = ? UNION SELECT 1 FROM review_state WHERE record_id = ?",
        (f"{doc}-{kind}{n}", f"{doc}-{kind}{n}"),
    ).fetchone():
        n += 1
    return f"{doc}-{kind}{n}"


def split(inventory: Inventory, record_id: str, at_span: int, reviewer: str, version: int) -> str:
    """Split a record before its evidence span ``at_span``: the spans from there on make a new
    record (the same fields, to correct). Returns the new record's id."""
    reviewer = _reviewer(reviewer)
    with inventory.transaction():
        a = _load(inventory, record_id)
        _check_version(inventory, record_id, version, a.version)
        spans = a.data.get("spans") or []
        if not 0 < at_span < len(spans):
            raise DecisionError(f"split: choose a span between 1 and {len(spans) - 1}")
        at = _now()
        new_id = _new_id(inventory, a.data["doc"], "s")
        head, tail = spans[:at_span], spans[at_span:]
        first = {**a.data, "spans": head, "evidence": [s.get("text", "") for s in head]}
        first["pages"] = sorted({p for s in head for p in s.get("pages") or []})
        second = {**a.data, "id": new_id, "spans": tail, "evidence": [s.get("text", "") for s in tail]}
        second["pages"] = sorted({p for s in tail for p in s.get("pages") or []})
        for key in ("spans", "evidence", "pages"):
            _keep_field(inventory, record_id, key, first[key], "split", reviewer)
        version_a = _write(inventory, a, first, "reviewed", reviewer, at)
        seq = _next_seq(inventory, a.data["doc"])
        added = Loaded(second, seq, a.sha256, 0, "unreviewed", "split")
        version_b = _write(inventory, added, second, "reviewed", reviewer, at, origin="split")
        _audit(
            inventory, record_id, a.data["doc"], RECORD, reviewer, at, len(spans), new_id, "split", version_a
        )
        _audit(inventory, new_id, a.data["doc"], RECORD, reviewer, at, record_id, new_id, "split", version_b)
        link_around(inventory.conn, a.data["doc"])
    return new_id


def _next_seq(inventory: Inventory, doc: str) -> int:
    row = inventory.conn.execute("SELECT MAX(seq) FROM records WHERE doc = ?", (doc,)).fetchone()
    return int(row[0] or 0) + 1


def add(
    inventory: Inventory,
    doc: str,
    page: int,
    text: str,
    box: list[float],
    reviewer: str,
    fields: dict[str, Any] | None = None,
) -> str:
    """Add a record the pipeline missed, grounded in text the analyst selected on a page."""
    reviewer = _reviewer(reviewer)
    text = " ".join(text.split())
    if not text:
        raise DecisionError("add: select the text of the missed record on the page")
    with inventory.transaction():
        row = inventory.conn.execute("SELECT sha256, pages FROM documents WHERE doc = ?", (doc,)).fetchone()
        if row is None:
            raise DecisionError(f"no document {doc!r} in the inventory")
        if not 1 <= page <= int(row[1] or 0):
            raise DecisionError(f"add: page {page} is not in {doc}")
        at = _now()
        new_id = _new_id(inventory, doc, "a")
        data: dict[str, Any] = {
            "id": new_id,
            "doc": doc,
            "name": None,
            "evidence": [text],
            "pages": [page],
            "funders": [],
            "implementers": [],
            "recipients": [],
            "amounts": [],
            "years": {"start": None, "end": None, "mentioned": []},
            "hard_soft": None,
            "scope": None,
            "modality": None,
            "themes": [],
            "spans": [
                {
                    "text": text,
                    "start": None,
                    "end": None,
                    "pages": [page],
                    "boxes": [[page, [round(float(v), 2) for v in box[:4]]]],
                    "source": "review",
                    "joined_by": "start",
                }
            ],
            "confidence": {},
        }
        for key, value in (fields or {}).items():
            data[key] = validate(key, value)
        loaded = Loaded(data, _next_seq(inventory, doc), str(row[0]), 0, "unreviewed", "add")
        version = _write(inventory, loaded, data, "reviewed", reviewer, at, origin="add")
        for key in ("evidence", "pages", "spans", *(fields or {})):
            _keep_field(inventory, new_id, key, data[key], "add", reviewer)
        _audit(inventory, new_id, doc, RECORD, reviewer, at, None, data, "add", version)
        link_around(inventory.conn, doc)
    return new_id


_REVIEWER = re.compile(r"[^\w .@-]")


def _reviewer(name: str) -> str:
    cleaned = _REVIEWER.sub("", name or "").strip()[:60]
    if not cleaned:
        raise DecisionError("say who reviews (a reviewer name)")
    return cleaned
