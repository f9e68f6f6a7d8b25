"""The inventory: every document and record csminer has mined, in one embedded SQLite file.

The record files of a run are a snapshot; the inventory is what accumulates across runs and
reports. It knows which file (sha256) and which pipeline and model versions gave each
document's records, so a re-run skips what is unchanged, a changed PDF replaces only its own
records, and a new version says what it changed. Records of different reports that describe
the same intervention are joined into one intervention with several sources, and each fact
keeps the document it came from: figures that disagree stand side by side, never merged.

Every document is written in one ``BEGIN IMMEDIATE … COMMIT`` transaction in WAL mode, so a
process killed at any moment leaves an inventory that opens and holds every document finished
before the kill; the schema evolves by numbered migrations applied in order.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .text import name_key

if TYPE_CHECKING:
    from .records.model import Record

MIGRATIONS: list[str] = [
    # v1: documents and their records, with evidence and actors in their own tables for queries.
    """
    CREATE TABLE documents (
        doc TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        title TEXT,
        pages INTEGER,
        status TEXT NOT NULL,
        errors TEXT NOT NULL DEFAULT '[]',
        pipeline_version TEXT NOT NULL,
        model_version TEXT NOT NULL,
        processed_at TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE records (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL REFERENCES documents(doc) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        name TEXT,
        funders TEXT NOT NULL,
        implementers TEXT NOT NULL,
        recipients TEXT NOT NULL,
        amounts TEXT NOT NULL,
        years_start INTEGER,
        years_end INTEGER,
        years TEXT NOT NULL,
        hard_soft TEXT,
        scope TEXT,
        modality TEXT,
        themes TEXT NOT NULL,
        confidence TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX records_doc ON records(doc, seq);
    CREATE TABLE evidence (
        record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        page INTEGER,
        start INTEGER,
        "end" INTEGER,
        box TEXT,
        source TEXT,
        quote TEXT NOT NULL
    );
    CREATE INDEX evidence_record ON evidence(record_id);
    CREATE TABLE actors (
        record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        name TEXT NOT NULL
    );
    CREATE INDEX actors_record ON actors(record_id);
    CREATE INDEX actors_name ON actors(name, role);
    """,
    # v2: what each (re)processing changed, and interventions joined across reports.
    """
    CREATE TABLE changes (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        doc TEXT NOT NULL,
        at TEXT NOT NULL,
        reason TEXT NOT NULL,
        old_sha256 TEXT,
        new_sha256 TEXT NOT NULL,
        old_versions TEXT,
        new_versions TEXT NOT NULL,
        added INTEGER NOT NULL,
        removed INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        unchanged INTEGER NOT NULL
    );
    CREATE TABLE interventions (
        id TEXT PRIMARY KEY,
        name TEXT,
        documents INTEGER NOT NULL,
        records INTEGER NOT NULL,
        conflicts TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE record_sources (
        intervention_id TEXT NOT NULL REFERENCES interventions(id) ON DELETE CASCADE,
        record_id TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (intervention_id, record_id)
    );
    CREATE INDEX record_sources_record ON record_sources(record_id);
    CREATE TABLE intervention_facts (
        intervention_id TEXT NOT NULL REFERENCES interventions(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        doc TEXT NOT NULL,
        record_id TEXT NOT NULL
    );
    CREATE INDEX intervention_facts_iv ON intervention_facts(intervention_id, field);
    """,
    # v3: every path a document's file was seen at, and which run is mining which document.
    """
    CREATE TABLE document_paths (
        doc TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (doc, path)
    );
    CREATE INDEX document_paths_path ON document_paths(path);
    CREATE TABLE claims (
        doc TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        claimed_at REAL NOT NULL
    );
    """,
    # v4: analysts' review decisions (pipeline.review): an audit log, a version per record for
    # optimistic concurrency, and the reviewed fields a re-run must keep.
    """
    CREATE TABLE review_log (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL,
        doc TEXT NOT NULL,
        field TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        at TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT,
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'correct', 'reject', 'merge', 'split', 'add')),
        version INTEGER NOT NULL
    );
    CREATE INDEX review_log_record ON review_log(record_id);
    CREATE TABLE review_state (
        record_id TEXT PRIMARY KEY,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'unreviewed',
        needs_recheck INTEGER NOT NULL DEFAULT 0,
        sha256 TEXT,
        anchor TEXT,
        snapshot TEXT,
        origin TEXT NOT NULL DEFAULT 'pipeline',
        reviewer TEXT,
        at TEXT
    );
    CREATE INDEX review_state_doc ON review_state(doc);
    CREATE TABLE reviewed_fields (
        record_id TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        decision TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (record_id, field)
    );
    """,
    # v5: what links records across reports, indexed, so storing a document relinks only the
    # interventions around it (filled for the records already there when applied).
    """
    CREATE TABLE link_keys (
        record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
        key TEXT NOT NULL
    );
    CREATE INDEX link_keys_key ON link_keys(key);
    CREATE INDEX link_keys_record ON link_keys(record_id);
    CREATE INDEX record_sources_doc ON record_sources(doc);
    """,
    # v6: name keys for the names the text gives as one program (an acronym, a renaming), and
    # every intervention rebuilt by a linking rule that never joins two programs (the link keys
    # are made again and the interventions rebuilt when applied).
    """
    DELETE FROM link_keys;
    """,
]
"""Numbered schema migrations: script ``i`` takes the database from version ``i`` to ``i + 1``.
Never edit a released script; append a new one."""

SCHEMA_VERSION = len(MIGRATIONS)
LINK_KEYS_VERSION = 5
"""The migration that adds ``link_keys`` (:func:`link_keys`)."""
RELINK_VERSIONS = (LINK_KEYS_VERSION, 6)
"""Migrations after which the link keys are made from the records and every intervention rebuilt
(once, however many of them one opening applies)."""

ROLES = (("funder", "funders"), ("implementer", "implementers"), ("recipient", "recipients"))

AMOUNT_TOLERANCE = 0.005
"""Two amounts are the same figure when they differ by at most 0.5% of the larger."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)


@dataclass
class StoreResult:
    """What writing one document did to the inventory."""

    doc: str
    reason: str
    """new | unchanged | changed-file | new-version | forced"""
    added: int
    removed: int
    updated: int
    unchanged: int


class InventoryError(Exception):
    """The inventory cannot be opened: not SQLite, a directory, unwritable, a newer schema (the
    message says why, without the path: callers name it)."""


BUSY_SECONDS = 60.0
"""How long a connection waits for another process's write (creation, migration, a document)."""


class Inventory:
    """The SQLite inventory; one connection per process. Several processes may share one file:
    creation and migrations run inside one ``BEGIN IMMEDIATE``, and :meth:`claim` tells a run
    which documents another run is mining."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise InventoryError("it is a directory")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are ours (BEGIN IMMEDIATE … COMMIT), not the module's.
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_SECONDS)
        except (OSError, sqlite3.Error) as exc:
            raise InventoryError(f"it cannot be opened ({exc})") from exc
        try:
            self.conn.row_factory = sqlite3.Row
            self._retry_busy(lambda: self.conn.execute("PRAGMA journal_mode=WAL"))
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise InventoryError(f"SQLite says: {exc}") from exc
        except BaseException:
            self.conn.close()
            raise
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    def _retry_busy(self, action: Any) -> Any:
        """Run ``action``, retrying while another process holds the lock: switching to WAL takes
        an exclusive lock that the busy timeout does not always wait for."""
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (IMMEDIATE) so no reader upgrade can deadlock."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- schema ------------------------------------------------------------------------------

    def version(self) -> int:
        exists = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if not exists:
            return 0
        row = self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self, target: int = SCHEMA_VERSION) -> int:
        """Apply the missing migrations in order; return the version.

        The version is read and the migrations applied inside one ``BEGIN IMMEDIATE``: two
        processes opening a new inventory at once take turns, and the second finds nothing to do.
        """
        if self.version() >= target:  # the common case takes no write lock
            return self._check_version()
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)"
            )
            current = self.version()
            foreign = conn.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND name != 'schema_version'"
            ).fetchone()[0]
            if current == 0 and foreign:  # another program's database: never add tables to it
                raise InventoryError("it is an SQLite database of another program (no csminer schema)")
            if current > len(MIGRATIONS):
                raise InventoryError(f"its schema v{current} is newer than this csminer (v{SCHEMA_VERSION})")
            for number in range(current + 1, target + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version VALUES (?, ?)", (number, _now()))
            if any(current < number <= target for number in RELINK_VERSIONS):
                _fill_link_keys(conn)
        return self._check_version()

    def _check_version(self) -> int:
        current = self.version()
        if current > len(MIGRATIONS):
            raise InventoryError(f"its schema v{current} is newer than this csminer (v{SCHEMA_VERSION})")
        return current

    # --- reading -----------------------------------------------------------------------------

    def document(self, doc: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM documents WHERE doc = ?", (doc,)).fetchone()
        return dict(row) if row else None

    def doc_at(self, path: str) -> str | None:
        """The document last seen at ``path``."""
        row = self.conn.execute(
            "SELECT doc FROM document_paths WHERE path = ? ORDER BY last_seen DESC LIMIT 1", (path,)
        ).fetchone()
        if row is None:
            row = self.conn.execute("SELECT doc FROM documents WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def docs_with_sha(self, sha256: str) -> list[str]:
        """Documents whose file had these bytes, from either table."""
        rows = self.conn.execute(
            "SELECT doc FROM documents WHERE sha256 = ?"
            " UNION SELECT doc FROM document_paths WHERE sha256 = ?",
            (sha256, sha256),
        )
        return sorted(r[0] for r in rows)

    def paths(self, doc: str) -> list[str]:
        """Every path the document's file was seen at."""
        rows = self.conn.execute("SELECT path FROM document_paths WHERE doc = ? ORDER BY path", (doc,))
        return [r[0] for r in rows]

    # --- claims: runs sharing one inventory ---------------------------------------------------

    def claim(self, doc: str, take_over: bool = False) -> str | None:
        """Claim ``doc`` for this run; None when claimed, else the live owner that holds it.

        A claim whose process is gone (same host, no such pid) is taken over: a run killed with
        ``kill -9`` leaves claims behind, and the next run must not wait for them. ``take_over``
        takes any claim (one held far longer than a document may take).
        """
        with self.transaction() as conn:
            row = conn.execute("SELECT owner, host, pid FROM claims WHERE doc = ?", (doc,)).fetchone()
            if row and not take_over and row["owner"] != self.owner and _alive(row["host"], row["pid"]):
                return str(row["owner"])
            conn.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                (doc, self.owner, socket.gethostname(), os.getpid(), time.time()),
            )
        return None

    def claimed_by_other(self, doc: str) -> bool:
        row = self.conn.execute("SELECT owner, host, pid FROM claims WHERE doc = ?", (doc,)).fetchone()
        return bool(row and row["owner"] != self.owner and _alive(row["host"], row["pid"]))

    def release(self, docs: Iterable[str] | None = None) -> None:
        """Drop this run's claims (all of them by default)."""
        with self.transaction() as conn:
            if docs is None:
                conn.execute("DELETE FROM claims WHERE owner = ?", (self.owner,))
            else:
                conn.executemany(
                    "DELETE FROM claims WHERE doc = ? AND owner = ?", [(d, self.owner) for d in docs]
                )

    def documents(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT d.*, (SELECT COUNT(*) FROM records r WHERE r.doc = d.doc) AS records "
            "FROM documents d ORDER BY d.doc"
        )
        return [dict(r) for r in rows]

    def is_current(self, doc: str, sha256: str, pipeline_version: str, model_version: str) -> bool:
        """True when ``doc`` was mined from these very bytes by these versions (and did not fail:
        a failure is cheap to retry and may have been a missing password)."""
        row = self.document(doc)
        return bool(
            row
            and row["sha256"] == sha256
            and row["pipeline_version"] == pipeline_version
            and row["model_version"] == model_version
            and row["status"] != "failure"
        )

    def records(self, doc: str | None = None) -> list[dict[str, Any]]:
        """Records as written by ``Record.to_dict`` (byte for byte once dumped), by doc then id."""
        return list(self.iter_records(doc))

    def iter_records(self, doc: str | None = None) -> Iterator[dict[str, Any]]:
        """:meth:`records` one at a time, read from the database as they are asked for: an
        export of a large inventory holds one record at a time, not all of them."""
        if doc is None:
            rows = self.conn.execute("SELECT data FROM records ORDER BY doc, seq")
        else:
            rows = self.conn.execute("SELECT data FROM records WHERE doc = ? ORDER BY seq", (doc,))
        for (data,) in rows:
            yield json.loads(data)

    def sources(self) -> dict[str, dict[str, Any]]:
        """Per record id: its intervention and every record (with its doc) joined to it."""
        members: dict[str, list[dict[str, str]]] = {}
        for row in self.conn.execute(
            "SELECT intervention_id, record_id, doc FROM record_sources"
            " ORDER BY intervention_id, doc, record_id"
        ):
            members.setdefault(row[0], []).append({"doc": row[2], "record": row[1]})
        out: dict[str, dict[str, Any]] = {}
        for iv, items in members.items():
            for item in items:
                out[item["record"]] = {"intervention": iv, "sources": items}
        return out

    def export_sources(self) -> dict[str, dict[str, Any]]:
        """Per record id: its intervention and, as an export lists them, its sources: one record per
        document of the intervention (the record itself for its own document, the intervention's
        first record of each other one), in document order. Listing every record of every
        document for every record would grow with the square of an intervention's size; which
        documents state it is what a record's reader needs, and every member is in
        :meth:`sources`."""
        members: dict[str, list[tuple[str, str]]] = {}
        for iv, record_id, doc in self.conn.execute(
            "SELECT intervention_id, record_id, doc FROM record_sources"
            " ORDER BY intervention_id, doc, record_id"
        ):
            members.setdefault(iv, []).append((doc, record_id))
        out: dict[str, dict[str, Any]] = {}
        for iv, items in members.items():
            firsts: dict[str, dict[str, str]] = {}
            for doc, record_id in items:
                firsts.setdefault(doc, {"doc": doc, "record": record_id})
            listed = list(firsts.values())
            for doc, record_id in items:
                own = firsts[doc]
                if own["record"] == record_id:
                    out[record_id] = {"intervention": iv, "sources": listed}
                else:
                    mine = {"doc": doc, "record": record_id}
                    out[record_id] = {
                        "intervention": iv,
                        "sources": [mine if s is own else s for s in listed],
                    }
        return out

    def review_marks(self) -> dict[str, dict[str, Any]]:
        """Per reviewed record: its review status, whether it needs another look, and per reviewed
        field the decision, reviewer and time (what ``export`` marks)."""
        marks: dict[str, dict[str, Any]] = {}
        for row in self.conn.execute(
            "SELECT record_id, status, needs_recheck FROM review_state WHERE status != 'unreviewed'"
        ):
            marks[row[0]] = {"status": row[1], "needs_recheck": bool(row[2]), "fields": {}}
        for row in self.conn.execute(
            "SELECT record_id, field, decision, reviewer, at FROM reviewed_fields ORDER BY record_id, field"
        ):
            if row[0] in marks:
                marks[row[0]]["fields"][row[1]] = {"decision": row[2], "reviewer": row[3], "at": row[4]}
        return marks

    # --- writing -----------------------------------------------------------------------------

    def store(
        self,
        summary: dict[str, Any],
        records: Iterable[Record | dict[str, Any]],
        forced: bool = False,
        title: str | None = None,
        paths: Iterable[str] = (),
    ) -> StoreResult:
        """Replace one document and its records in one transaction, and say what changed.

        The document is keyed by ``doc`` (the file's stem, as record ids are); a row for the
        same path under another doc is dropped too, so a renamed file does not linger.
        """
        from .records.model import Record  # imported here: reading an inventory needs no records model

        new = [r.to_dict() if isinstance(r, Record) else r for r in records]
        doc = summary["doc"]
        with self.transaction() as conn:
            old_doc = self.document(doc)
            old = {r["id"]: r for r in self.records(doc)}
            new = keep_reviews(conn, doc, new, summary.get("sha256") or "")
            reason = _reason(old_doc, summary, forced)
            added, removed, updated, unchanged = _diff(old, new)
            before = evidence_neighbours(conn, doc) if old else []
            conn.execute("DELETE FROM documents WHERE doc = ? OR path = ?", (doc, summary["path"]))
            conn.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc,
                    summary["path"],
                    summary.get("sha256") or "",
                    title,
                    summary.get("pages"),
                    summary["status"],
                    _dumps(summary.get("errors", [])),
                    summary.get("pipeline_version", ""),
                    summary.get("model_version", ""),
                    _now(),
                    _dumps(summary),
                ),
            )
            for seq, data in enumerate(new):
                self._insert_record(conn, seq, data, summary.get("sha256") or "")
            now = _now()
            for seen in dict.fromkeys([summary["path"], *paths]):
                conn.execute(
                    "INSERT INTO document_paths VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc, path)"
                    " DO UPDATE SET sha256 = excluded.sha256, last_seen = excluded.last_seen",
                    (doc, seen, summary.get("sha256") or "", now, now),
                )
            conn.execute("DELETE FROM claims WHERE doc = ? AND owner = ?", (doc, self.owner))
            if reason != "unchanged" or added or removed or updated:
                conn.execute(
                    "INSERT INTO changes (doc, at, reason, old_sha256, new_sha256, old_versions,"
                    " new_versions, added, removed, updated, unchanged)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc,
                        _now(),
                        reason,
                        old_doc["sha256"] if old_doc else None,
                        summary.get("sha256") or "",
                        _versions(old_doc) if old_doc else None,
                        _versions(summary),
                        added,
                        removed,
                        updated,
                        unchanged,
                    ),
                )
            link_around(conn, doc, before)
        return StoreResult(doc, reason, added, removed, updated, unchanged)

    def remove(self, doc: str) -> int | None:
        """Remove a document, its records and paths in one transaction, logged in ``changes``
        (reason ``removed``); the number of records removed, or None when ``doc`` is unknown."""
        with self.transaction() as conn:
            old_doc = self.document(doc)
            if old_doc is None:
                return None
            count = conn.execute("SELECT COUNT(*) FROM records WHERE doc = ?", (doc,)).fetchone()[0]
            before = evidence_neighbours(conn, doc)
            conn.execute("DELETE FROM documents WHERE doc = ?", (doc,))  # records, evidence, actors cascade
            conn.execute("DELETE FROM document_paths WHERE doc = ?", (doc,))
            conn.execute(
                "INSERT INTO changes (doc, at, reason, old_sha256, new_sha256, old_versions,"
                " new_versions, added, removed, updated, unchanged)"
                " VALUES (?, ?, 'removed', ?, '', ?, '', 0, ?, 0, 0)",
                (doc, _now(), old_doc["sha256"], _versions(old_doc), count),
            )
            link_around(conn, doc, before)
        return int(count)

    def seen(self, doc: str, path: str, sha256: str) -> None:
        """Record that ``doc``'s file was found at ``path`` (a cached document is not rewritten)."""
        now = _now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO document_paths VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc, path)"
                " DO UPDATE SET sha256 = excluded.sha256, last_seen = excluded.last_seen",
                (doc, path, sha256, now, now),
            )

    def _insert_record(self, conn: sqlite3.Connection, seq: int, data: dict[str, Any], sha256: str) -> None:
        years = data.get("years") or {}
        conn.execute(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                data["id"],
                data["doc"],
                seq,
                data.get("name"),
                _dumps(data.get("funders", [])),
                _dumps(data.get("implementers", [])),
                _dumps(data.get("recipients", [])),
                _dumps(data.get("amounts", [])),
                years.get("start"),
                years.get("end"),
                _dumps(years),
                data.get("hard_soft"),
                data.get("scope"),
                data.get("modality"),
                _dumps(data.get("themes", [])),
                _dumps(data.get("confidence", {})),
                _dumps(data),
            ),
        )
        spans = data.get("spans") or [{"text": t} for t in data.get("evidence", [])]
        for n, span in enumerate(spans):
            boxes = span.get("boxes") or []
            pages = span.get("pages") or [None]
            for page in pages:
                page_boxes = [b[1] for b in boxes if b and b[0] == page]
                conn.execute(
                    "INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        data["id"],
                        n,
                        sha256,
                        page,
                        span.get("start"),
                        span.get("end"),
                        _dumps(page_boxes) if page_boxes else None,
                        span.get("source"),
                        span.get("text", ""),
                    ),
                )
        for role, key in ROLES:
            for name in data.get(key, []):
                conn.execute("INSERT INTO actors VALUES (?, ?, ?)", (data["id"], role, name))
        conn.executemany(
            "INSERT INTO link_keys VALUES (?, ?)", [(data["id"], k) for k in sorted(link_keys(data))]
        )

    # --- interventions across reports ---------------------------------------------------------


