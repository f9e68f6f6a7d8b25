"""Bounded: the hostile corpus run with low limits gives every file a coded status, no traceback,
under 2 GB for the whole run, and text from the damaged files PDFium reads; a stuck or bloated
worker is stopped and replaced, workers die with their parent, Ctrl-C prints no worker
traceback, and a Dask run with no worker ends."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from pipeline.batch import RunError, run_batch
from pipeline.config import Config, LimitSettings
from pipeline.errors import ErrorCode

from .pdfs import MODELS, TEXTS, make_pdf

CSMINER = [sys.executable, "-c", "from pipeline.cli import main; main()"]
LOW_LIMITS = [
    "--set", "reading.max_pages=3",  # keeps the run lean: damage shows on the first pages too
    "--set", "limits.seconds_per_page=4",
    "--set", "limits.max_document_seconds=12",
    "--set", "limits.worker_memory_mb=1200",
    "--set", "limits.open_seconds=3",
    "--set", "limits.max_stream_mb=64",
]  # fmt: skip
READABLE_DAMAGED = (
    "A_flip100_1col.pdf",
    "B_trunc_before_xref_1col.pdf",
    "C_prev_loop.pdf",
    "C_startxref_removed_2col.pdf",
    "C_xrefstream_zeroed_2col.pdf",
    "D_length_huge_2col.pdf",
    "E_mediabox_1e30.pdf",
    "E_mediabox_names.pdf",
    "E_mediabox_short.pdf",
)
"""Files PDFium reads completely that pdfminer rejects: they must give their text."""
CODE = re.compile(r"^[EW]\d{3}$")


class PeakMemory:
    """The largest proportional set size (shared pages counted once) of a process and its
    children, sampled while it runs."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                for proc in [self.root, *self.root.children(recursive=True)]:
                    try:
                        total += proc.memory_full_info().pss
                    except psutil.Error:
                        continue
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            self._stop.wait(0.25)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


