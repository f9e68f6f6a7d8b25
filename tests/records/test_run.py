"""The main job end to end on a shipped report, with the shipped models."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.records.store import ModelError, load_models, save_models

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "corpus" / "neighborhood-2col.pdf"
MODELS = ROOT / "models" / "records"
REQUIRED = ("id", "doc", "name", "evidence", "funders", "recipients", "amounts", "years",
            "hard_soft", "scope", "modality", "themes")  # fmt: skip
runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(seed_run_dir: Path) -> Path:
    return seed_run_dir


def records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def test_records_have_the_record_shape_and_grounding(run_dir: Path) -> None:
    found = records(run_dir)
    assert len(found) > 50
    for record in found:
        assert all(key in record for key in REQUIRED)
        assert record["doc"] == "neighborhood-2col" and record["evidence"] and record["pages"]
        assert record["hard_soft"] in {"hard", "soft", "mixed"}
        assert record["scope"] in {"transnational", "local", "mixed"}
        assert all(0.0 <= v <= 1.0 for v in record["confidence"].values())
        assert record["model_version"] and record["pipeline_version"]
        for span in record["spans"]:
            assert span["pages"] and span["text"]
    ids = [r["id"] for r in found]
    assert len(set(ids)) == len(ids)


def test_named_program_is_one_record_with_its_table(run_dir: Path) -> None:
    plan = [r for r in records(run_dir) if r["name"] and r["name"] == "Plan Colombia"]
    assert len(plan) == 1
    record = plan[0]
    assert len(record["evidence"]) > 3
    assert any(e.startswith("Figure 6") for e in record["evidence"])
    assert {a["value"] for a in record["amounts"]} >= {
        892e6,
        1148e6,
    }  # table cells, caption scale ($ million)
    assert record["years"]["start"] is not None


def test_all_output_files_and_document_report(run_dir: Path) -> None:
    table = pd.read_parquet(run_dir / "records.parquet")
    assert len(table) == len(records(run_dir))
    assert len(pd.read_csv(run_dir / "records.csv")) == len(table)
    documents = [
        json.loads(x) for x in (run_dir / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    by_doc = {d["doc"]: d for d in documents}
    assert by_doc["broken"]["status"] == "failure" and by_doc["broken"]["errors"][0]["code"] == "E102"
    report = by_doc["neighborhood-2col"]
    assert report["status"] == "success" and report["counts"]["records"] == len(table)
    assert set(report["timings"]) >= {"read", "mentions", "records"}


def test_second_run_gives_byte_identical_records(run_dir: Path, tmp_path: Path) -> None:
    # a fresh inventory, so the report is mined again rather than read back from the cache
    result = runner.invoke(
        app, ["run", str(REPORT), "--out", str(tmp_path), "--db", str(tmp_path / "inv.sqlite")]
    )
    assert result.exit_code == 0, result.output
    for name in ("records.jsonl", "records.csv"):
        assert (tmp_path / name).read_bytes() == (run_dir / name).read_bytes()


def test_evaluate_prints_the_scorer_figures(run_dir: Path, shared_dir: Path) -> None:
    gold = shared_dir / "gold" / "dev.jsonl"
    actors = shared_dir / "spec" / "actors.csv"
    pred = run_dir / "records.jsonl"
    scorer = (
        subprocess.run(
            [
                sys.executable,
                str(shared_dir / "eval" / "score.py"),
                str(gold),
                str(pred),
                "--actors",
                str(actors),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-2:]
    )
    result = runner.invoke(
        app, ["evaluate", "--gold", str(gold), "--pred", str(pred), "--actors", str(actors)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == scorer
    assert "hard_soft" in result.output and "missed" in result.output.casefold()


def test_models_load_with_their_card_and_refuse_foreign_types(tmp_path: Path) -> None:
    loaded = load_models(MODELS)
    assert loaded.card["held_out"]["method"] and loaded.card["training_data"]["sha256"]
    assert loaded.models.version == loaded.card["version"]
    save_models(load_models(MODELS, sklearn=True).models, tmp_path / "copy", {"libraries": {}})
    card = json.loads((tmp_path / "copy" / "card.json").read_text())
    card["libraries"]["scikit-learn"] = "0.0.1"
    (tmp_path / "copy" / "card.json").write_text(json.dumps(card))
    again = load_models(tmp_path / "copy")
    assert any("scikit-learn 0.0.1" in w for w in again.warnings)

    def foreign(tree: dict) -> None:  # a type no csminer model holds
        tree["$dict"]["detector"] = {"$object": "datetime.datetime", "id": 99999, "state": {"$dict": {}}}

    _edited_copy(tmp_path / "evil", foreign)
    with pytest.raises(ModelError, match="does not trust"):
        load_models(tmp_path / "evil")
    with pytest.raises(ModelError, match="csminer train"):
        load_models(tmp_path / "missing")

    # models saved by a csminer whose estimators learned other state are refused, not misused
    _edited_copy(tmp_path / "old", lambda tree: tree["$dict"].pop("format"))
    with pytest.raises(ModelError, match=r"format 1.*csminer train"):
        load_models(tmp_path / "old")


def _edited_copy(folder: Path, edit: Callable[[dict], object]) -> None:
    """The shipped models with their JSON tree (what is built, from which types) edited."""
    from .test_model_file import _with_tree

    _with_tree(MODELS, folder, edit)


def test_the_source_digest_follows_the_code(tmp_path: Path) -> None:
    from pipeline import source_digest

    package = tmp_path / "pkg"
    (package / "data").mkdir(parents=True)
    (package / "stage.py").write_text("THRESHOLD = 0.4\n")
    (package / "data" / "cues.json").write_text("{}\n")
    (package / "notes.md").write_text("not code\n")
    before = source_digest(package)
    (package / "notes.md").write_text("still not code\n")
    assert source_digest.__wrapped__(package) == before  # only code and data count
    (package / "stage.py").write_text("THRESHOLD = 0.5\n")
    assert source_digest.__wrapped__(package) != before
    assert len(source_digest()) == 64


def test_an_off_topic_report_yields_almost_no_records(shared_dir: Path, tmp_path: Path) -> None:
    # a government audit of transit grants: grants and programs, but no security cooperation
    report = shared_dir / "corpus" / "layouts" / "gao-06-1046-grants-management-2006.pdf"
    result = runner.invoke(
        app, ["run", str(report), "--out", str(tmp_path), "--db", str(tmp_path / "inv.sqlite")]
    )
    assert result.exit_code == 0, result.output
    (document,) = [json.loads(line) for line in (tmp_path / "documents.jsonl").read_text().splitlines()]
    assert document["status"] == "success" and document["pages"] > 20
    assert len(records(tmp_path)) <= 1
    assert [e["code"] for e in document["errors"]] == ["W304"]  # said, not a silent "0 records"
    assert "W304" in result.output and "documents not about security (W304)" in result.output


SPANISH = [
    "La cooperación internacional en seguridad ciudadana creció en América Latina durante la última"
    " década.",
    "El Banco Interamericano de Desarrollo financió un programa de prevención de la violencia juvenil"
    " en Honduras por 20 millones de dólares en 2012, con el apoyo de los gobiernos locales.",
    "La Unión Europea apoyó la reforma de la policía en Guatemala y la formación de jueces y fiscales"
    " para reducir la impunidad de los delitos más graves.",
    "Estos programas buscan fortalecer las instituciones del Estado y reducir los homicidios en las"
    " ciudades más violentas de la región, que no son pocas.",
]


def test_a_report_in_another_language_is_said_to_be(tmp_path: Path) -> None:
    from tests.pdfs import make_pdf

    report = make_pdf(tmp_path / "informe.pdf", SPANISH)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(report), "--out", str(out), "--db", str(out / "inv.sqlite")])
    assert result.exit_code == 0, result.output
    (document,) = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    (warning,) = [e for e in document["errors"] if e["code"] == "W303"]
    assert "Spanish (es" in warning["message"]
    assert not [e for e in document["errors"] if e["code"] == "W304"]  # it is about security


def _tampered_copy(folder: Path, marker: Path) -> None:
    """The shipped models with one more entry: a node that would call ``builtins.exec``."""
    code = f"open({str(marker)!r}, 'w').write('ran')"

    def add_exec(tree: dict) -> None:
        tree["$dict"]["meta"] = {"$object": "builtins.exec", "id": 99999, "state": {"$dict": {"x": code}}}

    _edited_copy(folder, add_exec)


def test_a_tampered_model_file_is_refused_before_anything_in_it_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    _tampered_copy(tmp_path / "evil", marker)
    with pytest.raises(ModelError, match=r"does not trust.*builtins\.exec"):
        load_models(tmp_path / "evil")
    assert not marker.exists()
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["run", str(REPORT), "--out", str(out), "--db", str(tmp_path / "inv.sqlite"),
         "--models", str(tmp_path / "evil")],
    )  # fmt: skip
    assert result.exit_code == 2 and "builtins.exec" in result.output
    assert not marker.exists() and not (out / "records.jsonl").exists()


def test_the_shipped_models_hold_only_the_listed_types() -> None:
    import numpy as np

    from pipeline.records.store import MODEL_FILE, TREE, TRUSTED_TYPES

    with np.load(MODELS / MODEL_FILE, allow_pickle=False) as arrays:
        text = arrays[TREE].tobytes().decode()
    named = set(re.findall(r'"\$object":"([^"]+)"', text))
    assert named and named <= TRUSTED_TYPES
