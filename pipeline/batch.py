"""A corpus run: documents mined in parallel (processes or a Dask cluster), one inventory writer.

Workers only read and mine: each loads the matcher, splitter and models once (a pool
initializer, or the first task on a Dask worker), then turns paths into outcomes. Outcomes come
back to this process, which alone writes the inventory (one transaction per document, as each
arrives) and, at the end, the record files. A document whose bytes and versions are already in
the inventory is not mined again: its records are read back, so the files always hold the whole
corpus. Output never depends on the number of workers: records are sorted by doc then id.

Workers are processes this one starts, watches and replaces: a document over its time budget
or a worker over its memory budget is stopped by killing the worker, and that limit is the
document's status. Workers die with their parent and ignore Ctrl-C (the parent handles it).
Documents are known by an identity that cannot collide (:func:`assign_identities`), and a run
claims what it mines, so two runs sharing an inventory do not mine a document twice.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import json
import multiprocessing
import os
import signal
import stat
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from . import __version__
from .config import Config, LimitSettings
from .document import Problem
from .errors import ErrorCode, problem
from .inventory import Inventory
from .reading import opening
from .reading.opening import file_kind, permission_problem, shown_path
from .run import DocumentOutcome, Stages, prepare_outputs, process_document, write_outputs

_STAGES: dict[tuple[str, bool], Stages] = {}
"""Per process: stages already loaded, by (models folder, NER). Loading takes seconds."""


def load_stages(models: Path, use_ner: bool = True) -> Stages:
    """The stages for ``models``, loaded once per process and reused for every document."""
    from .records.store import load_models

    key = (str(Path(models).resolve()), use_ner)
    if key not in _STAGES:
        stages = Stages.load(load_models(Path(models)).models, use_ner=use_ner)
        stages.warm()
        _STAGES[key] = stages
    return _STAGES[key]


def model_version(models: Path) -> str:
    """The models' version from their card, without loading them (a warm run needs no models)."""
    card = json.loads((Path(models) / "card.json").read_text(encoding="utf-8"))
    return str(card.get("version", ""))


def mine(path: str, models: str, use_ner: bool, config: Config, password: str | None) -> DocumentOutcome:
    """One document in a worker (process pool or Dask): the same function everywhere."""
    opening.configure(config.limits)
    return process_document(Path(path), load_stages(Path(models), use_ner), config, password)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


@dataclass
class BatchResult:
    """Everything a run did, for the caller's report."""

    outcomes: list[DocumentOutcome]
    """In input order; cached documents carry their stored summary and records."""
    changes: Counter[str] = field(default_factory=Counter)
    """new / updated / unchanged (cached or re-mined to the same records) / failed documents."""
    seconds: float = 0.0
    records: list[dict[str, Any]] = field(default_factory=list)


class RunError(Exception):
    """A run that cannot start or go on (an unwritable output, no Dask worker, Ctrl-C)."""

    def __init__(self, issue: Problem) -> None:
        super().__init__(f"{issue.code} {issue.message}")
        self.problem = issue


# --- finding the files ---------------------------------------------------------------------------


@dataclass
class Found:
    """The PDFs under the inputs, and what could not be looked at (said, never skipped silently)."""

    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    roots: dict[Path, Path] = field(default_factory=dict)
    """For each file found inside an input folder: that folder (symbolic links are judged by it)."""


