"""Write records as JSON Lines, CSV and Parquet, and read any of them back.

JSON Lines is the exchange format (the shape of RECORDS.md, what the scorer reads) and the only
lossless one. CSV and Parquet hold the same flat table for spreadsheets and data frames: one
row per record, lists joined with `` | ``, evidence sentences joined with a newline. Every
writer is deterministic (same records in, same bytes out) so that a re-run that changed nothing
shows no diff, and writes through a temporary file so that an interrupted export never leaves
a half-written file where a complete one was.

Records come either as :class:`~pipeline.records.model.Record` objects or as plain dicts
already in the RECORDS.md shape (a gold file, a previous export); dicts are used as they are.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .evaluate import as_list, load_jsonl
from .records.model import CORE_FIELDS, Record

LIST_SEP = " | "
"""Joins list items in a flat cell; split on when reading a flat table back."""

EVIDENCE_SEP = "\n"
"""Joins evidence sentences in a flat cell: one sentence per line in a spreadsheet cell."""

CONFIDENCE_FIELDS = ("detect", *(f for f in CORE_FIELDS if f not in ("id", "doc", "evidence", "pages")))
"""Confidence columns always present (empty when not given), so the table's columns and dtypes
do not depend on which records happen to be exported. Other per-field keys follow, sorted;
per-item keys (``funder:United States``) stay in the JSON Lines only, or the table would grow
a column per actor."""

AMOUNT_FIELDS = ("value", "currency", "text", "qualifier")

LIST_COLUMNS = ("funders", "implementers", "recipients", "themes")

TEXT_COLUMNS = (
    "id",
    "doc",
    "name",
    "evidence",
    "pages",
    "funders",
    "implementers",
    "recipients",
    "amounts",
)
LABEL_COLUMNS = ("hard_soft", "scope", "modality", "themes")
YEAR_COLUMNS = ("years_start", "years_end")
VERSION_COLUMNS = ("pipeline_version", "model_version")

BASE_COLUMNS = (*TEXT_COLUMNS, *YEAR_COLUMNS, "years_mentioned", *LABEL_COLUMNS)
"""Flat columns before the confidences, in order."""

_FIELD_KEY = re.compile(r"^\w+$")
"""A per-field confidence key (``hard_soft``), not a per-item one (``funder:United States``)."""

_AMOUNT_RE = re.compile(
    r"^(?P<text>.*) \((?P<value>[^ ()]+) (?P<currency>[^ ,()]+), (?P<qualifier>[^ ,()]+)"
    r"(?:, (?P<year>\d{4}))?\)$",
    re.DOTALL,
)


# --- records to dicts and rows -------------------------------------------------------------------


def _as_dict(record: Record | dict[str, Any], core_only: bool) -> dict[str, Any]:
    """The record as a dict: ``to_core``/``to_dict`` for a Record, the dict itself otherwise."""
    if isinstance(record, Record):
        return record.to_core() if core_only else record.to_dict()
    return _core_of(record) if core_only else record


def _core_of(record: dict[str, Any]) -> dict[str, Any]:
    """Only the RECORDS.md fields, amounts reduced to theirs (a ``to_dict`` amount adds ``year``)."""
    core = {k: record[k] for k in CORE_FIELDS if k in record}
    if isinstance(core.get("amounts"), list):
        core["amounts"] = [
            {k: a[k] for k in AMOUNT_FIELDS if k in a} if isinstance(a, dict) else a for a in core["amounts"]
        ]
    return core


def _number(value: Any) -> str:
    """A number as written in a flat cell: integral values without ``.0``, others by ``repr``."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _amount_cell(amount: Any) -> str:
    """``text (value CUR, qualifier)``, with ``, year`` inside the parentheses for a table cell's year."""
    if not isinstance(amount, dict):
        return str(amount)
    inner = f"{_number(amount.get('value'))} {amount.get('currency')}, {amount.get('qualifier')}"
    if amount.get("year") is not None:
        inner += f", {amount['year']}"
    return f"{amount.get('text', '')} ({inner})"


def _one_line(text: Any) -> str:
    """An evidence sentence on one line: line breaks inside it are layout, and the cell's own
    line breaks separate sentences."""
    return re.sub(r"\s+", " ", str(text)).strip()