def relink(conn: sqlite3.Connection) -> None:
    """Rebuild every intervention from all records, deterministically (whatever the order in
    which documents arrived), by the rule of :func:`_clusters`. Storing a document relinks only
    the interventions around it (:func:`link_around`), to the same result; this is the whole
    rebuild, run when the link keys are first made or the linking rule changes."""
    rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM records ORDER BY doc, seq")]
    ids = [r["id"] for r in rows]
    names = {r["id"]: {f"name\x1f{k}" for k in name_keys(r)} for r in rows}
    # only an unnamed record's evidence places it; a named record is placed by its name
    evidence: dict[str, list[str]] = {i: [] for i in ids if not names[i]}

    def link(a: int, b: int) -> None:
        if ids[a] in evidence:
            evidence[ids[a]].append(ids[b])
        if ids[b] in evidence:
            evidence[ids[b]].append(ids[a])

    for a, b in same_passages(rows):
        link(a, b)
    # a shared funder and recipient with matching figures: only records with an amount in the
    # same or the next bucket can match, see link_keys
    by_pair: dict[tuple[str, str, str, int], list[int]] = {}
    for i, r in enumerate(rows):
        buckets = _amount_buckets(r)
        for f in r.get("funders", []):
            for rec in r.get("recipients", []):
                for currency, bucket in buckets:
                    by_pair.setdefault((f, rec, currency, bucket), []).append(i)
    matched: set[tuple[int, int]] = set()
    for (f, rec, currency, bucket), group in by_pair.items():
        near = group + by_pair.get((f, rec, currency, bucket + 1), [])
        for a_pos, a in enumerate(group):
            for b in near[a_pos + 1 :]:
                pair = (min(a, b), max(a, b))
                if pair in matched or rows[a]["doc"] == rows[b]["doc"]:
                    continue
                if (ids[a] in evidence or ids[b] in evidence) and _figures_match(rows[a], rows[b]):
                    matched.add(pair)
                    link(a, b)
    conn.execute("DELETE FROM intervention_facts")
    conn.execute("DELETE FROM record_sources")
    conn.execute("DELETE FROM interventions")
    by_id = dict(zip(ids, rows, strict=True))
    for group in _clusters(ids, names, evidence, {}):
        _write_intervention(conn, [by_id[i] for i in group])


