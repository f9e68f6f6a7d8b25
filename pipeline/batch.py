"""A corpus run: documents mined in parallel (processes or a Dask cluster), one inventory writer.

Workers only read and mine: each loads the matcher, splitter and models once (a pool
initializer, or the first task on a Dask worker), then turns paths into outcomes. Outcomes come
back to this process, which alone writes the inventory (one transaction per document, as each
arrives) and, at the end, the record files. A document whose bytes and versions are already in
the inventory is not mined again: its records are read back, so the files always hold the whole
corpus. Output never depends on the number of workers: records are sorted by doc then id.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
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
from .config import Config
from .errors import ErrorCode, problem
from .inventory import Inventory
from .run import DocumentOutcome, Stages, process_document, write_outputs

_STAGES: dict[tuple[str, bool], Stages] = {}
"""Per process: stages already loaded, by (models folder, NER). Loading takes seconds."""


def load_stages(models: Path, use_ner: bool = True) -> Stages:
    """The stages for ``models``, loaded once per process and reused for every document."""
    from .records.store import load_models

    key = (str(Path(models).resolve()), use_ner)
    if key not in _STAGES:
        _STAGES[key] = Stages.load(load_models(Path(models)).models, use_ner=use_ner)
    return _STAGES[key]


def model_version(models: Path) -> str:
    """The models' version from their card, without loading them (a warm run needs no models)."""
    card = json.loads((Path(models) / "card.json").read_text(encoding="utf-8"))
    return str(card.get("version", ""))


def _init_worker(models: str, use_ner: bool) -> None:
    load_stages(Path(models), use_ner)


def mine(path: str, models: str, use_ner: bool, config: Config, password: str | None) -> DocumentOutcome:
    """One document in a worker (process pool or Dask): the same function everywhere."""
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


def _executor_results(
    todo: list[Path],
    models: Path,
    use_ner: bool,
    config: Config,
    password: str | None,
    workers: int,
    scheduler: str | None,
    started: Callable[[], None] = lambda: None,
) -> Iterator[tuple[Path, DocumentOutcome]]:
    """Outcomes as they finish, from this process, a process pool or a Dask cluster.

    ``started`` runs once the work is handed out: the pool's processes are forked by then, so
    the progress display's refresh thread, started there, is never copied into a worker.
    """
    if not todo:
        return
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            args = (str(models), use_ner, config, password)
            futures = {client.submit(mine, str(p), *args, pure=False): p for p in todo}
            started()
            for future in dask_completed(futures):
                yield futures[future], _result(future, futures[future])
        return
    if workers <= 1 or len(todo) <= 1:
        stages = load_stages(models, use_ner)
        started()
        for path in todo:
            yield path, process_document(path, stages, config, password)
        return
    with ProcessPoolExecutor(
        max_workers=min(workers, len(todo)), initializer=_init_worker, initargs=(str(models), use_ner)
    ) as pool:
        futures = {pool.submit(mine, str(p), str(models), use_ner, config, password): p for p in todo}
        started()
        for future in as_completed(futures):
            yield futures[future], _result(future, futures[future])


def _result(future: Any, path: Path) -> DocumentOutcome:
    """The future's outcome, or a failure outcome when the worker itself died or raised (a
    crashed process, a lost Dask worker): listed like any failure, retried by the next run."""
    try:
        return future.result()
    except Exception as exc:
        detail = f"worker failed: {type(exc).__name__}: {exc}"
        summary = {
            "doc": path.stem,
            "path": str(path),
            "sha256": file_sha256(path),
            "status": "failure",
            "pages": 0,
            "counts": {"blocks": 0, "notes": 0, "tables": 0, "sentences": 0, "records": 0},
            "errors": [
                {
                    "code": ErrorCode.INTERNAL.value,
                    "message": problem(ErrorCode.INTERNAL, detail=detail).message,
                    "page": None,
                }
            ],
            "warnings": [],
            "timings": {},
            "pipeline_version": __version__,
            "model_version": "",
        }
        return DocumentOutcome(summary, [])


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
) -> BatchResult:
    """Mine ``paths`` into the inventory ``db`` and write the record files in ``out``.

    ``before_mining`` runs only when some document must be mined (the CLI checks the models
    there): a warm re-run then never pays for loading scikit-learn and the models.
    """
    start = time.perf_counter()
    console = console or Console(stderr=True)
    workers = workers or os.cpu_count() or 1
    versions = (__version__, model_version(models))
    result = BatchResult([])
    by_path: dict[Path, DocumentOutcome] = {}
    with Inventory(db) as inventory:
        todo: list[Path] = []
        for path in paths:
            row = inventory.document(path.stem)
            if not force and row and inventory.is_current(path.stem, file_sha256(path), *versions):
                summary = json.loads(row["summary"])
                summary.update(path=str(path), cached=True)  # same bytes, maybe reached by another path
                by_path[path] = DocumentOutcome(summary, [])
                result.changes["unchanged"] += 1
            else:
                todo.append(path)
        if todo and before_mining:
            before_mining()
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
        try:
            for path, outcome in _executor_results(
                todo, models, use_ner, config, password, workers, scheduler, started=progress.start
            ):
                stored = inventory.store(outcome.summary, outcome.records, forced=force, title=outcome.title)
                by_path[path] = outcome
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
        finally:
            progress.stop()
        result.outcomes = [by_path[p] for p in paths]
        docs = {o.summary["doc"] for o in result.outcomes}
        result.records = [r for doc in sorted(docs) for r in inventory.records(doc)]
    write_outputs(result.records, [o.summary for o in result.outcomes], out)
    result.seconds = time.perf_counter() - start
    return result


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
    pages = sum(o.summary.get("pages") or 0 for o in result.outcomes if not o.summary.get("cached"))
    table.add_row("pages mined", str(pages))
    table.add_row("time", f"{result.seconds:.1f} s")
    return table


def status_table(inventory: Inventory) -> Table:
    """The inventory's documents with status, pages, records and errors."""
    table = Table(title=str(inventory.path))
    for name in ("doc", "status", "pages", "records", "errors", "versions", "processed at"):
        table.add_column(name, overflow="fold")
    for row in inventory.documents():
        errors = json.loads(row["errors"] or "[]")
        table.add_row(
            row["doc"],
            row["status"],
            str(row["pages"] or 0),
            str(row["records"]),
            "\n".join(f"{e['code']} {e['message']}" for e in errors),
            f"{row['pipeline_version']} / {row['model_version']}",
            row["processed_at"],
        )
    return table


def stdout_console() -> Console:
    return Console(file=sys.stdout)
