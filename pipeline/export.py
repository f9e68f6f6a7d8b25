"""Write records as JSON Lines, CSV and Parquet, and read any of them back.

JSON Lines is the exchange format (the shape of RECORDS.md, what the scorer reads) and the only
lossless one. CSV holds a flat table for spreadsheets: one row per record, lists joined with
`` | ``, evidence sentences joined with a newline, UTF-8 with a BOM and a chosen separator (``;``
for Excel in locales whose decimal mark is a comma). Parquet holds the same columns typed: lists
as ``list<string>``, years as nullable integers, amounts as ``list<struct>``, confidences as
floats, so pandas, DuckDB or Arrow read them without parsing anything. Every
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
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .evaluate import as_list, load_jsonl
from .nlp.amount_roles import with_total_usd
from .records.model import CORE_FIELDS, Record

if TYPE_CHECKING:  # the record files are written without pandas (importing it: about 0.2 s)
    import pandas as pd

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

AMOUNT_ROLE_FIELDS = ("role", "part_of", "row", "column", "table", "stage", "usd")
"""What :mod:`pipeline.nlp.amount_roles` adds to an amount (the typed table keeps them)."""

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

BASE_COLUMNS = (*TEXT_COLUMNS, "total_usd", *YEAR_COLUMNS, "years_mentioned", *LABEL_COLUMNS)
"""Flat columns before the confidences, in order. ``total_usd`` is the record's money in US
dollars counted once (:func:`pipeline.nlp.amount_roles.total_usd`): parts, cells under a
printed total, rates and requests beside money given are not added again."""

_FIELD_KEY = re.compile(r"^\w+$")
"""A per-field confidence key (``hard_soft``), not a per-item one (``funder:United States``)."""

_AMOUNT_RE = re.compile(
    r"^(?P<text>.*) \((?P<value>[^ ()]+) (?P<currency>[^ ,()]+), (?P<qualifier>[^ ,()]+)"
    r"(?:, (?P<year>\d{4}))?\)$",
    re.DOTALL,
)


# --- records to dicts and rows -------------------------------------------------------------------


def _as_dict(record: Record | dict[str, Any], core_only: bool) -> dict[str, Any]:
    """The record as a dict: ``to_core``/``to_dict`` for a Record, the dict itself otherwise; a
    full record dict gets ``total_usd`` after its amounts, computed from them (an analyst's
    corrected amounts give a corrected total), as ``to_dict`` gives it."""
    if isinstance(record, Record):
        return record.to_core() if core_only else record.to_dict()
    return _core_of(record) if core_only else with_total_usd(record)


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


def _year(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _is_pandas_na(value: Any) -> bool:
    """Whether ``value`` is pandas' missing value; without pandas imported, nothing can be."""
    pd = sys.modules.get("pandas")
    return pd is not None and value is pd.NA


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
        "total_usd": data.get("total_usd"),
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