def find_pdfs(inputs: list[Path]) -> Found:
    """Files as given, folders expanded to the ``.pdf`` files below them, in a stable order.

    Files named on the command line are taken as they are (a FIFO or a missing file gets its
    coded status later). Inside folders, anything whose name ends in ``.pdf`` (any case) is
    taken, links and special files too, so that each is listed with a status; folders that
    cannot be read are named in ``notes``. Linked folders are not walked into.
    """
    found = Found()
    for item in inputs:
        if not item.is_dir():
            found.paths.append(item)
            continue
        inside: list[Path] = []

        def unreadable(exc: OSError, item: Path = item) -> None:
            where = shown_path(exc.filename or item)
            found.notes.append(
                f"{ErrorCode.PERMISSION_DENIED.value} folder {where} cannot be read"
                f" ({exc.strerror or exc}); the files in it were not looked at"
            )

        for folder, _dirs, files in os.walk(item, onerror=unreadable):
            inside.extend(Path(folder) / name for name in files if name.lower().endswith(".pdf"))
        for path in sorted(inside):
            found.paths.append(path)
            found.roots[path] = item
    return found


def precheck(path: Path, root: Path | None, follow_symlinks: bool) -> Problem | None:
    """Why ``path`` must not be opened, before any worker opens it: a link out of its input
    folder (it may point at any file on the system), a FIFO (opening waits forever), a device,
    a file that cannot be read."""
    shown = shown_path(path)
    try:
        link = stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return problem(ErrorCode.NOT_FOUND, path=shown)
    if link and root is not None and not follow_symlinks:
        target = Path(os.path.realpath(path))
        base = Path(os.path.realpath(root))
        if not target.is_relative_to(base):
            return problem(ErrorCode.SYMLINK_OUTSIDE, path=shown, target=shown_path(target))
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return problem(ErrorCode.NOT_FOUND, path=f"{shown} (a link to nothing: {exc.strerror})")
    kind = file_kind(mode)
    if kind is not None:
        return problem(ErrorCode.NOT_REGULAR_FILE, kind=kind, path=shown)
    try:
        with open(path, "rb"):
            pass
    except PermissionError as exc:
        return permission_problem(path, exc)
    except OSError as exc:
        return problem(ErrorCode.NOT_FOUND, path=f"{shown} ({exc.strerror})")
    return None


# --- identities ----------------------------------------------------------------------------------


@dataclass
class Entry:
    """One input path: its document identity, bytes and shown form."""

    path: Path
    shown: str
    """The path as text that can be stored and printed (non-UTF-8 bytes escaped, losslessly)."""
    sha256: str
    stem: str
    doc: str = ""
    problem: Problem | None = None
    """Set when the file must not be opened: the document fails with it, unmined."""


def make_entries(
    paths: list[Path], roots: dict[Path, Path] | None = None, follow_symlinks: bool = False
) -> list[Entry]:
    entries = []
    for path in paths:
        issue = precheck(path, (roots or {}).get(path), follow_symlinks)
        sha = "" if issue else file_sha256(path)
        entries.append(Entry(path, shown_path(path), sha, shown_path(path.stem), problem=issue))
    return entries


def _suffix(entry: Entry) -> str:
    digest = entry.sha256 or hashlib.sha256(entry.shown.encode("utf-8")).hexdigest()
    return digest[:8]


def _owns(doc: str, stem: str) -> bool:
    """Whether ``doc`` is ``stem``'s identity: the stem itself or the stem plus a content hash."""
    suffix = doc[len(stem) + 1 :]
    return doc == stem or (
        doc.startswith(stem + "-") and len(suffix) == 8 and all(c in "0123456789abcdef" for c in suffix)
    )