def _clusters(
    ids: list[str], names: dict[str, set[str]], evidence: dict[str, list[str]], stay: dict[str, str]
) -> list[list[str]]:
    """Records grouped into interventions (each group in the order of ``ids``).

    - A named record belongs to its program: records sharing a name key (``names``: the name,
      or one the text gives for it: an acronym, a former name) are one intervention, and two
      records whose names share none never are, whatever else they share.
    - An unnamed record linked by ``evidence`` (a shared passage, or a shared funder and
      recipient with overlapping years and a matching stated total) to named records joins them
      when they are all one program; linked to several programs, it is evidence of none and
      stays alone, so it never chains programs together.
    - An unnamed record linked to no named record joins the unnamed records it is linked to that
      are themselves linked to no named record.

    ``stay``: unnamed records whose links are unchanged and not read, each with a named record of
    the intervention they are in (their place is unchanged)."""
    union = _Union()
    for rid in ids:
        union.find(rid)
        for key in sorted(names.get(rid, ())):
            union.join(key, rid)

    def unattached(rid: str) -> bool:
        return rid not in stay and not names.get(rid) and not any(names.get(n) for n in evidence.get(rid, ()))

    for rid in ids:
        if names.get(rid):
            continue
        if rid in stay:
            union.join(stay[rid], rid)
            continue
        linked = evidence.get(rid, [])
        named = [n for n in linked if names.get(n)]
        if named:
            if len({union.find(n) for n in named}) == 1:
                union.join(named[0], rid)
        else:
            for other in linked:
                if unattached(other):
                    union.join(other, rid)
    groups: dict[str, list[str]] = {}
    for rid in ids:
        groups.setdefault(union.find(rid), []).append(rid)
    return list(groups.values())


