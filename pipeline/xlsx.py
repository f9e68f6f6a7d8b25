"""Records as an Excel workbook that opens cleanly in any locale (openpyxl).

Four sheets: ``records`` (one row per record, evidence as one paragraph, amounts as a reader
writes them), ``amounts`` (one row per amount, numbers as numbers), ``evidence`` (one row per
sentence, with its pages) and ``codebook`` (every column and class explained). Text that starts
like a formula (``=``, ``+``, ``-``, ``@``) is stored as text: a PDF's words never run as a formula.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from . import codebook
from .evaluate import as_list
from .export import LIST_SEP, _atomic_write, _number, flat_rows

MAX_CELL = 32767
"""Excel's limit on the characters of one cell."""

AMOUNT_COLUMNS = (
    "record", "doc", "name", "n", "value", "currency", "text", "qualifier", "year",
    "role", "part_of", "row", "column", "stage", "usd",
)  # fmt: skip
EVIDENCE_COLUMNS = ("record", "doc", "n", "page", "source", "joined_by", "quote")


def _cell_text(value: str) -> str:
    """Characters XML 1.0 cannot hold removed, and the text cut at Excel's cell limit."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value if len(value) <= MAX_CELL else value[: MAX_CELL - 1] + "…"


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return _cell_text(value)
    return value.item() if hasattr(value, "item") else value


def _paragraph(evidence: Any) -> str:
    return " ".join(re.sub(r"\s+", " ", str(e)).strip() for e in as_list(evidence))


def _readable_amount(amount: Any) -> str:
    """``$2.4 billion = 2,400,000,000 USD (approx)``; a table cell adds its year."""
    if not isinstance(amount, dict):
        return str(amount)
    value = amount.get("value")
    number = (
        f"{value:,.0f}" if isinstance(value, int | float) and float(value).is_integer() else _number(value)
    )
    out = f"{amount.get('text', '')} = {number} {amount.get('currency', '')}"
    extra = [q for q in (amount.get("qualifier"),) if q and q != "exact"]
    if amount.get("year") is not None:
        extra.append(str(amount["year"]))
    return out + (f" ({', '.join(extra)})" if extra else "")


def _append(sheet: Any, values: list[Any]) -> None:
    sheet.append([_plain(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type != "s":  # "=…" would be stored as a formula
            cell.data_type = "s"


def _header(sheet: Any, columns: list[str], widths: dict[str, int] | None = None) -> None:
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for i, column in enumerate(columns):
        letter = sheet.cell(row=1, column=i + 1).column_letter
        sheet.column_dimensions[letter].width = (widths or {}).get(column, 16)


def _records_sheet(sheet: Any, records: list[dict[str, Any]]) -> list[str]:
    frame = flat_rows(records)
    frame["evidence"] = [_paragraph(r.get("evidence")) for r in records]
    frame["amounts"] = [
        LIST_SEP.join(_readable_amount(a) for a in as_list(r.get("amounts"))) for r in records
    ]
    if any("intervention" in r for r in records):
        frame["intervention"] = [r.get("intervention") for r in records]
        frame["sources"] = [
            LIST_SEP.join(f"{s.get('doc')}:{s.get('record')}" for s in r.get("sources") or [])
            for r in records
        ]
    if any("review" in r for r in records):
        frame["reviewed"] = [
            LIST_SEP.join(sorted((r.get("review") or {}).get("fields") or {})) for r in records
        ]
    columns = list(frame.columns)
    _header(sheet, columns, {"name": 30, "evidence": 80, "amounts": 40, "funders": 24, "recipients": 24})
    for row in frame.itertuples(index=False):
        _append(sheet, list(row))
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    return columns


def _amounts_sheet(sheet: Any, records: list[dict[str, Any]]) -> None:
    _header(sheet, list(AMOUNT_COLUMNS), {"name": 30, "text": 24, "value": 18})
    for r in records:
        for n, a in enumerate(as_list(r.get("amounts")), 1):
            if isinstance(a, dict):
                values = [r.get("id"), r.get("doc"), r.get("name"), n]
                values += [a.get(k) for k in ("value", "currency", "text", "qualifier", "year", "role")]
                part_of = a.get("part_of")  # the n of the amount it adds into, as this sheet counts
                values.append(part_of + 1 if isinstance(part_of, int) else None)
                values += [a.get(k) for k in ("row", "column", "stage", "usd")]
                _append(sheet, values)
    usd = AMOUNT_COLUMNS.index("usd") + 1
    for column in (5, usd):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "#,##0.##"


def _evidence_sheet(sheet: Any, records: list[dict[str, Any]]) -> None:
    _header(sheet, list(EVIDENCE_COLUMNS), {"quote": 100})
    for r in records:
        spans = r.get("spans") or [{"text": e} for e in as_list(r.get("evidence"))]
        for n, span in enumerate(spans, 1):
            pages = LIST_SEP.join(map(str, span.get("pages") or []))
            values = [r.get("id"), r.get("doc"), n, pages, span.get("source"), span.get("joined_by")]
            _append(sheet, [*values, re.sub(r"\s+", " ", str(span.get("text", ""))).strip()])


def _codebook_sheet(sheet: Any, sheets: dict[str, list[str]]) -> None:
    _header(sheet, ["sheet", "column or field", "class", "meaning"], {"meaning": 100, "column or field": 22})
    for name, columns in sheets.items():
        for column in columns:
            _append(sheet, [name, column, None, codebook.meaning(column)])
    for field, classes in codebook.CLASSES.items():
        for value, text in classes.items():
            _append(sheet, ["classes", field, value, text])


def write_xlsx(records: list[dict[str, Any]], path: Path) -> Path:
    """The workbook at ``path`` (written through a temporary file, like every export)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "records"
    columns = _records_sheet(sheet, records)
    _amounts_sheet(book.create_sheet("amounts"), records)
    _evidence_sheet(book.create_sheet("evidence"), records)
    _codebook_sheet(
        book.create_sheet("codebook"),
        {"records": columns, "amounts": list(AMOUNT_COLUMNS), "evidence": list(EVIDENCE_COLUMNS)},
    )
    return _atomic_write(path, lambda tmp: book.save(tmp))