def assign_identities(entries: list[Entry], inventory: Inventory | None = None) -> None:
    """Give every entry a document identity that cannot collide with another file's.

    The identity is the file's stem when no other file of this batch or of the inventory has
    that stem (compared without case: ``x.pdf`` and ``x.PDF`` collide), so record ids stay
    ``<stem>-NNNN`` in the common case. A path seen before keeps its identity, and so do the same
    bytes found at a new path; otherwise a colliding stem gets a short content hash:
    ``report-1a2b3c4d``. The same bytes at two paths are one document.
    """
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.stem.casefold(), []).append(entry)
    for group in groups.values():
        contents = {e.sha256 or e.shown for e in group}
        for entry in group:
            known = None
            if inventory is not None:
                at = inventory.doc_at(entry.shown)
                if at and _owns(at, entry.stem):
                    known = at
                elif entry.sha256:
                    known = next(
                        (d for d in inventory.docs_with_sha(entry.sha256) if _owns(d, entry.stem)), None
                    )
            if known:
                entry.doc = known
                continue
            taken = inventory is not None and any(
                row for row in [inventory.document(entry.stem)] if row and row["path"] != entry.shown
            )
            entry.doc = f"{entry.stem}-{_suffix(entry)}" if len(contents) > 1 or taken else entry.stem
        # A path keeps its identity, so two files may still meet on one: the later one moves over.
        used: dict[str, str] = {}
        for entry in group:
            key = entry.sha256 or entry.shown
            if used.setdefault(entry.doc, key) != key:
                entry.doc = f"{entry.stem}-{_suffix(entry)}"
                used.setdefault(entry.doc, key)


def _identify(outcome: DocumentOutcome, entry: Entry) -> DocumentOutcome:
    """The outcome under the entry's identity and shown path (workers name documents by stem)."""
    old = str(outcome.summary.get("doc", ""))
    outcome.summary["doc"] = entry.doc
    outcome.summary["path"] = entry.shown
    for record in outcome.records:
        if isinstance(record, dict):
            continue
        if record.id.startswith(old + "-"):
            record.id = entry.doc + record.id[len(old) :]
        record.doc = entry.doc
    if outcome.summary.get("sha256") is None:
        outcome.summary["sha256"] = entry.sha256
    return outcome


def _failed(entry: Entry, issue: Problem, pages: int = 0) -> DocumentOutcome:
    """A failure outcome for a document that was not (or not completely) mined."""
    summary = {
        "doc": entry.doc,
        "path": entry.shown,
        "sha256": entry.sha256,
        "status": "failure",
        "pages": pages,
        "counts": {"blocks": 0, "notes": 0, "tables": 0, "sentences": 0, "records": 0},
        "errors": [{"code": issue.code, "message": issue.message, "page": issue.page}],
        "warnings": [],
        "timings": {},
        "pipeline_version": __version__,
        "model_version": "",
    }
    return DocumentOutcome(summary, [])


# --- workers -------------------------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """End this worker when its parent ends, even by ``kill -9`` (which no handler sees)."""
    with contextlib.suppress(Exception):  # Linux: the kernel sends SIGKILL when the parent dies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    def watch() -> None:  # elsewhere, and as a second guard: the parent changes when it dies
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(1.0)

    threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # it died before the guard was set
        os._exit(1)


def page_count(path: str, password: str | None) -> int:
    """Pages PDFium counts (1 when it cannot): the unit of a document's time budget."""
    import pypdfium2 as pdfium

    from .reading.pdfium_pages import PDFIUM_LOCK

    try:
        with PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(path, password=password or None)
            try:
                return max(1, len(pdf))
            finally:
                pdf.close()
    except Exception:
        return 1


def _worker(
    conn: Connection, parent: int, models: str, use_ner: bool, config: Config, password: str | None
) -> None:
    """A worker's life: take a path, say how many pages it has, mine it, send the outcome back."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    opening.configure(config.limits)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(("pages", page_count(task, password)))
        conn.send(("done", mine(task, models, use_ner, config, password)))


_PROC_CHILDREN = os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
"""Whether the kernel lists each process's children (Linux with ``CONFIG_PROC_CHILDREN``)."""
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tree_rss_mb(pid: int) -> int | None:
    """RSS of process ``pid`` and of every process below it, in MiB (None once it has ended).

    The parent asks this of each busy worker every :attr:`WorkerPool.TICK`. psutil finds a
    process's children by reading every process of the machine, about 1 ms with a hundred
    processes and more on a busy host, CPU taken from the workers; Linux lists them under
    ``/proc/<pid>/task/<tid>/children``, a few small reads.
    """
    if not _PROC_CHILDREN:
        import psutil

        try:
            worker = psutil.Process(pid)
            return sum(p.memory_info().rss for p in [worker, *worker.children(recursive=True)]) >> 20
        except psutil.Error:
            return None
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * _PAGE_SIZE  # resident pages: psutil's rss
            for thread in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{thread}/children", "rb") as fh:
                    todo.extend(int(child) for child in fh.read().split())
        except (OSError, ValueError, IndexError):  # it ended while being looked at
            if current == pid:
                return None
    return total >> 20


