"""Exports: JSON Lines round trips exactly, CSV and Parquet hold one flat row per record.

Records are the gold file's dicts (``shared/gold/dev.jsonl``, which carries an extra
``seed_line`` key and evidence with accents, curly quotes and a line break) plus a few
:class:`Record` objects built here with spans, confidences and a table-cell amount year.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline.evaluate import evaluate, load_jsonl
from pipeline.export import (
    AMOUNT_ROLE_FIELDS,
    BASE_COLUMNS,
    CONFIDENCE_FIELDS,
    VERSION_COLUMNS,
    flat_rows,
    pandas_metadata,
    read_records,
    write_all,
    write_csv,
    write_jsonl,
    write_parquet,
)
from pipeline.records.model import CORE_FIELDS, EvidenceSpan, Record, RecordAmount, RecordYears

EXPECTED_COLUMNS = [
    *BASE_COLUMNS,
    *(f"confidence_{f}" for f in CONFIDENCE_FIELDS),
    "confidence_zz_custom",
    *VERSION_COLUMNS,
]


def made_records() -> list[Record]:
    """Records as the pipeline builds them, with what the flat table must carry and survive."""
    merida = Record(
        id="neighborhood-2col-r0001",
        doc="neighborhood-2col",
        name="Mérida Initiative",
        evidence=[
            EvidenceSpan(
                text="…the Mérida Initiative totaled some $2.4 billion of which $1.7 billion was invested.",
                start=1200,
                end=1290,
                pages=[14],
                boxes=[(14, (72.0, 400.5, 300.0, 412.0))],
            ),
            EvidenceSpan(text="Total 352 768 385 143 281.8", start=900, end=927, pages=[13], source="table"),
        ],
        funders=["United States"],
        implementers=["USAID", "Secretaría de Seguridad Pública"],
        recipients=["Mexico"],
        amounts=[
            RecordAmount(value=2.4e9, currency="USD", text="$2.4 billion", qualifier="approx"),
            RecordAmount(value=281.8e6, currency="USD", text="281.8", qualifier="exact", year=2012),
        ],
        years=RecordYears(start=2008, end=2010, mentioned=[2008, 2010]),
        hard_soft="hard",
        scope="transnational",
        modality="bilateral",
        themes=["counter-narcotics", "organized-crime"],
        confidence={"hard_soft": 0.91, "detect": 0.875, "zz_custom": 0.5, "funder:United States": 0.8},
        pipeline_version="0.1.0",
        model_version="classify-2026-01",
    )
    bare = Record(
        id="informe-r0001",
        doc="informe",
        evidence=[
            EvidenceSpan(text="Programa de prevención en São Paulo, apoyado por el BID.", start=0, end=56)
        ],
    )
    return [merida, bare]


def core(record: Record | dict[str, Any]) -> dict[str, Any]:
    if isinstance(record, Record):
        return record.to_core()
    return {k: record[k] for k in CORE_FIELDS if k in record}  # the gold's dicts: no amount year


def flat_evidence(record: dict[str, Any]) -> dict[str, Any]:
    """What a flat table keeps: evidence sentences with their inner whitespace collapsed."""
    return {**record, "evidence": [re.sub(r"\s+", " ", e).strip() for e in record["evidence"]]}


@pytest.fixture(scope="module")
def records(shared_dir: Path) -> list[Record | dict[str, Any]]:
    return [*made_records(), *load_jsonl(shared_dir / "gold" / "dev.jsonl")]


def test_jsonl_core_round_trip(records: list[Record | dict[str, Any]], tmp_path: Path) -> None:
    path = write_jsonl(records, tmp_path / "core.jsonl", core_only=True)
    back = read_records(path)
    assert back == [core(r) for r in records]
    assert all(list(r) == list(CORE_FIELDS) for r in back)


def test_jsonl_full_keeps_everything(records: list[Record | dict[str, Any]], tmp_path: Path) -> None:
    path = write_jsonl(records, tmp_path / "full.jsonl")
    back = read_records(path)
    expected = [json.loads(json.dumps(r.to_dict() if isinstance(r, Record) else r)) for r in records]
    # a full record gets total_usd, computed from its amounts, right after them
    assert [{k: v for k, v in r.items() if k != "total_usd"} for r in back] == [
        {k: v for k, v in r.items() if k != "total_usd"} for r in expected
    ]
    assert all(list(r)[list(r).index("amounts") + 1] == "total_usd" for r in back)
    assert back[0]["total_usd"] == max(a["value"] for a in expected[0]["amounts"])
    assert back[0]["spans"][0]["boxes"] == [[14, [72.0, 400.5, 300.0, 412.0]]]
    assert back[2]["seed_line"] == records[2]["seed_line"]  # a dict is written as it is
    assert read_records(path, core_only=True) == [core(r) for r in records]


def test_writing_twice_gives_identical_bytes(records: list[Record | dict[str, Any]], tmp_path: Path) -> None:
    for writer, name in ((write_jsonl, "r.jsonl"), (write_csv, "r.csv"), (write_parquet, "r.parquet")):
        a = writer(records, tmp_path / "a" / name).read_bytes()
        b = writer(list(reversed(list(reversed(records)))), tmp_path / "b" / name).read_bytes()
        assert a == b, name
    assert not list(tmp_path.rglob(".*.tmp"))


def test_csv_opens_in_pandas_with_accents_and_newlines(
    records: list[Record | dict[str, Any]], tmp_path: Path
) -> None:
    path = write_csv(records, tmp_path / "records.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert len(frame) == len(records)
    assert frame.loc[0, "name"] == "Mérida Initiative"
    assert frame.loc[0, "evidence"].split("\n") == [s.text for s in made_records()[0].evidence]
    assert "São Paulo" in frame.loc[1, "evidence"]
    assert frame.loc[0, "amounts"] == (
        "$2.4 billion (2400000000 USD, approx) | 281.8 (281800000 USD, exact, 2012)"
    )
    assert frame.loc[0, "confidence_hard_soft"] == 0.91
    # The csv module (Excel's reading, roughly) sees the same cells.
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(records)
    assert rows[2]["evidence"].count("\n") == len(records[2]["evidence"]) - 1


def test_parquet_opens_in_pandas(records: list[Record | dict[str, Any]], tmp_path: Path) -> None:
    path = write_parquet(records, tmp_path / "records.parquet")
    frame = pd.read_parquet(path)
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert len(frame) == len(records)
    assert str(frame["years_start"].dtype) == "Int64"
    assert str(frame["confidence_detect"].dtype) == "Float64"
    assert frame["years_start"].iloc[0] == 2008
    assert pd.isna(frame["years_start"].iloc[1])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_flat_round_trip(records: list[Record | dict[str, Any]], tmp_path: Path, suffix: str) -> None:
    paths = write_all(records, tmp_path)
    back = read_records(paths[suffix.lstrip(".")], core_only=True)
    if suffix == ".csv":  # one sentence per line in a cell: line breaks inside a sentence collapse
        assert back == [flat_evidence(core(r)) for r in records]
    else:  # typed columns keep every sentence as written
        assert back == [core(r) for r in records]
    full = read_records(paths[suffix.lstrip(".")])
    assert full[0]["confidence"] == {"detect": 0.875, "hard_soft": 0.91, "zz_custom": 0.5}
    assert full[0]["pipeline_version"] == "0.1.0"
    assert "confidence" not in full[2] and "model_version" not in full[2]


def test_flat_round_trip_scores_like_the_original(shared_dir: Path, tmp_path: Path) -> None:
    """Collapsing whitespace inside evidence changes no score: the scorer normalises it away."""
    gold = load_jsonl(shared_dir / "gold" / "dev.jsonl")
    back = read_records(write_csv(gold, tmp_path / "gold.csv"))
    assert evaluate(gold, back, {}).summary == evaluate(gold, gold, {}).summary


def test_flat_columns_and_dtypes_do_not_depend_on_the_records() -> None:
    empty = flat_rows([])
    full = flat_rows(made_records()[1:])
    assert list(empty.columns) == list(full.columns)
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()
    assert full.loc[0, "funders"] == ""
    assert pd.isna(full.loc[0, "name"])


def test_write_all_writes_three_files(tmp_path: Path) -> None:
    paths = write_all(iter(made_records()), tmp_path / "out")
    assert sorted(paths) == ["csv", "jsonl", "parquet"]
    assert [p.name for p in paths.values()] == ["records.jsonl", "records.csv", "records.parquet"]
    assert all(p.is_file() for p in paths.values())
    assert len(read_records(paths["jsonl"])) == 2


def test_bad_inputs_fail_loudly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected \.jsonl"):
        read_records(tmp_path / "records.xlsx")
    with pytest.raises(ValueError):
        write_jsonl(
            [{"id": "x", "doc": "d", "confidence": {"hard_soft": float("nan")}}], tmp_path / "x.jsonl"
        )
    assert not (tmp_path / "x.jsonl").exists()


def test_jsonl_is_written_record_by_record_and_not_at_all_when_one_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("kept\n", encoding="utf-8")

    def with_a_bad_second() -> Iterator[dict[str, Any]]:
        yield {"id": "a", "doc": "d"}
        yield {"id": "b", "doc": "d", "confidence": {"hard_soft": float("nan")}}

    with pytest.raises(ValueError):
        write_jsonl(with_a_bad_second(), path)
    # the file there before is left as it was, and no temporary file is left beside it
    assert path.read_text(encoding="utf-8") == "kept\n" and sorted(tmp_path.iterdir()) == [path]
    write_jsonl(({"id": f"r{n}", "doc": "d"} for n in range(3)), path)
    assert [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()] == [
        "r0",
        "r1",
        "r2",
    ]


def test_csv_separator_round_trip(records: list[Record | dict[str, Any]], tmp_path: Path) -> None:
    path = write_csv(records, tmp_path / "records.csv", sep=";")
    assert path.read_bytes().startswith(b'\xef\xbb\xbf"id";"doc";')
    assert read_records(path, core_only=True) == [flat_evidence(core(r)) for r in records]
    with pytest.raises(ValueError, match="separator"):
        write_csv(records, tmp_path / "bad.csv", sep="|")


def test_parquet_columns_are_typed(records: list[Record | dict[str, Any]], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    schema = pq.read_schema(write_parquet(records, tmp_path / "records.parquet"))
    assert str(schema.field("funders").type) == "list<element: string>"
    assert str(schema.field("years_start").type) == "int64"
    assert str(schema.field("confidence_detect").type) == "double"
    assert schema.field("amounts").type.value_type.names == [
        "value", "currency", "text", "qualifier", "year", *AMOUNT_ROLE_FIELDS,
    ]  # fmt: skip
    assert str(schema.field("total_usd").type) == "double"
    frame = pd.read_parquet(tmp_path / "records.parquet")
    assert list(frame.loc[0, "themes"]) == ["counter-narcotics", "organized-crime"]
    assert frame.loc[0, "amounts"][1]["year"] == 2012


def _edge_records() -> list[dict[str, Any]]:
    """Dicts whose cells a writer could render two ways: numbers at the edges of ``repr``'s
    notation, integers in number columns, a missing or NaN confidence, a formula, a flag."""
    numbers = [1e-7, 0.1 + 0.2, 1e16, 123456789.0, 5e-324, -0.0, 2.5e9, 7]
    return [
        {
            "id": f"edge-r{n:04d}",
            "doc": "edge",
            "name": "=HYPERLINK(1)" if n == 0 else None,
            "evidence": ["a\nb", "@c"],
            "funders": ["-x"],
            "amounts": [{"value": value, "currency": "USD", "text": "$1", "qualifier": "exact"}],
            "years": {"start": 2020 if n % 2 else None, "end": None, "mentioned": [2020]},
            "confidence": {"detect": value, "name": float("nan") if n == 1 else None, "funders": n == 2},
            "pipeline_version": "0.1.0",
        }
        for n, value in enumerate(numbers)
    ]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_csv_is_what_pandas_writes_of_the_flat_table(
    records: list[Record | dict[str, Any]], tmp_path: Path, sep: str
) -> None:
    # the records' CSV is written cell by cell with the csv module (a run imports no pandas):
    # the same bytes as pandas writing the flat table
    from pipeline.export import _frame_to_csv

    for name, items in (("records", records), ("edges", _edge_records()), ("none", [])):
        written = write_csv(items, tmp_path / f"{name}.csv", sep=sep).read_bytes()
        by_pandas = _frame_to_csv(flat_rows(items), tmp_path / f"{name}-pandas.csv", sep=sep).read_bytes()
        assert written == by_pandas, name


def test_parquet_is_what_pyarrow_makes_of_the_frame(
    records: list[Record | dict[str, Any]], tmp_path: Path
) -> None:
    # built from JSON by Arrow's reader, with the pandas metadata written from the schema: the
    # same table and file as converting the Python values and the typed frame
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.export import _table_to_frame, _typed_rows, linked_columns, typed_schema, typed_table

    linked = [{**core(r), "intervention": f"i{n}", "sources": [{"doc": "d", "record": "r"}]} for n, r in
              enumerate(records)]  # fmt: skip
    cases = {"records": (records, None), "edges": (_edge_records(), None), "none": ([], None),
             "linked": (linked, linked_columns(linked))}  # fmt: skip
    for name, (items, extra) in cases.items():
        table = typed_table(items, extra=extra)
        rows, conf_cols = _typed_rows(items)
        schema = typed_schema(conf_cols, [(k, t) for k, (t, _) in (extra or {}).items()])
        columns = {f.name: [row.get(f.name) for row in rows] for f in schema if f.name not in (extra or {})}
        columns.update({k: values for k, (_, values) in (extra or {}).items()})
        converted = pa.table(columns, schema=schema)
        assert table.schema == converted.schema, name
        assert repr(table.to_pylist()) == repr(converted.to_pylist()), name  # NaN equals NaN here
        assert all(column.num_chunks == 1 for column in table.columns), name
        by_pandas = pa.Table.from_pandas(_table_to_frame(table), schema=table.schema, preserve_index=False)
        pq.write_table(by_pandas, tmp_path / f"{name}-pandas.parquet")
        if extra is None:
            written = write_parquet(items, tmp_path / f"{name}.parquet")
            assert written.read_bytes() == (tmp_path / f"{name}-pandas.parquet").read_bytes(), name
        assert pq.read_schema(tmp_path / f"{name}-pandas.parquet").metadata == (
            table.replace_schema_metadata(pandas_metadata(table.schema)).schema.metadata
        ), name
