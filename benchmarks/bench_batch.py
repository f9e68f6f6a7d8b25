"""Corpus throughput of ``csminer run``: cold with 1 and N workers, warm re-run, memory per worker.

The corpus is made by copying the shipped reports (and the development layouts in
``../shared/corpus/layouts`` when present) under new names into a temporary folder until it
holds about ``--pages`` pages. Rates are given as ratios to a bare serial pdfplumber
``extract_words`` pass over the same files, timed in the same round, so they say what mining
costs on top of reading the characters, whatever the machine (aim with 2 workers on 2 cores:
2x or more). Cold runs start from an empty inventory and include loading the models; the warm
re-run reuses the inventory (nothing mined). Each figure is the median of ``--repeat`` rounds
with the lowest and highest and the machine's load; memory per worker is its peak RSS (shared
pages counted in full) and PSS (shared pages divided among the processes sharing them).

    .venv/bin/python benchmarks/bench_batch.py [--pages 300] [--workers 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pdfplumber
import psutil
from measure import MODELS, ROOT, Figure, MemoryWatch, MiB, bare_pass, load

from pipeline.batch import run_batch
from pipeline.config import Config

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


def timed_run(paths: list[Path], work: Path, name: str, workers: int) -> tuple[float, MemoryWatch]:
    with MemoryWatch(shared=True, every=0.1) as watch:
        start = time.perf_counter()
        run_batch(paths, work / name, work / f"{name}.sqlite", MODELS, Config(), workers=workers)
        seconds = time.perf_counter() - start
    return seconds, watch


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--workers", type=int, default=psutil.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    counts = sorted({1, args.workers})
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        paths, pages = make_corpus(corpus, args.pages)
        print(f"corpus: {len(paths)} files, {pages} pages; {psutil.cpu_count()} cores; load {load():.1f}")
        bare = Figure()
        cold = {w: Figure() for w in counts}
        ratio = {w: Figure() for w in counts}
        rss = {w: Figure() for w in counts}
        pss = {w: Figure() for w in counts}
        warm = Figure()
        for n in range(args.repeat):
            bare.add(bare_pass(paths))
            for workers in counts:
                seconds, watch = timed_run(paths, work, f"r{n}w{workers}", workers)
                cold[workers].add(seconds)
                ratio[workers].add(bare.values[-1] / seconds)
                ids = watch.children() or [watch.root.pid]  # the pool's workers
                rss[workers].add(max(watch.rss.get(i, 0) for i in ids) / MiB)
                pss[workers].add(max(watch.pss.get(i, 0) for i in ids) / MiB)
            start = time.perf_counter()
            run_batch(
                paths,
                work / f"warm{n}",
                work / f"r{n}w{counts[-1]}.sqlite",
                MODELS,
                Config(),
                workers=counts[-1],
            )
            warm.add(time.perf_counter() - start)
        print(f"bare pdfplumber extract_words (serial): {bare.show()}, {pages / bare.median:.2f} pages/s")
        for workers in counts:
            print(
                f"cold, {workers} worker(s): {cold[workers].show()},"
                f" {pages / cold[workers].median:.2f} pages/s;"
                f" speed against the bare pass {ratio[workers].show('x')}"
            )
            print(f"  peak per worker: RSS {rss[workers].show('MiB', 0)}; PSS {pss[workers].show('MiB', 0)}")
        print(f"warm re-run (nothing mined): {warm.show()}")


if __name__ == "__main__":
    main()