@dataclass
class _Slot:
    process: Any
    conn: Connection
    entry: Entry | None = None
    started: float = 0.0
    pages: int = 1


class WorkerPool:
    """Worker processes, each mining one document at a time, watched against the limits."""

    TICK = 0.1
    """Seconds between two looks at the workers' clocks and memory."""

    def __init__(
        self, workers: int, models: Path, use_ner: bool, config: Config, password: str | None
    ) -> None:
        self.args = (os.getpid(), str(models), use_ner, config, password)
        self.limits: LimitSettings = config.limits
        # fork: workers start with the stages the parent loaded, and start in milliseconds.
        self.context = multiprocessing.get_context("fork")
        self.slots = [self._start() for _ in range(workers)]

    def _start(self) -> _Slot:
        # What is loaded so far (models, spaCy, word lists) leaves the garbage collector's care:
        # collections in a worker would otherwise write to every object's header and so copy,
        # page by page, the memory it shares with this process.
        gc.freeze()
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(child_end, *self.args), daemon=True)
        process.start()
        child_end.close()
        return _Slot(process, parent_end)

    def _replace(self, slot: _Slot) -> None:
        import psutil

        with contextlib.suppress(Exception):  # programs the worker started go with it
            for child in psutil.Process(slot.process.pid).children(recursive=True):
                child.kill()
        with contextlib.suppress(Exception):
            slot.process.kill()
        slot.process.join(5)
        slot.conn.close()
        fresh = self._start()
        self.slots[self.slots.index(slot)] = fresh

    def _hand_out(self, slot: _Slot, waiting: list[Entry]) -> None:
        """Give an idle worker the next document, if any is left. A worker gone while idle (its
        pipe broken) is replaced and the document waits for the fresh one."""
        if slot.entry is not None or not waiting:
            return
        entry = waiting.pop()
        try:
            slot.conn.send(str(entry.path))
        except OSError:
            waiting.append(entry)
            self._replace(slot)
            return
        slot.entry, slot.started, slot.pages = entry, time.monotonic(), 1

    def close(self) -> None:
        for slot in self.slots:
            with contextlib.suppress(Exception):
                slot.conn.send(None)
        for slot in self.slots:
            slot.process.join(1)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(5)
            slot.conn.close()

    def run(
        self, entries: list[Entry], meanwhile: Callable[[], None] | None = None
    ) -> Iterator[tuple[Entry, DocumentOutcome]]:
        """Outcomes as documents finish; a stopped or dead worker is replaced and its document
        failed. ``meanwhile`` runs once, as soon as the first documents are handed out."""
        waiting = list(reversed(entries))
        while waiting or any(s.entry for s in self.slots):
            for slot in self.slots:
                self._hand_out(slot, waiting)
            if meanwhile is not None:  # the workers are busy: this process's own work overlaps theirs
                meanwhile()
                meanwhile = None
            busy = [s for s in self.slots if s.entry is not None]
            ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout=self.TICK)
            for slot in busy:
                entry = slot.entry
                assert entry is not None
                if slot.conn in ready or slot.process.sentinel in ready:
                    try:
                        while slot.conn.poll():
                            kind, value = slot.conn.recv()
                            if kind == "pages":
                                slot.pages = int(value)
                            else:
                                # The next document goes out before this one is stored: the
                                # worker mines while this process writes the inventory.
                                slot.entry = None
                                self._hand_out(slot, waiting)
                                yield entry, value
                                break
                    except (EOFError, OSError):
                        pass
                    if slot.entry is entry and not slot.process.is_alive():
                        code = slot.process.exitcode
                        why = f"signal {-code}" if code and code < 0 else f"exit status {code}"
                        if code == -signal.SIGKILL:
                            why += ", e.g. the system ran out of memory"
                        self._replace(slot)
                        yield entry, _failed(entry, problem(ErrorCode.WORKER_DIED, detail=why))
                        continue
                if slot.entry is not entry:  # done: its next document is looked at next tick
                    continue
                elapsed = time.monotonic() - slot.started
                budget = self.limits.document_budget(slot.pages)
                if elapsed > budget:
                    self._replace(slot)
                    issue = problem(ErrorCode.TIME_LIMIT, seconds=elapsed, budget=budget, pages=slot.pages)
                    yield entry, _failed(entry, issue, slot.pages)
                    continue
                # with the programs the worker runs (an OCR engine), which are its load too
                used = tree_rss_mb(slot.process.pid)
                if used is not None and used > self.limits.worker_memory_mb:
                    self._replace(slot)
                    issue = problem(ErrorCode.MEMORY_LIMIT, used=used, budget=self.limits.worker_memory_mb)
                    yield entry, _failed(entry, issue, slot.pages)


