"""The shipped record schema (``docs/record.schema.json``) against the records csminer writes.

A shipped report (``corpus/neighborhood-2col.pdf``, whose three tables are Plan Colombia,
Mérida and CARSI) is mined once per session and written as ``records.jsonl``; every record
read back must be valid against the shipped schema and against the shared spec's
(``shared/spec/record.schema.json``), a table's cells must carry the row and column labels the
table prints (``shared/corpus/truth/neighborhood/tables.json``), and each ``total_usd`` must be
what :func:`pipeline.nlp.amount_roles.total_usd` gives for the record's amounts.

The schema's vocabularies are the code's own constants (:data:`ROLES`, :data:`STAGES`,
:data:`LABELS`, the fields of :class:`RoledAmount`); a test holds them equal so neither drifts.
Validation is jsonschema's (JSON Schema 2020-12), the schema itself checked first.
"""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from pipeline import __version__
from pipeline.nlp.amount_roles import ROLES, STAGES, RoledAmount, total_usd
from pipeline.records.model import CORE_FIELDS, LABELS

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "record.schema.json"
REPORT = ROOT / "corpus" / "neighborhood-2col.pdf"


def schema_errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Where ``instance`` breaks ``schema`` (none: valid), by a JSON Schema 2020-12 validator."""
    Draft202012Validator.check_schema(schema)
    errors = Draft202012Validator(schema).iter_errors(instance)
    return [f"{list(e.absolute_path)}: {e.message}" for e in errors]


@pytest.fixture(scope="session")
def shipped_schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def spec_schema(shared_dir: Path) -> dict[str, Any]:
    return json.loads((shared_dir / "spec" / "record.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def mined(seed_run_dir: Path) -> list[dict[str, Any]]:
    """The shipped report's records as ``csminer run`` wrote them to ``records.jsonl``."""
    path = seed_run_dir / "records.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def truth_tables(shared_dir: Path) -> list[dict[str, Any]]:
    path = shared_dir / "corpus" / "truth" / "neighborhood" / "tables.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_schema_speaks_the_codes_vocabularies(shipped_schema: dict[str, Any]) -> None:
    assert shipped_schema["x-csminer-version"] == __version__
    assert shipped_schema["$id"].endswith(f"record-{__version__}.json")
    props = shipped_schema["properties"]
    assert list(props) == [*CORE_FIELDS[:9], "total_usd", *CORE_FIELDS[9:]]  # total_usd after amounts
    for name in ("hard_soft", "scope", "modality"):
        assert props[name]["enum"] == list(LABELS[name])
    assert props["themes"]["items"]["enum"] == list(LABELS["themes"])
    amount = props["amounts"]["items"]["properties"]
    assert list(amount) == [f.name for f in fields(RoledAmount)]
    assert amount["qualifier"]["enum"] == list(LABELS["qualifier"])
    assert amount["role"]["enum"] == [*ROLES, None]
    assert amount["stage"]["enum"] == [*STAGES, None]


def test_the_shipped_schema_narrows_the_spec_and_adds_only_optional_fields(
    shipped_schema: dict[str, Any], spec_schema: dict[str, Any]
) -> None:
    """Every record valid against the shipped schema is valid against the spec's: the spec sets no
    ``additionalProperties`` (so more keys are allowed), the shipped schema keeps each of its
    rules as they are and only adds properties, none of them required (core records stay valid)."""

    def has_closed_objects(node: Any) -> bool:
        if isinstance(node, dict):
            return "additionalProperties" in node or any(has_closed_objects(v) for v in node.values())
        return isinstance(node, list) and any(has_closed_objects(v) for v in node)

    assert not has_closed_objects(spec_schema)
    assert shipped_schema["required"] == spec_schema["required"]
    for name, rule in spec_schema["properties"].items():
        if name != "amounts":
            assert shipped_schema["properties"][name] == rule, name
    shipped_amount, spec_amount = (
        shipped_schema["properties"]["amounts"],
        spec_schema["properties"]["amounts"],
    )
    assert shipped_amount["items"]["required"] == spec_amount["items"]["required"]
    for name, rule in spec_amount["items"]["properties"].items():
        assert shipped_amount["items"]["properties"][name] == rule, name
    assert "total_usd" not in shipped_schema["required"]