def _write_intervention(conn: sqlite3.Connection, group: list[dict[str, Any]]) -> None:
    """One intervention from its records (in doc, then document order): its id is its first
    record's, each record a source, each fact with its document, the fields its sources disagree on."""
    first = min(group, key=lambda r: (r["doc"], r["id"]))
    iv = f"iv-{first['id']}"
    facts = [(field, value, r["doc"], r["id"]) for r in group for field, value in _facts(r)]
    conflicts = sorted(
        {f for f, _, _, _ in facts if f in CONFLICT_FIELDS}
        & {f for f in CONFLICT_FIELDS if len({v for g, v, _, _ in facts if g == f}) > 1}
    )
    names = [r.get("name") for r in group if r.get("name")]
    documents = len({r["doc"] for r in group})
    conn.execute(
        "INSERT INTO interventions VALUES (?, ?, ?, ?, ?)",
        (iv, names[0] if names else None, documents, len(group), _dumps(conflicts)),
    )
    conn.executemany("INSERT INTO record_sources VALUES (?, ?, ?)", [(iv, r["id"], r["doc"]) for r in group])
    conn.executemany(
        "INSERT INTO intervention_facts VALUES (?, ?, ?, ?, ?)",
        [(iv, f, v, d, rid) for f, v, d, rid in facts],
    )


LINK_BUCKET = math.log(1.01)
"""Width of an amount bucket in ``link_keys`` (log scale): wider than :data:`AMOUNT_TOLERANCE`,
so two amounts that match are in the same or neighbouring buckets."""


def _amount_buckets(record: dict[str, Any]) -> set[tuple[str, int]]:
    buckets: set[tuple[str, int]] = set()
    for amount in record.get("amounts", []):
        value = amount.get("value")
        if isinstance(value, int | float) and value and math.isfinite(value):
            buckets.add((str(amount.get("currency")), math.floor(math.log(abs(value)) / LINK_BUCKET)))
    return buckets