def _year(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else pd.NA


def _row(data: dict[str, Any]) -> dict[str, Any]:
    years = data.get("years") if isinstance(data.get("years"), dict) else {}
    row: dict[str, Any] = {
        "id": data.get("id"),
        "doc": data.get("doc"),
        "name": data.get("name"),
        "evidence": EVIDENCE_SEP.join(_one_line(e) for e in as_list(data.get("evidence"))),
        "pages": LIST_SEP.join(map(str, as_list(data.get("pages")))),
        **{k: LIST_SEP.join(map(str, as_list(data.get(k)))) for k in LIST_COLUMNS},
        "amounts": LIST_SEP.join(_amount_cell(a) for a in as_list(data.get("amounts"))),
        "years_start": _year(years.get("start")),
        "years_end": _year(years.get("end")),
        "years_mentioned": LIST_SEP.join(map(str, as_list(years.get("mentioned")))),
        "hard_soft": data.get("hard_soft"),
        "scope": data.get("scope"),
        "modality": data.get("modality"),
    }
    confidence = data.get("confidence") if isinstance(data.get("confidence"), dict) else {}
    for k, v in confidence.items():
        if _FIELD_KEY.match(str(k)):
            row[f"confidence_{k}"] = v
    for k in VERSION_COLUMNS:
        row[k] = data.get(k) or None
    return row


def flat_rows(records: Iterable[Record | dict[str, Any]]) -> pd.DataFrame:
    """One row per record, flat, in a fixed column order with stable dtypes.

    Lists are joined with `` | ``, amounts written ``text (value CUR, qualifier)``, years split
    into ``years_start``/``years_end`` (nullable Int64) and ``years_mentioned``, per-field
    confidences spread into ``confidence_<field>`` (nullable Float64), evidence sentences joined
    with a newline. Text columns are pandas ``string`` so an all-empty column keeps its dtype.
    """
    rows = [_row(_as_dict(r, core_only=False)) for r in records]
    extra = sorted(
        {k for row in rows for k in row if k.startswith("confidence_")}
        - {f"confidence_{f}" for f in CONFIDENCE_FIELDS}
    )
    conf_cols = [f"confidence_{f}" for f in CONFIDENCE_FIELDS] + extra
    columns = [*BASE_COLUMNS, *conf_cols, *VERSION_COLUMNS]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    dtypes: dict[str, Any] = {c: "string" for c in columns}
    dtypes.update({c: "Int64" for c in YEAR_COLUMNS})
    dtypes.update({c: "Float64" for c in conf_cols})
    for c in columns:
        if dtypes[c] == "string":
            frame[c] = frame[c].map(
                lambda v: v if v is None or isinstance(v, str) else str(v), na_action="ignore"
            )
    return frame.astype(dtypes)


# --- writers ---------------------------------------------------------------------------------


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write to a temporary sibling, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_jsonl(records: Iterable[Record | dict[str, Any]], path: Path, core_only: bool = False) -> Path:
    """One JSON object per line, in the given order; ``core_only`` keeps exactly the RECORDS.md fields.

    Fixed separators, UTF-8 without escaping accents, ``\\n`` line ends: the same records give
    the same bytes. NaN or infinity in a record raise ValueError (they are not JSON).
    """
    lines = [
        json.dumps(_as_dict(r, core_only), ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
        for r in records
    ]

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(line + "\n" for line in lines)

    return _atomic_write(path, write)


def write_csv(records: Iterable[Record | dict[str, Any]], path: Path) -> Path:
    """The flat table as CSV: UTF-8 with a BOM (Excel then reads accents right), every cell quoted
    (newlines inside cells survive, and no cell is mistaken for a number), ``\\n`` row ends."""
    return _frame_to_csv(flat_rows(records), path)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet takes a cell starting with one of these as a formula (OWASP, CSV injection)."""


def escape_formula(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: a leading apostrophe before a formula start
    (and before an apostrophe, so that :func:`unescape_formula` gives back exactly the text)."""
    if isinstance(value, str) and value[:1] in (*FORMULA_STARTS, "'"):
        return "'" + value
    return value


def unescape_formula(value: Any) -> Any:
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in (*FORMULA_STARTS, "'"):
        return value[1:]
    return value


def _frame_to_csv(frame: pd.DataFrame, path: Path) -> Path:
    text_columns = [c for c in frame.columns if frame[c].dtype == "string"]
    safe = frame.copy()
    for column in text_columns:  # records quote PDFs, and a PDF may hold "=cmd|' /C calc'!A0"
        safe[column] = safe[column].map(escape_formula, na_action="ignore")

    def write(tmp: Path) -> None:
        safe.to_csv(tmp, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_ALL, lineterminator="\n")

    return _atomic_write(path, write)


def write_parquet(records: Iterable[Record | dict[str, Any]], path: Path) -> Path:
    """The flat table as Parquet (pyarrow), nullable dtypes kept for pandas."""
    return _frame_to_parquet(flat_rows(records), path)


def _frame_to_parquet(frame: pd.DataFrame, path: Path) -> Path:
    return _atomic_write(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))


def write_all(records: Iterable[Record | dict[str, Any]], out_dir: Path) -> dict[str, Path]:
    """``records.jsonl`` (full records), ``records.csv`` and ``records.parquet`` in ``out_dir``
    (the flat table is built once for both)."""
    records = list(records)
    frame = flat_rows(records)
    return {
        "jsonl": write_jsonl(records, out_dir / "records.jsonl"),
        "csv": _frame_to_csv(frame, out_dir / "records.csv"),
        "parquet": _frame_to_parquet(frame, out_dir / "records.parquet"),
    }


# --- readers ---------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and not value


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value)


