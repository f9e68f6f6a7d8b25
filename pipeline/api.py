"""The Python API: mine PDFs from a notebook or a script, get records and data frames.

``import csminer`` re-exports what is here. The models, matcher and splitter are loaded once
per process (:func:`pipeline.batch.load_stages`) and every document goes through the same
:func:`pipeline.run.process_document` as ``csminer run``, so a notebook gets the command's
records, ids included. Nothing here writes an inventory or a file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .config import Config
from .document import Document
from .records.model import Record

DEFAULT_MODELS = Path(__file__).resolve().parent.parent / "models" / "records"
"""The shipped models (``models/records`` beside the package)."""

PathLike = str | Path


def _paths(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    if isinstance(paths, str | Path):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _config(settings: Mapping[str, Any] | Iterable[str] | None, ocr: str | None) -> Config:
    """``settings`` as ``{"reading.x_tolerance": 2}`` or ``["reading.x_tolerance=2"]`` (the CLI's
    ``--set``); ``ocr`` wins over a ``reading.ocr`` setting, as ``--ocr`` does."""
    if isinstance(settings, Mapping):
        assignments = [f"{k}={v}" for k, v in settings.items()]
    else:
        assignments = list(settings or [])
    if ocr is not None:
        assignments.append(f"reading.ocr={ocr}")
    return Config().override(*assignments)


def read(
    path: PathLike, *, password: str | None = None, settings: Any = None, ocr: str | None = None
) -> Document:
    """The document model of one PDF (blocks in reading order, notes, tables, pages); no models
    are loaded. ``.to_dict()`` gives what ``csminer parse --json`` prints."""
    from .reading import opening
    from .reading.reader import read_pdf

    config = _config(settings, ocr)
    opening.configure(config.limits)
    return read_pdf(Path(path), config.reading, password=password)


def mine(
    paths: PathLike | Iterable[PathLike],
    *,
    models: PathLike | None = None,
    ner: bool = True,
    password: str | None = None,
    settings: Any = None,
    ocr: str | None = None,
    strict: bool = False,
) -> list[Record]:
    """Records of the PDFs at ``paths`` (files or folders), by document then in id order.

    ``models`` is a folder of trained models (the shipped ones by default), ``ner=False`` leaves
    the pretrained NER and parser out (faster, fewer unregistered actors), ``settings`` and
    ``ocr`` are the CLI's ``--set`` and ``--ocr``. A path that does not exist raises
    FileNotFoundError; a file that cannot be mined (not a PDF, encrypted …) is skipped with a
    warning that gives its coded error, or raises ValueError when ``strict``.
    """
    from .batch import _identify, assign_identities, find_pdfs, load_stages, make_entries
    from .reading import opening
    from .run import process_document

    given = _paths(paths)
    missing = [p for p in given if not p.exists() and not p.is_symlink()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(map(str, missing))}")
    config = _config(settings, ocr)
    opening.configure(config.limits)
    found = find_pdfs(given)
    for note in found.notes:
        warnings.warn(note, stacklevel=2)
    entries = make_entries(found.paths, found.roots)
    assign_identities(entries)  # x.pdf beside x.PDF: two documents, ids that do not collide
    stages = load_stages(Path(models or DEFAULT_MODELS), use_ner=ner) if entries else None
    records: list[Record] = []
    for entry in entries:
        if entry.problem is not None:
            _problem(f"{entry.shown}: {entry.problem.code} {entry.problem.message}", strict)
            continue
        assert stages is not None
        outcome = _identify(process_document(entry.path, stages, config, password), entry)
        if outcome.summary["status"] == "failure":
            errors = "; ".join(f"{e['code']} {e['message']}" for e in outcome.summary["errors"])
            _problem(f"{entry.shown}: {errors}", strict)
        records.extend(r for r in outcome.records if isinstance(r, Record))
    return sorted(records, key=lambda r: (r.doc, r.id))


def _problem(message: str, strict: bool) -> None:
    if strict:
        raise ValueError(message)
    warnings.warn(message, stacklevel=3)


def load_records(source: PathLike) -> list[dict[str, Any]]:
    """Records (RECORDS.md shape plus what the pipeline adds) from an export (``.jsonl``,
    ``.csv``, ``.parquet``) or an inventory (``.sqlite``, with intervention and sources)."""
    from .export import read_records

    path = Path(source)
    if path.suffix.lower() in (".sqlite", ".db", ".sqlite3"):
        import tempfile

        from .evaluate import load_jsonl
        from .inventory import export_inventory

        # through the inventory's own export: the same records, links and review marks as `export`
        with tempfile.TemporaryDirectory() as tmp:
            export_inventory(path, Path(tmp) / "records.jsonl", "jsonl")
            return load_jsonl(Path(tmp) / "records.jsonl")
    return read_records(path)


def records_frame(
    records: PathLike | Iterable[Record | dict[str, Any]], *, flat: bool = False
) -> pd.DataFrame:
    """One row per record as a pandas DataFrame.

    ``records`` are :class:`Record` objects (what :func:`mine` gives), record dicts, or a path to
    an export or an inventory. Columns are typed: lists (funders, themes, pages …) are Python
    lists, amounts a list of dicts, years nullable integers, confidences floats. ``flat=True`` gives
    the spreadsheet table instead (lists joined with `` | ``, what ``records.csv`` holds).
    """
    from .export import flat_rows, typed_frame

    items = load_records(records) if isinstance(records, str | Path) else list(records)
    return flat_rows(items) if flat else typed_frame(items)
