"""Speed of csminer as a researcher meets it: one new report, the shipped corpus, a warm process.

Each figure is the median of ``--repeat`` runs (3) with the lowest and highest and the machine's
load beside it; whole-process figures run ``csminer`` as a new process, from its start to its
exit (files written), with a new inventory each time.

- one report: a 2-page report (pages 10–11 of the seed, where its programs are), ``csminer run
  FILE --out DIR --db DB`` (aim: 2 s or less);
- the shipped corpus, cold: ``csminer run corpus/`` against one serial bare pdfplumber
  ``extract_words`` pass over the same files, timed in the same round (aim: 1.0× or less);
- memory per worker: peak RSS and PSS of the worker mining a 2-page, the 35-page seed and a
  105-page document (the seed three times) — RSS counts the pages a forked worker shares with
  its parent in full, PSS divides them among the processes sharing them (aim: 350 MB or less,
  flat in document length);
- warm: ``csminer.mine(seed)`` in a process that has mined once, pages per second of wall time
  and per CPU second (aim: 30 pages/s per core or more).

It ends with the models' leave-one-document-out figures from their card, which a change made for
speed must leave as they are.

    .venv/bin/python benchmarks/bench_speed.py [--repeat 3] [--only one,corpus,memory,warm]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import pypdfium2 as pdfium
from measure import (
    MODELS,
    ROOT,
    SEED,
    Figure,
    MiB,
    bare_pass,
    csminer,
    held_out,
    load,
    page_count,
    timed_command,
)

PARTS = ("one", "corpus", "memory", "warm")


def excerpt(source: Path, pages: list[int], target: Path) -> Path:
    """A PDF of ``pages`` (0-based) of ``source``, in that order."""
    src = pdfium.PdfDocument(source)
    out = pdfium.PdfDocument.new()
    out.import_pages(src, pages)
    out.save(target)
    return target


def one_report(work: Path, repeat: int) -> None:
    pdf = excerpt(SEED, [9, 10], work / "two-page.pdf")
    wall, cpu, peak = Figure(), Figure(), Figure()
    for n in range(repeat):
        timed = timed_command(csminer("run", pdf, "--out", work / f"one{n}", "--db", work / f"one{n}.sqlite"))
        wall.add(timed.seconds)
        cpu.add(timed.cpu)
        peak.add(timed.peak_rss / MiB)
    print(f"one 2-page report, process start to files written: {wall.show()}")
    print(f"  CPU (process and workers): {cpu.show()}; peak RSS of one process: {peak.show('MiB', 0)}")


def corpus_cold(work: Path, repeat: int) -> None:
    paths = sorted((ROOT / "corpus").glob("*.pdf"))
    pages = sum(page_count(p) for p in paths)
    bare, cold, ratio, cpu = Figure(), Figure(), Figure(), Figure()
    rss, pss = Figure(), Figure()
    for n in range(repeat):
        bare.add(bare_pass(paths))
        timed = timed_command(
            csminer("run", ROOT / "corpus", "--out", work / f"c{n}", "--db", work / f"c{n}.sqlite"),
            shared=True,
        )
        cold.add(timed.seconds)
        cpu.add(timed.cpu)
        ratio.add(timed.seconds / bare.values[-1])
        rss.add(max(timed.worker_rss, default=0) / MiB)
        pss.add(max(timed.worker_pss, default=0) / MiB)
    print(f"shipped corpus ({len(paths)} files, {pages} pages), cold, whole process: {cold.show()}")
    print(f"  bare serial extract_words pass: {bare.show()}; cold / bare: {ratio.show('x')}")
    print(f"  CPU: {cpu.show()}; peak per worker: RSS {rss.show('MiB', 0)}, PSS {pss.show('MiB', 0)}")


def memory(work: Path) -> None:
    two = excerpt(SEED, [9, 10], work / "m-two.pdf")
    n = len(pdfium.PdfDocument(SEED))
    long = excerpt(SEED, list(range(n)) * 3, work / "m-long.pdf")
    for pdf in (two, SEED, long):
        timed = timed_command(
            csminer("run", pdf, "--out", work / f"m-{pdf.stem}", "--db", work / f"m-{pdf.stem}.sqlite"),
            shared=True,
        )
        rss = max(timed.worker_rss, default=0) / MiB
        pss = max(timed.worker_pss, default=0) / MiB
        print(
            f"memory, one worker mining {page_count(pdf):3d} pages:"
            f" peak RSS {rss:4.0f} MiB, PSS {pss:4.0f} MiB (load {load():.1f})"
        )


def warm(repeat: int) -> None:
    import csminer as api

    pages = page_count(SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        api.mine(SEED, models=MODELS)  # the first call loads the models
        first = time.perf_counter() - start
        wall, per_cpu = Figure(), Figure()
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            api.mine(SEED, models=MODELS)
            wall.add(pages / (time.perf_counter() - start))
            per_cpu.add(pages / (time.process_time() - cpu))
    print(f"warm csminer.mine(seed) ({pages} pages; first call {first:.1f} s): {wall.show('pages/s', 1)}")
    print(f"  per CPU second (one core): {per_cpu.show('pages/s', 1)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(PARTS), help="which parts, comma-separated")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print(f"csminer at {ROOT}; load at start {load():.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "one" in parts:
            one_report(work, args.repeat)
        if "corpus" in parts:
            corpus_cold(work, args.repeat)
        if "memory" in parts:
            memory(work)
        if "warm" in parts:
            warm(args.repeat)
    print(held_out())


if __name__ == "__main__":
    main()