def _dask_results(
    entries: list[Entry],
    scheduler: str,
    args: tuple[Any, ...],
    limits: LimitSettings,
    started: Callable[[], None],
    meanwhile: Callable[[], None] = lambda: None,
) -> Iterator[tuple[Entry, DocumentOutcome]]:
    """Outcomes from a Dask cluster; a cluster with no live worker for a set time ends the run."""
    from distributed import Client
    from distributed import wait as dask_wait

    with Client(scheduler) as client:
        futures = {client.submit(mine, str(e.path), *args, pure=False): e for e in entries}
        started()
        meanwhile()
        pending = set(futures)
        alone_since: float | None = None
        while pending:
            try:
                done, pending = dask_wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:  # nothing finished in this second
                done = set()
            for future in done:
                yield futures[future], _result(future, futures[future])
            if pending and not client.scheduler_info().get("workers"):
                alone_since = alone_since or time.monotonic()
                if time.monotonic() - alone_since > limits.dask_no_worker_seconds:
                    client.cancel(list(pending))
                    raise RunError(
                        problem(
                            ErrorCode.NO_WORKERS, address=scheduler, seconds=limits.dask_no_worker_seconds
                        )
                    )
            else:
                alone_since = None


def _executor_results(
    todo: list[Entry],
    models: Path,
    use_ner: bool,
    config: Config,
    password: str | None,
    workers: int,
    scheduler: str | None,
    started: Callable[[], None] = lambda: None,
    meanwhile: Callable[[], None] = lambda: None,
) -> Iterator[tuple[Entry, DocumentOutcome]]:
    """Outcomes as they finish, from worker processes of this machine or a Dask cluster.

    ``started`` runs once the workers are forked, so the progress display's refresh thread,
    started there, is never copied into a worker; ``meanwhile`` once they have work.
    """
    if not todo:
        return
    if scheduler:
        yield from _dask_results(
            todo, scheduler, (str(models), use_ner, config, password), config.limits, started, meanwhile
        )
        return
    load_stages(models, use_ner)  # once, here: forked workers start with the stages loaded
    pool = WorkerPool(min(workers, len(todo)), models, use_ner, config, password)
    try:
        started()
        yield from pool.run(todo, meanwhile)
    finally:
        pool.close()


def _result(future: Any, entry: Entry) -> DocumentOutcome:
    """The future's outcome, or a failure outcome when the worker itself died or raised (a lost
    Dask worker): listed like any failure, retried by the next run."""
    try:
        return future.result()
    except Exception as exc:
        detail = f"worker failed: {type(exc).__name__}: {exc}"
        return _failed(entry, problem(ErrorCode.INTERNAL, detail=detail))


