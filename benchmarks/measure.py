"""What the benchmarks share: the machine's load, medians with their spread, a bare pdfplumber
pass to compare with, and the memory of a process and its children while something runs.

The machine may be shared, so every figure is printed with the load average (``uptime``'s
one-minute figure) taken when it was measured, and each is the median of several runs with the
lowest and highest beside it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
import psutil

import pipeline

ROOT = Path(pipeline.__file__).resolve().parents[1]
"""The checkout whose ``pipeline`` is imported (``PYTHONPATH`` chooses another one to compare)."""
MODELS = ROOT / "models" / "records"
SEED = ROOT / "corpus" / "neighborhood-2col.pdf"


def load() -> float:
    """The one-minute load average (how busy the machine was)."""
    return os.getloadavg()[0]


@dataclass
class Figure:
    """Several measurements of one thing, with the load at each."""

    values: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)
        self.loads.append(load())

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self, unit: str = "s", digits: int = 2) -> str:
        lo, hi = min(self.values), max(self.values)
        return (
            f"{self.median:.{digits}f} {unit} (min–max {lo:.{digits}f}–{hi:.{digits}f}, n={len(self.values)},"
            f" load {min(self.loads):.1f}–{max(self.loads):.1f})"
        )


def bare_pass(paths: Sequence[Path]) -> float:
    """Seconds for one serial pdfplumber ``extract_words`` pass over ``paths``: reading the
    characters and nothing else, the yardstick the mining is compared with."""
    start = time.perf_counter()
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_words(x_tolerance=1.5)
                page.close()
    return time.perf_counter() - start


def page_count(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


class MemoryWatch:
    """Peak memory of a process and of each of its children, sampled every ``every`` seconds:
    RSS (which counts pages a forked worker shares with its parent in full) and, with
    ``shared=True``, PSS (shared pages divided among the processes sharing them: what a worker
    adds to the machine's memory) and USS (pages only it has)."""

    def __init__(self, pid: int | None = None, every: float = 0.05, shared: bool = False) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.shared = shared
        self.rss: dict[int, int] = {}
        self.pss: dict[int, int] = {}
        self.uss: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for proc in procs:
                try:
                    if self.shared:
                        info = proc.memory_full_info()
                        self.pss[proc.pid] = max(self.pss.get(proc.pid, 0), info.pss)
                        self.uss[proc.pid] = max(self.uss.get(proc.pid, 0), info.uss)
                    else:
                        info = proc.memory_info()
                    self.rss[proc.pid] = max(self.rss.get(proc.pid, 0), info.rss)
                except psutil.Error:
                    continue
            time.sleep(self.every)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def children(self) -> list[int]:
        return [pid for pid in self.rss if pid != self.root.pid]


@dataclass
class Timed:
    seconds: float
    cpu: float
    """CPU seconds of the process and its children (less sensitive to the machine's load)."""
    peak_rss: int
    """The largest RSS any one process of the tree reached (bytes)."""
    worker_rss: list[int]
    worker_pss: list[int]


class TimedOut(Exception):
    """A measured command ran past its time limit (it was stopped)."""


def timed_command(
    args: list[str], shared: bool = False, cwd: Path | None = None, limit: float | None = None
) -> Timed:
    """Run ``args`` (a whole process, from its start to its exit) and measure it; past ``limit``
    seconds it is stopped and :class:`TimedOut` raised."""
    before = os.times()
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with MemoryWatch(process.pid, shared=shared) as watch:
        try:
            _, err = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            process.communicate()
            raise TimedOut(f"stopped after {limit:.0f} s") from exc
    seconds = time.perf_counter() - start
    after = os.times()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}): {err.decode()[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    workers = watch.children()
    return Timed(
        seconds,
        cpu,
        max(watch.rss.values()),
        [watch.rss[p] for p in workers],
        [watch.pss.get(p, 0) for p in workers],
    )


def csminer(*args: str | Path) -> list[str]:
    """The command line of ``csminer`` run from the checkout being measured."""
    return [sys.executable, "-c", "from pipeline.cli import main; main()", *map(str, args)]


def held_out(models: Path = MODELS) -> str:
    """The models' leave-one-document-out figures (micro over every gold document), from their
    card: what a change to speed must leave as it is."""
    import json

    card = json.loads((models / "card.json").read_text(encoding="utf-8"))
    micro = card.get("held_out", {}).get("leave_one_document_out", {}).get("micro", {})
    keys = ("detect_f1", "detect_precision", "detect_recall", "funders_f1", "recipients_f1", "amounts_f1")
    return "leave-one-document-out (model card): " + ", ".join(f"{k} {micro.get(k)}" for k in keys)


MiB = 2**20