@pytest.mark.slow
def test_the_hostile_corpus_is_read_within_its_limits(shared_dir: Path, tmp_path: Path) -> None:
    hostile = shared_dir / "corpus" / "hostile"
    out = tmp_path / "out"
    args = ["run", str(hostile), "--out", str(out), "--db", str(out / "inv.sqlite"), "--workers", "2"]
    started = time.monotonic()
    proc = subprocess.Popen(
        [*CSMINER, *args, "--no-ner", *LOW_LIMITS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    memory = PeakMemory(proc.pid)
    stdout, stderr = proc.communicate(timeout=540)
    peak = memory.stop()
    seconds = time.monotonic() - started
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stdout + stderr
    assert peak < 2 << 30, f"peak memory {peak >> 20} MB"
    docs = {Path(d["path"]).name: d for d in map(json.loads, (out / "documents.jsonl").open())}
    assert len(docs) == len(list(hostile.glob("*.pdf"))) == 74
    for name, doc in docs.items():
        if doc["status"] != "success":
            assert doc["errors"] and all(CODE.match(e["code"]) for e in doc["errors"]), name
        if doc["status"] == "failure":
            assert any(e["code"].startswith("E") for e in doc["errors"]), name
    for name in READABLE_DAMAGED:
        assert docs[name]["status"] != "failure" and docs[name]["counts"]["blocks"] > 0, docs[name]
    for name in ("F_flate_bomb_1GiB_spaces.pdf", "F_flate_bomb_3GiB_spaces.pdf"):
        codes = {e["code"] for e in docs[name]["errors"]}
        assert codes & {ErrorCode.CONTENT_LIMIT, ErrorCode.TIME_LIMIT, ErrorCode.MEMORY_LIMIT}, docs[name]
    for name in ("D_all_streams_zeroed_1col.pdf", "D_half_streams_zeroed_1col.pdf"):
        assert docs[name]["status"] != "success", docs[name]  # never "success" with no text
    assert docs["H_ok_control.pdf"]["status"] == "success"
    statuses = {d["status"] for d in docs.values()}
    assert statuses <= {"success", "partial", "failure"}
    # No document outlives its budget by much: the run as a whole is bounded.
    assert seconds < 74 * 12 / 2 + 120


def test_a_worker_over_its_memory_budget_is_stopped_and_its_document_says_so(tmp_path: Path) -> None:
    pdfs = [make_pdf(tmp_path / f"doc{i}.pdf", TEXTS["honduras"] * 30) for i in range(2)]
    config = Config(limits=LimitSettings(worker_memory_mb=50))  # less than any worker needs
    result = run_batch(pdfs, tmp_path / "out", tmp_path / "inv.sqlite", MODELS, config, workers=1)
    codes = [o.summary["errors"][0]["code"] for o in result.outcomes]
    assert codes == [ErrorCode.MEMORY_LIMIT.value] * 2  # the worker was replaced for the second
    assert "worker_memory_mb" in result.outcomes[0].summary["errors"][0]["message"]


def test_a_document_over_its_time_budget_is_stopped_and_the_batch_goes_on(
    shared_dir: Path, tmp_path: Path
) -> None:
    slow = shared_dir / "corpus" / "hostile" / "F_grid_1500x1500.pdf"
    fine = make_pdf(tmp_path / "fine.pdf", TEXTS["honduras"])
    # Room for the small document even on a busy machine; the slow one needs a minute or more.
    config = Config(limits=LimitSettings(seconds_per_page=8.0, max_document_seconds=8.0))
    result = run_batch([slow, fine], tmp_path / "out", tmp_path / "inv.sqlite", MODELS, config, workers=1)
    first, second = (o.summary for o in result.outcomes)
    assert first["status"] == "failure" and first["errors"][0]["code"] == ErrorCode.TIME_LIMIT.value
    assert "limits.seconds_per_page" in first["errors"][0]["message"]
    assert second["status"] == "success"


def _workers_of(pid: int, timeout: float = 60.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = psutil.Process(pid).children()
        except psutil.NoSuchProcess:
            return []
        if children:
            return children
        time.sleep(0.2)
    return []


def _slow_folder(tmp_path: Path, shared_dir: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        (folder / f"slow{i}.pdf").write_bytes(
            (shared_dir / "corpus/hostile/F_grid_1500x1500.pdf").read_bytes()
        )
    return folder


@pytest.mark.slow
def test_workers_exit_when_their_parent_is_killed(shared_dir: Path, tmp_path: Path) -> None:
    folder = _slow_folder(tmp_path, shared_dir)
    args = ["run", str(folder), "--out", str(tmp_path / "out"), "--workers", "2", "--no-ner"]
    proc = subprocess.Popen(
        [*CSMINER, *args, "--db", str(tmp_path / "inv.sqlite")], stdout=subprocess.DEVNULL
    )
    workers = _workers_of(proc.pid)
    assert workers, "no worker started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers outlived their parent: {alive}"


@pytest.mark.slow
def test_ctrl_c_ends_the_run_with_a_code_and_no_worker_traceback(shared_dir: Path, tmp_path: Path) -> None:
    folder = _slow_folder(tmp_path, shared_dir)
    args = ["run", str(folder), "--out", str(tmp_path / "out"), "--workers", "2", "--no-ner"]
    proc = subprocess.Popen(
        [*CSMINER, *args, "--db", str(tmp_path / "inv.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal's Ctrl-C reaches the whole process group
        # as from a terminal: a SIGINT ignored here (by an earlier test's library) would be
        # inherited, and Python then leaves Ctrl-C ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    workers = _workers_of(proc.pid)
    assert workers
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    # a lost Ctrl-C would leave the run mining its two grids for minutes: 90 s tells that from
    # a slow shutdown on a busy machine
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and ErrorCode.INTERRUPTED.value in stderr
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive


def test_a_dask_run_with_no_live_worker_fails_with_a_clear_message(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    pdf = make_pdf(tmp_path / "a.pdf", TEXTS["honduras"])
    config = Config(limits=LimitSettings(dask_no_worker_seconds=2.0))
    with (
        distributed.LocalCluster(n_workers=0, dashboard_address=None, processes=False) as cluster,
        pytest.raises(RunError) as caught,
    ):
        address = cluster.scheduler_address
        run_batch([pdf], tmp_path / "out", tmp_path / "inv.sqlite", MODELS, config, scheduler=address)
    assert caught.value.problem.code == ErrorCode.NO_WORKERS.value
    assert "no live worker" in caught.value.problem.message