def check_output(out: Path) -> None:
    """Raise :class:`RunError` unless files can be written in ``out`` (before any mining)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".csminer-write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunError(
            problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(out), detail=exc.strerror or exc)
        ) from exc


def run_batch(
    paths: list[Path],
    out: Path,
    db: Path,
    models: Path,
    config: Config,
    use_ner: bool = True,
    password: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    console: Console | None = None,
    on_outcome: Callable[[DocumentOutcome], None] | None = None,
    before_mining: Callable[[], None] | None = None,
    roots: dict[Path, Path] | None = None,
    follow_symlinks: bool = False,
) -> BatchResult:
    """Mine ``paths`` into the inventory ``db`` and write the record files in ``out``.

    ``before_mining`` runs only when some document must be mined (the CLI checks the models
    there): a warm re-run then never pays for loading scikit-learn and the models. ``roots``
    gives the input folder of each path found in one (links out of it are not followed unless
    ``follow_symlinks``).
    """
    start = time.perf_counter()
    console = console or Console(stderr=True)
    workers = workers or os.cpu_count() or 1
    versions = (__version__, model_version(models))
    check_output(out)
    opening.configure(config.limits)
    result = BatchResult([])
    entries = make_entries(paths, roots, follow_symlinks)
    by_doc: dict[str, DocumentOutcome] = {}
    with Inventory(db) as inventory:
        assign_identities(entries, inventory)
        seen: dict[str, list[str]] = {}
        for entry in entries:
            seen.setdefault(entry.doc, []).append(entry.shown)
        first: dict[str, Entry] = {}
        for entry in entries:
            first.setdefault(entry.doc, entry)
        todo: list[Entry] = []
        for doc, entry in first.items():
            if entry.problem is not None:
                outcome = _failed(entry, entry.problem)
                inventory.store(outcome.summary, [], forced=force, paths=seen[doc])
                by_doc[doc] = outcome
                result.changes["failed"] += 1
            elif not force and inventory.is_current(doc, entry.sha256, *versions):
                by_doc[doc] = _cached(inventory, entry, seen[entry.doc])
                result.changes["unchanged"] += 1
            else:
                todo.append(entry)
        progress = Progress(
            TextColumn("[bold]mining"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[pages]} pages · {task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        task = progress.add_task("docs", total=len(todo), pages=0, rate="")
        pages = 0
        mined_before = False
        stuck: set[str] = set()
        try:
            while todo:
                mine_now, deferred = [], []
                for entry in todo:  # what another run is mining now is left to it
                    (deferred if inventory.claim(entry.doc, entry.doc in stuck) else mine_now).append(entry)
                if mine_now and before_mining and not mined_before:
                    before_mining()
                    mined_before = True
                if scheduler or workers > 1:  # the longest first, so no worker is left alone at the end
                    mine_now.sort(key=_size, reverse=True)
                for entry, outcome in _executor_results(
                    mine_now,
                    models,
                    use_ner,
                    config,
                    password,
                    workers,
                    scheduler,
                    started=progress.start,
                    meanwhile=prepare_outputs,  # the record files' writers, imported while workers mine
                ):
                    outcome = _identify(outcome, entry)
                    stored = inventory.store(
                        outcome.summary,
                        outcome.records,
                        forced=force,
                        title=outcome.title,
                        paths=seen[entry.doc],
                    )
                    by_doc[entry.doc] = outcome
                    pages += outcome.summary.get("pages") or 0
                    elapsed = max(time.perf_counter() - start, 1e-9)
                    progress.update(task, advance=1, pages=pages, rate=f"{pages / elapsed:.1f} pages/s")
                    if outcome.summary["status"] == "failure":
                        result.changes["failed"] += 1
                    elif stored.reason == "new":
                        result.changes["new"] += 1
                    elif stored.added or stored.removed or stored.updated or stored.reason == "changed-file":
                        result.changes["updated"] += 1
                    else:
                        result.changes["unchanged"] += 1
                    if on_outcome:
                        on_outcome(outcome)
                todo = []
                for entry in deferred:  # wait for the other run, then take its result or mine it
                    # A run that holds a claim longer than any document may take is stuck: take over.
                    give_up = time.monotonic() + config.limits.max_document_seconds + 60
                    while inventory.claimed_by_other(entry.doc):
                        if time.monotonic() > give_up:
                            stuck.add(entry.doc)
                            break
                        time.sleep(0.5)
                    if inventory.is_current(entry.doc, entry.sha256, *versions):
                        by_doc[entry.doc] = _cached(inventory, entry, seen[entry.doc])
                        result.changes["unchanged"] += 1
                        progress.update(task, advance=1)
                    else:
                        todo.append(entry)
        except KeyboardInterrupt as exc:
            raise RunError(problem(ErrorCode.INTERRUPTED)) from exc
        finally:
            progress.stop()
            with contextlib.suppress(Exception):
                inventory.release()
        result.outcomes = [_for_path(by_doc[e.doc], e) for e in entries]
        docs = {o.summary["doc"] for o in result.outcomes}
        result.records = [r for doc in sorted(docs) for r in inventory.records(doc)]
    try:
        write_outputs(result.records, [o.summary for o in result.outcomes], out)
    except OSError as exc:
        raise RunError(problem(ErrorCode.OUTPUT_UNWRITABLE, path=shown_path(out), detail=exc)) from exc
    result.seconds = time.perf_counter() - start
    return result


def _size(entry: Entry) -> int:
    """The file's size in bytes: how long a document takes to mine, roughly, before it is read."""
    try:
        return entry.path.stat().st_size
    except OSError:
        return 0