def link_keys(record: dict[str, Any]) -> set[str]:
    """What a record can be linked by, as index keys: its name keys, its evidence sentences, and
    per funder, recipient and amount a (funder, recipient, currency, amount bucket) key. Two
    records :func:`relink` joins always share a key, so the records that share none with a
    document's records are never looked at when it is stored."""
    keys = {f"name\x1f{k}" for k in name_keys(record)}
    keys.update(f"text\x1f{k}" for k in _evidence_keys(record))
    buckets = _amount_buckets(record)
    for funder in record.get("funders", []):
        for recipient in record.get("recipients", []):
            keys.update(f"pair\x1f{funder}\x1f{recipient}\x1f{c}\x1f{b}" for c, b in buckets)
    return keys


def _fill_link_keys(conn: sqlite3.Connection) -> None:
    """The link keys of the records an inventory held before it had them, and its interventions
    rebuilt once with them."""
    conn.execute("DELETE FROM link_keys")
    for record_id, data in conn.execute("SELECT id, data FROM records").fetchall():
        keys = link_keys(json.loads(data))
        conn.executemany("INSERT INTO link_keys VALUES (?, ?)", [(record_id, k) for k in sorted(keys)])
    relink(conn)


LIGHT_COLUMNS = (
    "id, doc, seq, name, funders, implementers, recipients, amounts, years, hard_soft, scope, modality"
)
"""The record columns linking and an intervention's facts read (not the whole record)."""
CHUNK = 500
"""Ids per ``IN (…)`` query (under SQLite's limit on parameters)."""


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for n in range(0, len(items), CHUNK):
        yield items[n : n + CHUNK]


def _marks(items: list[str]) -> str:
    return ", ".join("?" * len(items))


class _Neighbourhood:
    """The records around some records, read from the inventory as they are reached."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.rows: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, list[str]] = {}
        self._holders: dict[str, list[str]] = {}
        self._documents: dict[str, list[dict[str, Any]]] = {}
        self._passages: dict[tuple[str, str], dict[str, set[str]]] = {}

    def load(self, ids: Iterable[str], keys: bool = True) -> None:
        """Read the light rows (and with ``keys`` the link keys) of ``ids`` not read yet; ids no
        record has are skipped."""
        wanted = list(dict.fromkeys(ids))
        for chunk in _chunks([i for i in wanted if i not in self.rows]):
            for row in self.conn.execute(
                f"SELECT {LIGHT_COLUMNS} FROM records WHERE id IN ({_marks(chunk)})", chunk
            ):
                self.rows[row[0]] = _light(row)
        if not keys:
            return
        for chunk in _chunks([i for i in wanted if i in self.rows and i not in self.keys]):
            for record_id in chunk:
                self.keys[record_id] = []
            for record_id, key in self.conn.execute(
                f"SELECT record_id, key FROM link_keys WHERE record_id IN ({_marks(chunk)})", chunk
            ):
                self.keys[record_id].append(key)

    def links(self, record_id: str) -> list[str]:
        """The records of other documents linked to ``record_id`` by evidence, as :func:`relink`
        links them: those it shares a passage with, and those it matches by funder, recipient,
        years and a stated total (:func:`_figures_match`)."""
        self.load([record_id])
        row = self.rows[record_id]
        out: list[str] = []
        for key in self.keys[record_id]:
            kind = key.split("\x1f", 1)[0]
            if kind == "text":
                holders = self.holders(key)
                self.load(holders, keys=False)
                others = {self.rows[h]["doc"] for h in holders if h in self.rows} - {row["doc"]}
                for other in sorted(others):
                    out += sorted(self.passage_partners(record_id, other))
            elif kind == "pair":
                head, bucket = key.rsplit("\x1f", 1)
                candidates = [h for b in (-1, 0, 1) for h in self.holders(f"{head}\x1f{int(bucket) + b}")]
                self.load(candidates, keys=False)
                for other_id in candidates:
                    other = self.rows.get(other_id)
                    if other and other["doc"] != row["doc"] and _figures_match(row, other):
                        out.append(other_id)
        return list(dict.fromkeys(out))

    def names(self, record_id: str) -> set[str]:
        """The name keys of a loaded record (with its link keys): empty for an unnamed record."""
        return {k for k in self.keys.get(record_id, ()) if k.startswith("name\x1f")}

    def holders(self, key: str) -> list[str]:
        if key not in self._holders:
            self._holders[key] = [
                r[0] for r in self.conn.execute("SELECT record_id FROM link_keys WHERE key = ?", (key,))
            ]
        return self._holders[key]

    def passage_partners(self, record_id: str, other_doc: str) -> set[str]:
        """The records of ``other_doc`` that :func:`same_passages` pairs with ``record_id``: the
        pairing of two documents depends on their records only, so it is made for both at once."""
        doc = self.rows[record_id]["doc"]
        pair = (min(doc, other_doc), max(doc, other_doc))
        if pair not in self._passages:
            rows = self._document(pair[0]) + self._document(pair[1])
            partners: dict[str, set[str]] = {}
            for a, b in same_passages(rows):
                partners.setdefault(rows[a]["id"], set()).add(rows[b]["id"])
                partners.setdefault(rows[b]["id"], set()).add(rows[a]["id"])
            self._passages[pair] = partners
        return self._passages[pair].get(record_id, set())

    def _document(self, doc: str) -> list[dict[str, Any]]:
        if doc not in self._documents:
            self._documents[doc] = [
                json.loads(r[0])
                for r in self.conn.execute("SELECT data FROM records WHERE doc = ? ORDER BY seq", (doc,))
            ]
        return self._documents[doc]


def _light(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    (id_, doc, seq, name, funders, implementers, recipients, amounts, years, hs, scope, modality) = row
    return {
        "id": id_,
        "doc": doc,
        "seq": seq,
        "name": name,
        "funders": json.loads(funders),
        "implementers": json.loads(implementers),
        "recipients": json.loads(recipients),
        "amounts": json.loads(amounts),
        "years": json.loads(years),
        "hard_soft": hs,
        "scope": scope,
        "modality": modality,
    }


def evidence_neighbours(conn: sqlite3.Connection, doc: str) -> list[str]:
    """The unnamed records of other documents linked by evidence to ``doc``'s records as they are
    now: where they belong may change when those records change (read before changing them)."""
    near = _Neighbourhood(conn)
    seeds = [r[0] for r in conn.execute("SELECT id FROM records WHERE doc = ? ORDER BY seq", (doc,))]
    near.load(seeds)
    linked = [n for rid in seeds for n in near.links(rid)]
    near.load(linked)
    return [n for n in dict.fromkeys(linked) if n in near.rows and not near.names(n)]


def link_around(conn: sqlite3.Connection, doc: str, before: Iterable[str] | None = None) -> None:
    """Relink the interventions a store or removal of ``doc`` can change, to what :func:`relink`
    would give, reading only the records around ``doc``'s through ``link_keys``.

    ``before``: the unnamed records linked by evidence to ``doc``'s records before they changed
    (:func:`evidence_neighbours`); without it, the unnamed records of the interventions ``doc``'s
    records were in are placed again (an edit that leaves its records in place).

    The records whose place can change are ``doc``'s, the unnamed records linked to them (now or
    before) and the interventions they are in; around them, the region relinked takes in every
    record of a program they name, and the links of the unnamed records whose place depends on
    them. An unnamed record of a named intervention outside what
    changed stays where it is, unread."""
    near = _Neighbourhood(conn)
    seeds = [r[0] for r in conn.execute("SELECT id FROM records WHERE doc = ? ORDER BY seq", (doc,))]
    old = [
        r[0]
        for r in conn.execute("SELECT DISTINCT intervention_id FROM record_sources WHERE doc = ?", (doc,))
    ]
    near.load(seeds)
    changed = list(seeds)
    for rid in seeds:
        changed += near.links(rid)
    if before is None:
        before = _members(conn, old)
    changed += list(before)
    near.load(changed)
    changed = [i for i in dict.fromkeys(changed) if i in near.rows and (i in seeds or not near.names(i))]
    need = set(changed)  # records whose links are read
    evidence: dict[str, list[str]] = {}
    stay: dict[str, str] = {}
    region: list[str] = []
    seen: set[str] = set()
    ivs: set[str] = set()
    names_done: set[str] = set()
    queue = changed + _members(conn, old)
    ivs.update(old)
    fresh = list(old)
    while queue or fresh:
        for iv in fresh:  # an intervention is relinked whole
            members = _members(conn, [iv])
            near.load(members)
            members = [m for m in members if m in near.rows]
            named = [m for m in members if near.names(m)]
            for m in members:
                if named and not near.names(m) and m not in need:
                    stay.setdefault(m, named[0])
            queue += members
        fresh = []
        batch = [i for i in dict.fromkeys(queue) if i not in seen]
        queue = []
        near.load(batch)
        batch = [i for i in batch if i in near.rows]
        seen.update(batch)
        region += batch
        fresh = sorted(set(_interventions_of(conn, batch).values()) - ivs)
        ivs.update(fresh)
        for rid in batch:
            for key in sorted(near.names(rid) - names_done):
                names_done.add(key)
                queue += near.holders(key)
        for rid in region:
            if near.names(rid) or rid in evidence or (rid in stay and rid not in need):
                continue
            evidence[rid] = near.links(rid)
            near.load(evidence[rid])
            linked = [n for n in evidence[rid] if n in near.rows]
            named = [n for n in linked if near.names(n)]
            if named:  # its place depends on the programs it names, not on other unnamed records
                queue += named
            else:
                need.update(n for n in linked if n not in stay)
                queue += linked
    for rid in need:
        stay.pop(rid, None)
    for chunk in _chunks(sorted(ivs)):
        for table, column in (
            ("intervention_facts", "intervention_id"),
            ("record_sources", "intervention_id"),
            ("interventions", "id"),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {column} IN ({_marks(chunk)})", chunk)
    order = sorted(region, key=lambda i: (near.rows[i]["doc"], near.rows[i]["seq"]))
    names = {i: near.names(i) for i in order}
    for group in _clusters(order, names, evidence, stay):
        _write_intervention(conn, [near.rows[i] for i in group])


class _Union:
    """Union-find over record ids and the other nodes linking joins them through."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        parent = self.parent
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(b)] = self.find(a)