def _flat_table(
    records: Iterable[Record | dict[str, Any]],
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """The flat table's columns, its confidence columns and its rows (dicts by column)."""
    rows = [_row(_as_dict(r, core_only=False)) for r in records]
    extra = sorted(
        {k for row in rows for k in row if k.startswith("confidence_")}
        - {f"confidence_{f}" for f in CONFIDENCE_FIELDS}
    )
    conf_cols = [f"confidence_{f}" for f in CONFIDENCE_FIELDS] + extra
    return [*BASE_COLUMNS, *conf_cols, *VERSION_COLUMNS], conf_cols, rows


def flat_rows(records: Iterable[Record | dict[str, Any]]) -> pd.DataFrame:
    """One row per record, flat, in a fixed column order with stable dtypes.

    Lists are joined with `` | ``, amounts written ``text (value CUR, qualifier)``, years split
    into ``years_start``/``years_end`` (nullable Int64) and ``years_mentioned``, per-field
    confidences spread into ``confidence_<field>`` (nullable Float64), evidence sentences joined
    with a newline. Text columns are pandas ``string`` so an all-empty column keeps its dtype.
    """
    import pandas as pd

    columns, conf_cols, rows = _flat_table(records)
    frame = pd.DataFrame.from_records(rows, columns=columns)
    dtypes: dict[str, Any] = {c: "string" for c in columns}
    dtypes.update({c: "Int64" for c in YEAR_COLUMNS})
    dtypes.update({c: "Float64" for c in [*conf_cols, "total_usd"]})
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
    the same bytes. NaN or infinity in a record raise ValueError (they are not JSON) and leave no
    file. Each record is written as it comes: an iterator of records is never held whole.
    """

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            for record in records:
                line = json.dumps(
                    _as_dict(record, core_only), ensure_ascii=False, separators=(", ", ": "), allow_nan=False
                )
                fh.write(line + "\n")

    return _atomic_write(path, write)


CSV_SEPARATORS = (",", ";", "\t")
"""``;`` is what Excel expects where the decimal mark is a comma (Spanish, Portuguese locales)."""


def write_csv(records: Iterable[Record | dict[str, Any]], path: Path, sep: str = ",") -> Path:
    """The flat table as CSV: UTF-8 with a BOM (Excel then reads accents right), every cell quoted
    (newlines inside cells survive, and no cell is mistaken for a number), ``\\n`` row ends,
    cells separated by ``sep``.

    Written with the csv module, cell by cell as pandas writes :func:`flat_rows` (the same bytes,
    which a test checks), so that a run writes its files without importing pandas."""
    _check_separator(sep)
    columns, conf_cols, rows = _flat_table(records)
    floats = {*conf_cols, "total_usd"}
    cells = [[_csv_cell(row.get(c), c in YEAR_COLUMNS, c in floats) for c in columns] for row in rows]

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=sep, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(cells)

    return _atomic_write(path, write)


def _csv_cell(value: Any, integer: bool, number: bool) -> Any:
    """A flat cell as pandas writes its column's dtype: missing values empty, ``Int64`` as the
    integer, ``Float64`` as the float (``repr``), ``string`` as the text with formulas escaped."""
    if value is None or _is_pandas_na(value) or (isinstance(value, float) and value != value):
        return ""
    if integer:
        return int(value)
    if number:
        return float(value)
    return escape_formula(value if isinstance(value, str) else str(value))


def _check_separator(sep: str) -> None:
    if sep not in CSV_SEPARATORS:
        raise ValueError(f"CSV separator {sep!r}: expected one of {', '.join(map(repr, CSV_SEPARATORS))}")


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


def _frame_to_csv(frame: pd.DataFrame, path: Path, sep: str = ",") -> Path:
    _check_separator(sep)
    text_columns = [c for c in frame.columns if frame[c].dtype == "string"]
    safe = frame.copy()
    for column in text_columns:  # records quote PDFs, and a PDF may hold "=cmd|' /C calc'!A0"
        safe[column] = safe[column].map(escape_formula, na_action="ignore")

    def write(tmp: Path) -> None:
        safe.to_csv(
            tmp, index=False, sep=sep, encoding="utf-8-sig", quoting=csv.QUOTE_ALL, lineterminator="\n"
        )

    return _atomic_write(path, write)


def write_parquet(records: Iterable[Record | dict[str, Any]], path: Path) -> Path:
    """The typed table as Parquet (see :func:`typed_table`)."""
    return write_table(typed_table(records), path)


def write_table(table: pa.Table, path: Path) -> Path:
    """A typed table as Parquet, with pandas' metadata: pandas reads years back as ``Int64``
    and confidences as ``Float64`` even when no value is missing."""
    import pyarrow.parquet as pq

    with_pandas = table.replace_schema_metadata(pandas_metadata(table.schema))
    return _atomic_write(path, lambda tmp: pq.write_table(with_pandas, tmp))


_PANDAS_TYPES: dict[pa.DataType, tuple[str, str]] = {
    pa.string(): ("unicode", "string"),
    pa.int64(): ("int64", "Int64"),
    pa.float64(): ("float64", "Float64"),
}
"""Arrow type → (pandas_type, numpy_type) of the column :func:`typed_frame` gives it."""


def _logical_type(value_type: pa.DataType) -> str:
    """The ``pandas_type`` of a list's items (pandas calls a struct ``object``)."""
    if pa.types.is_struct(value_type):
        return "object"
    return _PANDAS_TYPES[value_type][0]


def pandas_metadata(schema: pa.Schema) -> dict[bytes, bytes]:
    """The ``pandas`` schema metadata that ``pa.Table.from_pandas`` writes for the frame
    :func:`typed_frame` makes of a typed table (no index; lists as object columns), built from
    the schema alone, so a Parquet file is written without importing pandas (a test checks it
    is the same)."""
    from importlib.metadata import version

    columns = []
    for name, arrow_type in zip(schema.names, schema.types, strict=True):
        if pa.types.is_list(arrow_type):
            pandas_type, numpy_type = f"list[{_logical_type(arrow_type.value_type)}]", "object"
        elif arrow_type in _PANDAS_TYPES:
            pandas_type, numpy_type = _PANDAS_TYPES[arrow_type]
        else:
            raise ValueError(f"column {name!r}: no pandas type for {arrow_type}")
        columns.append(
            {
                "name": name,
                "field_name": name,
                "pandas_type": pandas_type,
                "numpy_type": numpy_type,
                "metadata": None,
            }
        )
    pandas = sys.modules.get("pandas")
    metadata = {
        "index_columns": [],
        "column_indexes": [],
        "columns": columns,
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": pandas.__version__ if pandas is not None else version("pandas"),
    }
    return {b"pandas": json.dumps(metadata).encode("utf8")}


def write_all(
    records: Iterable[Record | dict[str, Any]], out_dir: Path, csv_sep: str = ","
) -> dict[str, Path]:
    """``records.jsonl`` (full records), ``records.csv`` (flat) and ``records.parquet`` (typed)
    in ``out_dir``."""
    records = list(records)
    return {
        "jsonl": write_jsonl(records, out_dir / "records.jsonl"),
        "csv": write_csv(records, out_dir / "records.csv", csv_sep),
        "parquet": write_parquet(records, out_dir / "records.parquet"),
    }


# --- the typed table -----------------------------------------------------------------------------

AMOUNT_TYPE = pa.struct(
    [
        ("value", pa.float64()),
        ("currency", pa.string()),
        ("text", pa.string()),
        ("qualifier", pa.string()),
        ("year", pa.int64()),
        ("role", pa.string()),
        ("part_of", pa.int64()),
        ("row", pa.string()),
        ("column", pa.string()),
        ("table", pa.int64()),
        ("stage", pa.string()),
        ("usd", pa.float64()),
    ]
)
"""One amount in the typed table; ``year`` is a table cell's column year (null elsewhere); role,
part_of, row, column, table, stage and usd as :mod:`pipeline.nlp.amount_roles` gives them."""

SOURCE_TYPE = pa.struct([("doc", pa.string()), ("record", pa.string())])

TYPED_LIST_COLUMNS = ("evidence", *LIST_COLUMNS)
"""Columns that are ``list<string>`` in the typed table."""


def _typed_row(data: dict[str, Any]) -> dict[str, Any]:
    years = data.get("years") if isinstance(data.get("years"), dict) else {}
    row = _row(data)  # scalars and confidences exactly as the flat table has them
    row["evidence"] = [str(e) for e in as_list(data.get("evidence"))]
    row["pages"] = [int(p) for p in as_list(data.get("pages"))]
    for k in LIST_COLUMNS:
        row[k] = [str(v) for v in as_list(data.get(k))]
    row["amounts"] = [
        {
            "value": float(a["value"]) if isinstance(a.get("value"), int | float) else None,
            "currency": a.get("currency"),
            "text": a.get("text"),
            "qualifier": a.get("qualifier"),
            "year": a.get("year") if isinstance(a.get("year"), int) else None,
            **{k: _typed_role_field(k, a.get(k)) for k in AMOUNT_ROLE_FIELDS},
        }
        for a in as_list(data.get("amounts"))
        if isinstance(a, dict)
    ]
    row["years_mentioned"] = [int(y) for y in as_list(years.get("mentioned")) if isinstance(y, int)]
    for key, value in row.items():  # number columns as the typed frame holds them
        if key == "total_usd" or key.startswith("confidence_"):
            if isinstance(value, bool):  # a flag counts 0 or 1
                row[key] = float(value)
            elif isinstance(value, float) and value != value:  # NaN is a missing value
                row[key] = None
    return row


def _typed_role_field(key: str, value: Any) -> Any:
    """An amount's role field as its typed column holds it (None when absent or mistyped)."""
    if key in ("part_of", "table"):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if key == "usd":
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return str(value) if value is not None else None


def _typed_rows(records: Iterable[Record | dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    rows = [_typed_row(_as_dict(r, core_only=False)) for r in records]
    extra = sorted(
        {k for row in rows for k in row if k.startswith("confidence_")}
        - {f"confidence_{f}" for f in CONFIDENCE_FIELDS}
    )
    return rows, [f"confidence_{f}" for f in CONFIDENCE_FIELDS] + extra


def typed_schema(conf_cols: list[str], extra: Iterable[tuple[str, pa.DataType]] = ()) -> pa.Schema:
    """The typed table's schema: the flat table's columns, in its order, with their real types."""
    types: dict[str, pa.DataType] = {c: pa.string() for c in BASE_COLUMNS}
    types.update({c: pa.list_(pa.string()) for c in TYPED_LIST_COLUMNS})
    types.update(
        pages=pa.list_(pa.int64()), years_mentioned=pa.list_(pa.int64()), amounts=pa.list_(AMOUNT_TYPE)
    )
    types.update({c: pa.int64() for c in YEAR_COLUMNS})
    types["total_usd"] = pa.float64()
    fields = [(c, types[c]) for c in BASE_COLUMNS]
    fields += [(c, pa.float64()) for c in conf_cols]
    fields += [(c, pa.string()) for c in VERSION_COLUMNS]
    return pa.schema([*fields, *extra])


def typed_table(
    records: Iterable[Record | dict[str, Any]], extra: dict[str, tuple[pa.DataType, list[Any]]] | None = None
) -> pa.Table:
    """One row per record with typed columns (Arrow): the flat table's columns, lists as lists,
    amounts as ``list<struct{value, currency, text, qualifier, year, role, …}>``, years as nullable
    integers, confidences as floats. ``extra`` adds columns (name: type and values)."""
    rows, conf_cols = _typed_rows(records)
    extra = extra or {}
    schema = typed_schema(conf_cols, [(name, t) for name, (t, _) in extra.items()])
    for name, (_, values) in extra.items():
        for row, value in zip(rows, values, strict=True):
            row[name] = value
    return _arrow_table(rows, schema)


def _arrow_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """``rows`` as an Arrow table of ``schema``, through Arrow's JSON reader: the same table as
    ``pa.table`` of the columns (a test checks it), but ``pa.table`` imports pandas on its first
    conversion of Python values (about 0.2 s of a one-report run), the JSON reader does not."""
    import pyarrow.json as pj

    data = "".join(  # an amount's NaN is written NaN, which the reader takes as pa.table does
        json.dumps({f.name: row.get(f.name) for f in schema}, ensure_ascii=False) + "\n" for row in rows
    ).encode("utf-8")
    if not data:
        return schema.empty_table()
    # one block holds every line (a line may not straddle two), so each column is one chunk
    read = pj.ReadOptions(block_size=max(len(data), 1 << 20))
    parse = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    return pj.read_json(pa.BufferReader(data), read_options=read, parse_options=parse)


def typed_frame(records: Iterable[Record | dict[str, Any]]) -> pd.DataFrame:
    """The typed table as pandas: lists as Python lists, years ``Int64``, confidences ``Float64``;
    records of an inventory export add their intervention, sources and reviewed fields."""
    records = list(records)
    linked = any(isinstance(r, dict) and "intervention" in r for r in records)
    dicts = [r for r in records if isinstance(r, dict)]
    return _table_to_frame(typed_table(records, extra=linked_columns(dicts) if linked else None))


def _table_to_frame(table: pa.Table) -> pd.DataFrame:
    import pandas as pd

    dtypes = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.string(): pd.StringDtype()}
    frame = table.to_pandas(types_mapper=dtypes.get)
    for name in table.column_names:
        if pa.types.is_list(table.schema.field(name).type):
            frame[name] = pd.Series(table.column(name).to_pylist(), dtype=object, index=frame.index)
    return frame


def linked_columns(records: list[dict[str, Any]]) -> dict[str, tuple[pa.DataType, list[Any]]]:
    """What an inventory export adds to each record, typed: its intervention, the records and
    documents joined to it, and the fields an analyst reviewed."""
    return {
        "intervention": (pa.string(), [r.get("intervention") for r in records]),
        "sources": (
            pa.list_(SOURCE_TYPE),
            [
                [{"doc": s.get("doc"), "record": s.get("record")} for s in r.get("sources") or []]
                for r in records
            ],
        ),
        "reviewed": (
            pa.list_(pa.string()),
            [sorted((r.get("review") or {}).get("fields") or {}) for r in records],
        ),
    }


def write_linked(records: list[dict[str, Any]], out: Path, fmt: str, db: Path | None = None) -> Path:
    """An inventory export (records with ``intervention`` and ``sources``) as typed Parquet, an
    Excel workbook or IATI activity XML (linking each source to its file's path in ``db``)."""
    if fmt == "parquet":
        return write_table(typed_table(records, extra=linked_columns(records)), out)
    if fmt == "xlsx":
        from .xlsx import write_xlsx

        return write_xlsx(records, out)
    if fmt == "iati":
        from .iati import write_iati
        from .inventory import Inventory

        paths: dict[str, str] = {}
        if db is not None:
            with Inventory(db) as inventory:
                paths = {d["doc"]: d["path"] for d in inventory.documents()}
        return write_iati(records, out, paths)
    raise ValueError(f"unknown format {fmt!r}: expected parquet, xlsx or iati")


# --- readers ---------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None or _is_pandas_na(value):
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


def _from_typed(row: dict[str, Any], core_only: bool) -> dict[str, Any]:
    """A typed row (Parquet) back to a record dict: lists and amounts are already lists."""
    record = _from_flat({k: v for k, v in row.items() if not isinstance(v, list)}, core_only=False)
    for k in ("evidence", *LIST_COLUMNS):
        record[k] = [str(v) for v in row.get(k) or []]
    record["pages"] = [int(p) for p in row.get("pages") or []]
    record["amounts"] = [
        {
            "value": _parse_number(_number(a["value"])) if a.get("value") is not None else None,
            **{k: a.get(k) for k in ("currency", "text", "qualifier")},
            **({"year": int(a["year"])} if a.get("year") is not None else {}),
            **{k: a[k] for k in AMOUNT_ROLE_FIELDS if a.get(k) is not None},
        }
        for a in row.get("amounts") or []
    ]
    record["years"]["mentioned"] = [int(y) for y in row.get("years_mentioned") or []]
    return _core_of(record) if core_only else record


def _csv_separator(path: Path) -> str:
    """The separator a csminer CSV was written with: the one after the quoted first header."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        head = fh.readline()
    m = re.match(r'^"[^"]*"(.)', head)
    return m[1] if m and m[1] in CSV_SEPARATORS else ","


def read_records(path: Path, core_only: bool = False) -> list[dict[str, Any]]:
    """Records from a ``.jsonl``, ``.csv`` or ``.parquet`` export, as dicts in the RECORDS.md shape.

    JSON Lines come back as written (with ``core_only``: only the RECORDS.md fields). Tables
    are rebuilt into lists and nested amounts/years, plus ``confidence`` and the versions when
    the table has them. The typed (Parquet) round trip is exact; the CSV one is exact except
    that whitespace inside an evidence sentence is collapsed to single spaces (the newline
    separates sentences there). Parquet files of the earlier flat layout are read too.
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return [_core_of(r) if core_only else r for r in load_jsonl(path)]
    if suffix == ".csv":
        # The csv module, not pandas: no cell is reinterpreted ("NA", "None", "0012" stay text).
        sep = _csv_separator(path)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [
                _from_flat({k: unescape_formula(v) for k, v in row.items()}, core_only)
                for row in csv.DictReader(fh, delimiter=sep)
            ]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        rows = table.to_pylist()
        if "evidence" in table.column_names and pa.types.is_list(table.schema.field("evidence").type):
            return [_from_typed(row, core_only) for row in rows]
        return [_from_flat(row, core_only) for row in rows]
    raise ValueError(f"cannot read records from {path}: expected .jsonl, .csv or .parquet")