def _split(value: Any, sep: str = LIST_SEP) -> list[str]:
    return [] if _blank(value) else str(value).split(sep)


def _int(value: Any) -> int | None:
    return None if _blank(value) else int(value)


def _parse_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _parse_amount(cell: str) -> dict[str, Any]:
    m = _AMOUNT_RE.match(cell)
    if not m:
        raise ValueError(f"amount cell not in the form 'text (value CUR, qualifier)': {cell!r}")
    amount: dict[str, Any] = {
        "value": _parse_number(m["value"]),
        "currency": m["currency"],
        "text": m["text"],
        "qualifier": m["qualifier"],
    }
    if m["year"]:
        amount["year"] = int(m["year"])
    return amount


def _from_flat(row: dict[str, Any], core_only: bool) -> dict[str, Any]:
    """A flat row back to a record dict: RECORDS.md fields, then confidences and versions when set."""
    record: dict[str, Any] = {
        "id": _text(row.get("id")),
        "doc": _text(row.get("doc")),
        "name": _text(row.get("name")),
        "evidence": _split(row.get("evidence"), EVIDENCE_SEP),
        "pages": [int(p) for p in _split(row.get("pages"))],
        "funders": _split(row.get("funders")),
        "implementers": _split(row.get("implementers")),
        "recipients": _split(row.get("recipients")),
        "amounts": [_parse_amount(a) for a in _split(row.get("amounts"))],
        "years": {
            "start": _int(row.get("years_start")),
            "end": _int(row.get("years_end")),
            "mentioned": [int(y) for y in _split(row.get("years_mentioned"))],
        },
        "hard_soft": _text(row.get("hard_soft")),
        "scope": _text(row.get("scope")),
        "modality": _text(row.get("modality")),
        "themes": _split(row.get("themes")),
    }
    if core_only:
        return _core_of(record)
    confidence = {
        k.removeprefix("confidence_"): float(v)
        for k, v in row.items()
        if k.startswith("confidence_") and not _blank(v)
    }
    if confidence:
        record["confidence"] = dict(sorted(confidence.items()))
    for k in VERSION_COLUMNS:
        if not _blank(row.get(k)):
            record[k] = str(row[k])
    return record


def read_records(path: Path, core_only: bool = False) -> list[dict[str, Any]]:
    """Records from a ``.jsonl``, ``.csv`` or ``.parquet`` export, as dicts in the RECORDS.md shape.

    JSON Lines come back as written (with ``core_only``: only the RECORDS.md fields). Flat
    tables are rebuilt into lists and nested amounts/years, plus ``confidence`` and the versions
    when the table has them. The flat round trip is exact except that whitespace inside an
    evidence sentence is collapsed to single spaces (the newline separates sentences there).
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return [_as_dict(r, core_only) for r in load_jsonl(path)]
    if suffix == ".csv":
        # The csv module, not pandas: no cell is reinterpreted ("NA", "None", "0012" stay text).
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [
                _from_flat({k: unescape_formula(v) for k, v in row.items()}, core_only)
                for row in csv.DictReader(fh)
            ]
    if suffix == ".parquet":
        frame = pd.read_parquet(path, engine="pyarrow")
        return [_from_flat(row, core_only) for row in frame.to_dict(orient="records")]
    raise ValueError(f"cannot read records from {path}: expected .jsonl, .csv or .parquet")