def _members(conn: sqlite3.Connection, ivs: list[str]) -> list[str]:
    out: list[str] = []
    for chunk in _chunks(ivs):
        out += [
            r[0]
            for r in conn.execute(
                f"SELECT record_id FROM record_sources WHERE intervention_id IN ({_marks(chunk)})", chunk
            )
        ]
    return out


def _interventions_of(conn: sqlite3.Connection, ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk in _chunks(ids):
        out.update(
            conn.execute(
                f"SELECT record_id, intervention_id FROM record_sources WHERE record_id IN ({_marks(chunk)})",
                chunk,
            ).fetchall()
        )
    return out


def record_anchor(record: dict[str, Any]) -> str:
    """What identifies a record across re-runs better than its id (ids follow document order, which
    a new model may shift): the text of its first evidence sentence."""
    spans = record.get("spans") or []
    if spans:
        return str(spans[0].get("text", ""))
    evidence = record.get("evidence") or []
    return str(evidence[0]) if evidence else ""


def keep_reviews(
    conn: sqlite3.Connection, doc: str, new: list[dict[str, Any]], sha256: str
) -> list[dict[str, Any]]:
    """The document's freshly mined records with every reviewed field put back.

    A re-run, ``--force`` or a new model never overwrites what an analyst decided: a reviewed
    record is found among the new ones by id and first evidence sentence (else by that sentence
    alone) and its reviewed fields replace the mined ones; one the pipeline no longer gives, and
    every record an analyst added or split off, comes back from its snapshot. When the file's
    bytes changed, the reviewed records are flagged as needing another look.
    """
    states = conn.execute(
        "SELECT * FROM review_state WHERE doc = ? AND status != 'unreviewed' ORDER BY record_id", (doc,)
    ).fetchall()
    if not states:
        return new
    fields: dict[str, dict[str, Any]] = {}
    for row in conn.execute(
        "SELECT f.record_id, f.field, f.value FROM reviewed_fields f"
        " JOIN review_state s ON s.record_id = f.record_id WHERE s.doc = ?",
        (doc,),
    ):
        fields.setdefault(row[0], {})[row[1]] = json.loads(row[2])
    by_id = {r["id"]: i for i, r in enumerate(new)}
    by_anchor: dict[str, int] = {}
    for i, r in enumerate(new):
        by_anchor.setdefault(record_anchor(r), i)
    placed: dict[int, dict[str, Any]] = {}
    extra: list[dict[str, Any]] = []
    for state in states:
        rid = state["record_id"]
        index: int | None = None
        if state["origin"] == "pipeline":
            if rid in by_id and record_anchor(new[by_id[rid]]) == state["anchor"]:
                index = by_id[rid]
            elif state["anchor"] and by_anchor.get(state["anchor"]) is not None:
                index = by_anchor[state["anchor"]]
            if index in placed:  # two reviewed records claim one new record: keep the second whole
                index = None
        base = new[index] if index is not None else json.loads(state["snapshot"] or "{}")
        if not base:
            continue
        record = {**base, **fields.get(rid, {}), "id": rid, "doc": doc}
        if index is None:
            extra.append(record)
        else:
            placed[index] = record
        if sha256 and state["sha256"] and state["sha256"] != sha256:
            conn.execute("UPDATE review_state SET needs_recheck = 1 WHERE record_id = ?", (rid,))
    kept_ids = {r["id"] for r in placed.values()} | {r["id"] for r in extra}
    out: list[dict[str, Any]] = []
    for i, r in enumerate(new):
        if i in placed:
            out.append(placed[i])
        elif r["id"] in kept_ids:  # a mined record whose id a kept reviewed record holds
            out.append({**r, "id": f"{r['id']}-m"})
        else:
            out.append(r)
    return out + extra


CONFLICT_FIELDS = ("amount", "years_start", "years_end", "hard_soft", "scope", "modality")
"""Fields where two sources giving different values is worth flagging (kept side by side)."""


def _facts(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The facts a record states, each as (field, value): what its document gave the intervention."""
    facts: list[tuple[str, str]] = []
    if record.get("name"):
        facts.append(("name", record["name"]))
    for role, key in ROLES:
        facts.extend((role, name) for name in record.get(key, []))
    for amount in record.get("amounts", []):
        facts.append(("amount", f"{amount.get('value')} {amount.get('currency')}"))
    years = record.get("years") or {}
    for key in ("start", "end"):
        if years.get(key) is not None:
            facts.append((f"years_{key}", str(years[key])))
    for key in ("hard_soft", "scope", "modality"):
        if record.get(key):
            facts.append((key, record[key]))
    return facts


def _span(record: dict[str, Any]) -> tuple[int, int] | None:
    years = record.get("years") or {}
    start, end = years.get("start"), years.get("end")
    if start is None:
        mentioned = years.get("mentioned") or []
        if not mentioned:
            return None
        return min(mentioned), max(mentioned)
    return start, end if end is not None else start


SHARED_EVIDENCE = 0.5
"""Records of two documents whose evidence sentences are at least this much the same (shared
sentences over all their sentences) state one intervention: two renderings of one report, or a
report quoting another."""
EVIDENCE_KEY_CHARACTERS = 30
"""A sentence shorter than this (letters and digits) is too common to identify anything."""


def _evidence_keys(record: dict[str, Any]) -> set[str]:
    """A record's evidence sentences reduced to their letters and digits, lower case: what two
    typesettings of one sentence share whatever their hyphenation, quotes and spacing."""
    texts = [str(s.get("text", "")) for s in record.get("spans") or []] or [
        str(e) for e in record.get("evidence") or []
    ]
    keys = {re.sub(r"[\W_]+", "", text.casefold()) for text in texts}
    return {k for k in keys if len(k) >= EVIDENCE_KEY_CHARACTERS}


def same_passages(rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Pairs (positions in ``rows``) of records of different documents that state one intervention
    in the same sentences, each record paired at most once per other document.

    Several records can share a sentence (one listing three programs is evidence of each), so the
    pairs are chosen best first: most sentences in common, then the same name, then the nearest
    place in their documents (the k-th record of a listing pairs with the k-th)."""
    keys = [_evidence_keys(r) for r in rows]
    place: dict[int, float] = {}
    by_doc: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_doc.setdefault(r["doc"], []).append(i)
    for members in by_doc.values():
        place.update({i: n / len(members) for n, i in enumerate(members)})
    holders: dict[str, list[int]] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            holders.setdefault(k, []).append(i)
    candidates: list[tuple[tuple[float, bool, float], int, int]] = []
    for i, j in sorted({(i, j) for group in holders.values() for i in group for j in group if i < j}):
        if rows[i]["doc"] == rows[j]["doc"]:
            continue
        shared = len(keys[i] & keys[j]) / len(keys[i] | keys[j])
        if shared < SHARED_EVIDENCE:
            continue
        name_i, name_j = name_key(rows[i].get("name") or ""), name_key(rows[j].get("name") or "")
        candidates.append(((shared, bool(name_i) and name_i == name_j, -abs(place[i] - place[j])), i, j))
    candidates.sort(key=lambda c: (-c[0][0], not c[0][1], -c[0][2], c[1], c[2]))
    taken: set[tuple[int, str]] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in candidates:
        if (i, rows[j]["doc"]) in taken or (j, rows[i]["doc"]) in taken:
            continue
        taken.update({(i, rows[j]["doc"]), (j, rows[i]["doc"])})
        pairs.append((i, j))
    return pairs


def _stated_totals(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The amounts that identify an intervention: the sums stated for it, not its parts, rates or
    table cells (a $7 million cell of one program's table meets another's $7 million share by
    chance). Amounts without a role (an older inventory, a gold file) all count."""
    return [
        a
        for a in record.get("amounts", [])
        if isinstance(a, dict) and a.get("role") in (None, "total") and a.get("part_of") is None
    ]


def _amounts_match(a: dict[str, Any], b: dict[str, Any]) -> bool:
    for x in _stated_totals(a):
        for y in _stated_totals(b):
            vx, vy = x.get("value"), y.get("value")
            if x.get("currency") != y.get("currency") or not vx or not vy:
                continue
            if abs(vx - vy) <= AMOUNT_TOLERANCE * max(abs(vx), abs(vy)):
                return True
    return False


def _figures_match(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """A shared funder and recipient, overlapping years and a stated total matching within 0.5%:
    weak evidence of one intervention (programs share funders, recipients, years and round
    figures), which places only a record that names no program (:func:`_clusters`)."""
    if not (set(a.get("funders", [])) & set(b.get("funders", []))):
        return False
    if not (set(a.get("recipients", [])) & set(b.get("recipients", []))):
        return False
    sa, sb = _span(a), _span(b)
    if sa is None or sb is None or sa[0] > sb[1] or sb[0] > sa[1]:
        return False
    return _amounts_match(a, b)


def same_intervention(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two records, taken alone, describe one intervention: two named records when their
    names are one program's (:func:`name_keys`), whatever else they share; otherwise when their
    figures match (:func:`_figures_match`)."""
    keys_a, keys_b = name_keys(a), name_keys(b)
    if keys_a and keys_b:
        return bool(keys_a & keys_b)
    return _figures_match(a, b)


ALIAS_WORDS = re.compile(
    r"^(?P<a>.+?)\s*(?:,|\(|\s)\s*(?:formerly|previously|also known as|known as|renamed from|"
    r"later renamed|renamed|now called)\s+(?P<b>[^()]+?)\)?\s*$",
    re.IGNORECASE,
)
PARENTHESIS = re.compile(r"^(?P<a>.*\S)\s*\((?P<b>[^()]+)\)\s*$")
ACRONYM = re.compile(r"\(([A-Z][A-Za-z]*[A-Z][A-Za-z]*)\)")
ACRONYM_LETTERS = 3
"""An acronym the text gives for a name is trusted from this many letters (two-letter ones, such
as US or EU, name too many things)."""


def name_keys(record: dict[str, Any]) -> set[str]:
    """The keys of a record's program name: its normalized name and the names the text gives as
    the same program: a parenthesis or a renaming in the name ("Central America Regional
    Security Initiative (CARSI)", "Beyond Mérida, formerly the Mérida Initiative"), and an
    acronym an evidence sentence defines for the name, or the name an acronym stands for
    ("… the Central America Regional Security Initiative (CARSI) …" for a record named CARSI)."""
    name = str(record.get("name") or "").strip()
    key = name_key(name)
    if not key:
        return set()
    keys = {key}
    match = ALIAS_WORDS.match(name)
    if match:
        keys.update(k for k in (name_key(match["a"]), name_key(match["b"])) if k)
    match = PARENTHESIS.match(name)
    # a parenthesis is another name only as an acronym and its spelled-out form (not a year or a place)
    if match and (_acronym(match["b"]) or _acronym(match["a"])):
        short, long = (match["b"], match["a"]) if _acronym(match["b"]) else (match["a"], match["b"])
        if _spelled_out(long.split(), short) == " ".join(long.split()):
            keys.update(k for k in (name_key(short), name_key(long)) if k)
    texts = [str(s.get("text", "")) for s in record.get("spans") or []] or [
        str(e) for e in record.get("evidence") or []
    ]
    for text in texts:
        for match in ACRONYM.finditer(text):
            acronym = match[1]
            if not _acronym(acronym):
                continue
            before = text[: match.start()].split()
            if name_key(" ".join(before)).endswith(key) and name_key(acronym) != key:
                keys.add(name_key(acronym))
            elif name_key(acronym) == key:
                long = _spelled_out(before, acronym)
                if long:
                    keys.add(name_key(long))
    return keys


def _acronym(text: str) -> bool:
    return " " not in text.strip() and sum(c.isupper() for c in text) >= ACRONYM_LETTERS


def _spelled_out(words: list[str], acronym: str) -> str | None:
    """The words just before ``(ACRONYM)`` whose capitalized initials spell it, if any."""
    letters = [c for c in acronym.upper() if c.isalpha()]
    for n in range(1, min(len(words), 2 * len(letters) + 2) + 1):
        phrase = words[-n:]
        if not phrase[0][:1].isupper():
            continue
        initials = [w[0].upper() for w in phrase if w[:1].isupper()]
        if initials == letters:
            return " ".join(phrase)
    return None


def _reason(old: dict[str, Any] | None, summary: dict[str, Any], forced: bool) -> str:
    if old is None:
        return "new"
    if old["sha256"] != summary.get("sha256"):
        return "changed-file"
    if _versions(old) != _versions(summary):
        return "new-version"
    return "forced" if forced else "unchanged"


def _versions(row: dict[str, Any]) -> str:
    return f"{row.get('pipeline_version', '')}/{row.get('model_version', '')}"


def _strip_versions(record: dict[str, Any]) -> dict[str, Any]:
    """The record as stored (JSON: tuples become lists, so a re-mined record compares equal to
    its stored copy), versions aside."""
    stored = json.loads(_dumps(record))
    return {k: v for k, v in stored.items() if k not in ("pipeline_version", "model_version")}


def _alive(host: str, pid: int) -> bool:
    """Whether a claim's process still runs (claims from another host are trusted)."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _diff(old: dict[str, dict[str, Any]], new: list[dict[str, Any]]) -> tuple[int, int, int, int]:
    """Added, removed, updated and unchanged records by id (versions aside: a new model that
    gives the same record did not change it)."""
    new_ids = {r["id"]: r for r in new}
    added = len(new_ids.keys() - old.keys())
    removed = len(old.keys() - new_ids.keys())
    common = new_ids.keys() & old.keys()
    updated = sum(_strip_versions(new_ids[i]) != _strip_versions(old[i]) for i in common)
    return added, removed, updated, len(common) - updated


def _exported(
    records: Iterable[dict[str, Any]], sources: dict[str, dict[str, Any]], marks: dict[str, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Each record as an export gives it: its intervention, its sources and its review marks. A
    record an analyst rejected or merged into another is not an intervention: left out."""
    for record in records:
        mark = marks.get(record["id"])
        if mark is not None and mark.get("status") in ("rejected", "merged"):
            continue
        linked = sources.get(record["id"], {"intervention": None, "sources": []})
        record["intervention"] = linked["intervention"]
        record["sources"] = linked["sources"]
        if mark is not None:
            record["review"] = mark
        yield record


def _statements(script: str) -> list[str]:
    """A migration script cut into statements (no semicolons inside our literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused: an export builds millions of JSON containers, none in a
    cycle, and each collection pass would walk all of them (most of the time of loading a large
    inventory's records went to it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def export_inventory(db: Path, out: Path, fmt: str, csv_sep: str = ",") -> int:
    """The inventory's records in the RECORDS.md shape (``to_dict``), each with its intervention
    and sources (one record per document joined to it: :meth:`Inventory.export_sources`), as JSON
    Lines, CSV (cells separated by ``csv_sep``), typed Parquet, an Excel workbook or IATI activity
    XML."""
    with _without_cycle_collection():
        return _export(db, out, fmt, csv_sep)


def _export(db: Path, out: Path, fmt: str, csv_sep: str) -> int:
    from .export import _frame_to_csv, flat_rows, write_jsonl

    with Inventory(db) as inventory:
        sources = inventory.export_sources()
        marks = inventory.review_marks()
        exported = _exported(inventory.iter_records(), sources, marks)
        if fmt == "jsonl":  # written as they are read: the whole inventory is never in memory
            count = 0

            def counted() -> Iterator[dict[str, Any]]:
                nonlocal count
                for record in exported:
                    count += 1
                    yield record

            write_jsonl(counted(), out)
            return count
        records = list(exported)
    if fmt in ("parquet", "xlsx", "iati"):  # typed columns, a workbook, IATI XML (pipeline.export)
        from .export import write_linked

        write_linked(records, out, fmt, db)
        return len(records)
    frame = flat_rows(records)
    frame["intervention"] = [r["intervention"] for r in records]
    frame["sources"] = [" | ".join(f"{s['doc']}:{s['record']}" for s in r["sources"]) for r in records]
    frame["reviewed"] = [" | ".join(sorted(r.get("review", {}).get("fields", {}))) for r in records]
    frame = frame.astype({"intervention": "string", "sources": "string", "reviewed": "string"})
    if fmt == "csv":
        _frame_to_csv(frame, out, csv_sep)  # formulas escaped, as in every CSV csminer writes
    else:
        raise ValueError(f"unknown format {fmt!r}: expected jsonl, csv or parquet")
    return len(records)