def test_mined_records_are_valid_against_the_shipped_and_the_spec_schema(
    mined: list[dict[str, Any]], shipped_schema: dict[str, Any], spec_schema: dict[str, Any]
) -> None:
    assert len(mined) > 50
    for record in mined:
        assert schema_errors(record, shipped_schema) == [], record["id"]
        assert schema_errors(record, spec_schema) == [], record["id"]
        core = {k: record[k] for k in CORE_FIELDS}  # what `to_core` exchanges: no roles, no total_usd
        core["amounts"] = [
            {k: a[k] for k in ("value", "currency", "text", "qualifier")} for a in record["amounts"]
        ]
        assert schema_errors(core, shipped_schema) == [], record["id"]
    amounts = [a for r in mined for a in r["amounts"]]
    assert {"total", "part", "cell"} <= {a["role"] for a in amounts} <= set(ROLES)
    assert {a["stage"] for a in amounts} - {None}  # the report states stages


def test_the_schema_refuses_what_the_code_never_writes(
    mined: list[dict[str, Any]], shipped_schema: dict[str, Any]
) -> None:
    record = next(r for r in mined if {"cell", "part"} <= {a["role"] for a in r["amounts"]})
    cell = next(n for n, a in enumerate(record["amounts"]) if a["role"] == "cell")
    part = next(n for n, a in enumerate(record["amounts"]) if a["role"] == "part")
    broken: list[tuple[str, Any, Any]] = [
        ("role", cell, "subtotal"),
        ("stage", cell, "spent"),
        ("usd", cell, -1.0),
        ("usd", cell, "892000000"),
        ("table", cell, None),  # a cell always says which table it is in
        ("part_of", part, None),  # a part always says what it is part of
        ("part_of", part, -1),
        ("row", cell, 3),
        ("year", cell, 1850),
    ]
    for key, n, value in broken:
        bad = copy.deepcopy(record)
        bad["amounts"][n][key] = value
        assert schema_errors(bad, shipped_schema), (key, value)
    for value in ("9000000000", -5.0):
        assert schema_errors({**record, "total_usd": value}, shipped_schema), value
    assert schema_errors({**record, "total_usd": None}, shipped_schema) == []


def test_table_cells_carry_their_printed_row_and_column_and_total_usd_counts_once(
    mined: list[dict[str, Any]], truth_tables: list[dict[str, Any]]
) -> None:
    with_tables = [r for r in mined if any(a["role"] == "cell" for a in r["amounts"])]
    assert {r["name"] for r in with_tables} >= {"Plan Colombia", "Mérida Initiative"}
    matched: set[str] = set()
    for record in with_tables:
        cells = [a for a in record["amounts"] if a["table"] is not None]
        assert all(a["role"] in ("cell", "total") for a in cells)
        # the table's own printed labels, not made-up ones: each cell is found in the truth table
        for truth in truth_tables:
            header, rows = truth["header"], {row[0]: row for row in truth["rows"]}
            if all(a["row"] in rows and a["column"] in header for a in cells):
                break
        else:
            raise AssertionError(f"{record['id']}: cells {[(a['row'], a['column']) for a in cells]}")
        matched.add(truth["id"])
        for a in cells:
            printed = rows[a["row"]][header.index(a["column"])]
            assert a["value"] == pytest.approx(float(printed.rstrip("*")) * 1e6)  # tables in $ million
            assert a["usd"] == pytest.approx(a["value"])
            assert a["part_of"] is None or record["amounts"][a["part_of"]]["table"] == a["table"]
        # counted once: never the cells, row totals and grand total side by side
        assert record["total_usd"] is not None
        assert record["total_usd"] < sum(a["usd"] for a in cells)
    assert matched == {t["id"] for t in truth_tables}  # all three of the report's tables
    for record in mined:
        assert record["total_usd"] == total_usd(record["amounts"]), record["id"]
    assert sum(r["total_usd"] is not None for r in mined) > len(with_tables)
