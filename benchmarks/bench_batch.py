"""Corpus throughput of ``csminer run``: cold with 1 and N workers, warm re-run, memory per worker.

The corpus is made by copying the shipped reports (and the development layouts in
``../shared/corpus/layouts`` when present) under new names into a temporary folder until it
holds about ``--pages`` pages. Rates are given as ratios to a bare serial pdfplumber
``extract_words`` pass over the same files, so they say what mining costs on top of reading
the characters, whatever the machine. Cold runs start from an empty inventory and include
loading the models (once per worker); the warm re-run reuses the inventory (nothing mined).

    .venv/bin/python benchmarks/bench_batch.py [--pages 300] [--workers 2]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pdfplumber
import psutil

from pipeline.batch import run_batch
from pipeline.config import Config

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models" / "records"
SOURCES = [ROOT / "corpus", ROOT.parent / "shared" / "corpus" / "layouts"]


def make_corpus(folder: Path, target_pages: int) -> tuple[list[Path], int]:
    """Copies of the shipped PDFs under new names until about ``target_pages`` pages."""
    originals = [p for src in SOURCES if src.is_dir() for p in sorted(src.glob("*.pdf"))]
    counts = {}
    for path in originals:
        with pdfplumber.open(path) as pdf:
            counts[path] = len(pdf.pages)
    paths: list[Path] = []
    pages, round_ = 0, 0
    while pages < target_pages:
        for path in originals:
            if pages >= target_pages:
                break
            copy = folder / f"c{round_:02d}-{path.name}"
            shutil.copy(path, copy)
            paths.append(copy)
            pages += counts[path]
        round_ += 1
    return sorted(paths), pages


def bare_pass(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_words(x_tolerance=1.5)
                page.close()
    return time.perf_counter() - start


class MemoryWatch:
    """Peak RSS of this process and of each child (pool worker), sampled every 50 ms."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for proc in [me, *me.children(recursive=True)]:
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
            time.sleep(0.05)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed_run(paths: list[Path], work: Path, name: str, workers: int) -> tuple[float, dict[int, int]]:
    with MemoryWatch() as watch:
        start = time.perf_counter()
        run_batch(paths, work / name, work / f"{name}.sqlite", MODELS, Config(), workers=workers)
        seconds = time.perf_counter() - start
    return seconds, watch.peaks


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--workers", type=int, default=psutil.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        paths, pages = make_corpus(corpus, args.pages)
        print(f"corpus: {len(paths)} files, {pages} pages; {psutil.cpu_count()} cores")
        bare = bare_pass(paths)
        print(f"bare pdfplumber extract_words (serial): {pages / bare:6.2f} pages/s ({bare:.1f} s)")
        me = psutil.Process().pid
        for workers in sorted({1, args.workers}):
            seconds, peaks = timed_run(paths, work, f"w{workers}", workers)
            rate = pages / seconds
            worker_peaks = [v for pid, v in peaks.items() if pid != me] if workers > 1 else [peaks[me]]
            mib = ", ".join(f"{v / 2**20:.0f}" for v in sorted(worker_peaks))
            print(
                f"cold, {workers} worker(s): {rate:6.2f} pages/s ({seconds:.1f} s),"
                f" {rate / (pages / bare):.2f}x bare; peak RSS per worker MiB: {mib}"
            )
            last = workers
        start = time.perf_counter()
        run_batch(paths, work / "warm", work / f"w{last}.sqlite", MODELS, Config(), workers=last)
        warm = time.perf_counter() - start
        print(
            f"warm re-run (nothing mined): {warm:.2f} s,"
            f" {warm / seconds:.3f} of the cold run, {warm / bare:.3f} of the bare pass"
        )


if __name__ == "__main__":
    main()
