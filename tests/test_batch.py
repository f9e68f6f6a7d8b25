"""Corpus runs: parallel workers give the same files and inventory as one, a warm re-run mines
nothing, failures are listed and never fatal, export and status read the inventory, and a Dask
cluster gives the same inventory as a local run."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.batch import run_batch, tree_rss_mb
from pipeline.cli import app
from pipeline.config import Config

from .pdfs import MODELS, TEXTS, make_corpus, make_pdf

runner = CliRunner()
FILES = ("records.jsonl", "records.csv", "records.parquet")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus(folder)
    (folder / "broken.pdf").write_text("<html>not a PDF</html>", encoding="utf-8")
    return folder


def inventory_content(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows, in a stable order, without the times of writing."""
    tables = {
        "documents": "SELECT doc, path, sha256, title, pages, status, errors, pipeline_version, model_version"
        " FROM documents ORDER BY doc",
        "records": "SELECT * FROM records ORDER BY id",
        "evidence": "SELECT * FROM evidence ORDER BY record_id, n, page",
        "actors": "SELECT * FROM actors ORDER BY record_id, role, name",
        "interventions": "SELECT * FROM interventions ORDER BY id",
        "record_sources": "SELECT * FROM record_sources ORDER BY intervention_id, record_id",
        "facts": "SELECT * FROM intervention_facts ORDER BY intervention_id, record_id, field, value",
    }
    with sqlite3.connect(db) as conn:
        return {name: [tuple(r) for r in conn.execute(sql)] for name, sql in tables.items()}


def run(corpus: Path, out: Path, *options: str) -> str:
    """``csminer run``, each output folder with its own inventory unless one is named."""
    db = [] if "--db" in options else ["--db", str(out / "inventory.sqlite")]
    result = runner.invoke(app, ["run", str(corpus), "--out", str(out), *db, *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_workers_give_identical_outputs_and_a_warm_rerun_mines_nothing(corpus: Path, tmp_path: Path) -> None:
    one, two, warm = tmp_path / "one", tmp_path / "two", tmp_path / "warm"
    output = run(corpus, one, "--workers", "1")
    assert "broken.pdf: failure" in output and "E102" in output  # listed, not fatal
    run(corpus, two, "--workers", "2")
    for name in FILES:
        assert (one / name).read_bytes() == (two / name).read_bytes()
    assert inventory_content(one / "inventory.sqlite") == inventory_content(two / "inventory.sqlite")
    records = [json.loads(x) for x in (one / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == sorted(r["id"] for r in records) and len(records) >= 3

    output = run(corpus, warm, "--db", str(one / "inventory.sqlite"), "--workers", "2")
    assert output.count("(unchanged, from the inventory)") == 3  # the broken file is retried
    for name in FILES:
        assert (warm / name).read_bytes() == (one / name).read_bytes()
    assert "pages mined" in output

    forced = run(corpus, warm, "--db", str(one / "inventory.sqlite"), "--workers", "1", "--force")
    assert "from the inventory" not in forced
    with sqlite3.connect(one / "inventory.sqlite") as conn:
        reasons = [r[0] for r in conn.execute("SELECT reason FROM changes WHERE doc = 'salvador' ORDER BY n")]
    assert reasons == ["new", "forced"]


def test_a_changed_pdf_is_mined_again_and_replaces_its_records(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    make_corpus(folder, ["salvador", "review"])
    db = tmp_path / "inv.sqlite"
    result = run_batch(sorted(folder.glob("*.pdf")), tmp_path / "o", db, MODELS, Config(), workers=1)
    assert result.changes["new"] == 2
    make_pdf(folder / "salvador.pdf", TEXTS["salvador"][:1])  # the same file, edited: one record fewer
    again = run_batch(sorted(folder.glob("*.pdf")), tmp_path / "o", db, MODELS, Config(), workers=1)
    assert (again.changes["updated"], again.changes["unchanged"]) == (1, 1)
    with sqlite3.connect(db) as conn:
        log = [
            tuple(r)
            for r in conn.execute("SELECT doc, reason, removed, updated + unchanged FROM changes ORDER BY n")
        ]
    assert log[-1] == ("salvador", "changed-file", 1, 1)
    assert [r[0] for r in inventory_content(db)["records"]] == ["review-0001", "salvador-0001"]
    assert len((tmp_path / "o" / "records.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_export_and_status_read_the_inventory(corpus: Path, tmp_path: Path) -> None:
    run(corpus, tmp_path, "--workers", "1")
    db = tmp_path / "inventory.sqlite"
    for fmt in ("jsonl", "csv", "parquet"):
        result = runner.invoke(
            app, ["export", "--db", str(db), "--format", fmt, "--out", str(tmp_path / f"x.{fmt}")]
        )
        assert result.exit_code == 0, result.output
    exported = [json.loads(x) for x in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {r["id"]: r for r in exported}
    assert by_id["review-0001"]["intervention"] == by_id["honduras-0001"]["intervention"]
    assert {s["doc"] for s in by_id["review-0001"]["sources"]} == {"honduras", "review"}
    assert all(key in by_id["salvador-0001"] for key in ("evidence", "funders", "amounts", "years", "themes"))
    flat = pd.read_parquet(tmp_path / "x.parquet")
    assert list(flat["id"]) == list(by_id) and "sources" in flat.columns
    assert len(pd.read_csv(tmp_path / "x.csv")) == len(exported)
    status = runner.invoke(app, ["status", "--db", str(db)])
    assert status.exit_code == 0, status.output
    assert "broken" in status.output and "E102" in status.output and "salvador" in status.output


def test_the_batch_module_leaves_pandas_to_what_writes_records() -> None:
    """``csminer parse`` imports the batch module; pandas and pyarrow, half a second of its
    start-up, are imported only when record files are written."""
    script = "import sys, pipeline.batch; print(sorted({'pandas', 'pyarrow'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_a_workers_memory_counts_the_programs_below_it() -> None:
    """The memory a worker is held to includes what the programs it starts use (an OCR engine),
    their own children too, as psutil counts it."""
    import psutil

    inner = "import time; b = b'x' * (64 << 20); print('ready', flush=True); time.sleep(60)"
    outer = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {inner!r}])"
    child = subprocess.Popen([sys.executable, "-c", outer], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        me = psutil.Process()
        by_psutil = sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]) >> 20
        used = tree_rss_mb(me.pid)
        assert used is not None and used >= (me.memory_info().rss >> 20) + 64
        assert abs(used - by_psutil) <= 4
    finally:
        for process in psutil.Process(child.pid).children(recursive=True):
            process.kill()
        child.kill()
        child.wait()
    assert tree_rss_mb(child.pid) is None  # ended and reaped


@pytest.mark.slow
def test_a_dask_cluster_gives_the_inventory_of_a_local_run(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "c"
    paths = make_corpus(folder, ["honduras", "review"])
    local = run_batch(paths, tmp_path / "local", tmp_path / "local.sqlite", MODELS, Config(), workers=1)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_batch(
            paths,
            tmp_path / "dask",
            tmp_path / "dask.sqlite",
            MODELS,
            Config(),
            scheduler=cluster.scheduler_address,
        )
    assert remote.changes["new"] == 2 and remote.records == local.records
    assert inventory_content(tmp_path / "dask.sqlite") == inventory_content(tmp_path / "local.sqlite")
    assert (tmp_path / "dask" / "records.jsonl").read_bytes() == (
        tmp_path / "local" / "records.jsonl"
    ).read_bytes()
