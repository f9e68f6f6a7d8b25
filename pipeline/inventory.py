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

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .records.model import Record
from .text import name_key

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
]
"""Numbered schema migrations: script ``i`` takes the database from version ``i`` to ``i + 1``.
Never edit a released script; append a new one."""

SCHEMA_VERSION = len(MIGRATIONS)

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
        if doc is None:
            rows = self.conn.execute("SELECT data FROM records ORDER BY doc, seq")
        else:
            rows = self.conn.execute("SELECT data FROM records WHERE doc = ? ORDER BY seq", (doc,))
        return [json.loads(r[0]) for r in rows]

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
        new = [r.to_dict() if isinstance(r, Record) else r for r in records]
        doc = summary["doc"]
        with self.transaction() as conn:
            old_doc = self.document(doc)
            old = {r["id"]: r for r in self.records(doc)}
            new = keep_reviews(conn, doc, new, summary.get("sha256") or "")
            reason = _reason(old_doc, summary, forced)
            added, removed, updated, unchanged = _diff(old, new)
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
            self._link(conn)
        return StoreResult(doc, reason, added, removed, updated, unchanged)

    def remove(self, doc: str) -> int | None:
        """Remove a document, its records and paths in one transaction, logged in ``changes``
        (reason ``removed``); the number of records removed, or None when ``doc`` is unknown."""
        with self.transaction() as conn:
            old_doc = self.document(doc)
            if old_doc is None:
                return None
            count = conn.execute("SELECT COUNT(*) FROM records WHERE doc = ?", (doc,)).fetchone()[0]
            conn.execute("DELETE FROM documents WHERE doc = ?", (doc,))  # records, evidence, actors cascade
            conn.execute("DELETE FROM document_paths WHERE doc = ?", (doc,))
            conn.execute(
                "INSERT INTO changes (doc, at, reason, old_sha256, new_sha256, old_versions,"
                " new_versions, added, removed, updated, unchanged)"
                " VALUES (?, ?, 'removed', ?, '', ?, '', 0, ?, 0, 0)",
                (doc, _now(), old_doc["sha256"], _versions(old_doc), count),
            )
            self._link(conn)
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

    # --- interventions across reports ---------------------------------------------------------

    def _link(self, conn: sqlite3.Connection) -> None:
        """Rebuild the interventions from all records, deterministically (whatever the order in
        which documents arrived): records of different documents that match are one intervention."""
        rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM records ORDER BY doc, seq")]
        parent = list(range(len(rows)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        by_name: dict[str, list[int]] = {}
        by_pair: dict[tuple[str, str], list[int]] = {}
        for i, r in enumerate(rows):
            key = name_key(r.get("name") or "")
            if key:
                by_name.setdefault(key, []).append(i)
            for f in r.get("funders", []):
                for rec in r.get("recipients", []):
                    by_pair.setdefault((f, rec), []).append(i)
        for group in by_name.values():
            for j in group[1:]:
                parent[find(j)] = find(group[0])
        for group in by_pair.values():
            for a_pos, a in enumerate(group):
                for b in group[a_pos + 1 :]:
                    if rows[a]["doc"] != rows[b]["doc"] and same_intervention(rows[a], rows[b]):
                        parent[find(b)] = find(a)
        clusters: dict[int, list[int]] = {}
        for i in range(len(rows)):
            clusters.setdefault(find(i), []).append(i)
        conn.execute("DELETE FROM intervention_facts")
        conn.execute("DELETE FROM record_sources")
        conn.execute("DELETE FROM interventions")
        for members in clusters.values():
            group = [rows[i] for i in members]
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
            for r in group:
                conn.execute("INSERT INTO record_sources VALUES (?, ?, ?)", (iv, r["id"], r["doc"]))
            conn.executemany(
                "INSERT INTO intervention_facts VALUES (?, ?, ?, ?, ?)",
                [(iv, f, v, d, rid) for f, v, d, rid in facts],
            )


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


def _amounts_match(a: dict[str, Any], b: dict[str, Any]) -> bool:
    for x in a.get("amounts", []):
        for y in b.get("amounts", []):
            vx, vy = x.get("value"), y.get("value")
            if x.get("currency") != y.get("currency") or not vx or not vy:
                continue
            if abs(vx - vy) <= AMOUNT_TOLERANCE * max(abs(vx), abs(vy)):
                return True
    return False


def same_intervention(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two records describe one intervention: the same normalized name, or a shared funder and
    recipient with overlapping years and an amount matching within 0.5%."""
    name_a, name_b = name_key(a.get("name") or ""), name_key(b.get("name") or "")
    if name_a and name_a == name_b:
        return True
    if not (set(a.get("funders", [])) & set(b.get("funders", []))):
        return False
    if not (set(a.get("recipients", [])) & set(b.get("recipients", []))):
        return False
    sa, sb = _span(a), _span(b)
    if sa is None or sb is None or sa[0] > sb[1] or sb[0] > sa[1]:
        return False
    return _amounts_match(a, b)


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


def _statements(script: str) -> list[str]:
    """A migration script cut into statements (no semicolons inside our literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def export_inventory(db: Path, out: Path, fmt: str, csv_sep: str = ",") -> int:
    """The inventory's records in the RECORDS.md shape (``to_dict``), each with its intervention
    and sources (every record and document joined to it), as JSON Lines, CSV (cells separated by
    ``csv_sep``), typed Parquet, an Excel workbook or IATI activity XML."""
    from .export import _frame_to_csv, flat_rows, write_jsonl

    with Inventory(db) as inventory:
        records = inventory.records()
        sources = inventory.sources()
        marks = inventory.review_marks()
    # A record an analyst rejected or merged into another is not an intervention.
    records = [r for r in records if marks.get(r["id"], {}).get("status") not in ("rejected", "merged")]
    for record in records:
        linked = sources.get(record["id"], {"intervention": None, "sources": []})
        record["intervention"] = linked["intervention"]
        record["sources"] = linked["sources"]
        if record["id"] in marks:
            record["review"] = marks[record["id"]]
    if fmt == "jsonl":
        write_jsonl(records, out)
        return len(records)
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