def _cached(inventory: Inventory, entry: Entry, paths: list[str] | None = None) -> DocumentOutcome:
    row = inventory.document(entry.doc)
    assert row is not None
    summary = json.loads(row["summary"])
    summary.update(path=entry.shown, cached=True)  # same bytes, maybe reached by another path
    for path in paths or [entry.shown]:
        inventory.seen(entry.doc, path, entry.sha256)
    return DocumentOutcome(summary, [])


def _for_path(outcome: DocumentOutcome, entry: Entry) -> DocumentOutcome:
    """The outcome as listed for one input path (a document found at two paths is listed twice)."""
    if outcome.summary.get("path") == entry.shown:
        return outcome
    summary = {**outcome.summary, "path": entry.shown}
    return DocumentOutcome(summary, outcome.records, outcome.title)


def summary_table(result: BatchResult) -> Table:
    """Documents by status, records, new/updated/unchanged and time, for the end of a run."""
    table = Table(title="csminer run", show_header=True)
    table.add_column("")
    table.add_column("count", justify="right")
    statuses = Counter(o.summary["status"] for o in result.outcomes)
    for status in ("success", "partial", "failure"):
        table.add_row(f"documents {status}", str(statuses.get(status, 0)))
    for kind in ("new", "updated", "unchanged", "failed"):
        table.add_row(f"documents {kind}", str(result.changes.get(kind, 0)))
    table.add_row("records", str(len(result.records)))
    # reports the records models do not know: another language, or not about security
    for code, label in (("W303", "in another language (W303)"), ("W304", "not about security (W304)")):
        count = sum(any(e["code"] == code for e in o.summary.get("errors", [])) for o in result.outcomes)
        if count:
            table.add_row(f"documents {label}", str(count))
    pages = sum(o.summary.get("pages") or 0 for o in result.outcomes if not o.summary.get("cached"))
    table.add_row("pages mined", str(pages))
    table.add_row("time", f"{result.seconds:.1f} s")
    return table


def stdout_console() -> Console:
    return Console(file=sys.stdout)
