"""Where the time goes: cProfile of what one worker does, in one process.

Two profiles: start-up plus one 2-page report (imports, loading the models and the pretrained
pipeline, reading, mining), and the shipped corpus mined warm (the stages loaded before the
profile starts: the per-page cost). Each prints its top entries by cumulative time, then by own
time, so both the stages and the hot functions show.

    .venv/bin/python benchmarks/profile_run.py [--top 25] [--out DIR]   (DIR keeps the .prof files)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

from bench_speed import excerpt
from measure import MODELS, ROOT, SEED, load


def show(profile: cProfile.Profile, title: str, top: int, out: Path | None) -> None:
    if out is not None:
        profile.dump_stats(out / f"{title.split()[0]}.prof")
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        lines = text.getvalue().splitlines()
        start = next((n for n, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
        print(f"--- {title}, by {order} time (load {load():.1f})")
        print("\n".join(line for line in lines[start:] if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = excerpt(SEED, [9, 10], Path(tmp) / "two-page.pdf")
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        from pipeline.batch import load_stages
        from pipeline.config import Config
        from pipeline.run import process_document

        stages = load_stages(MODELS)
        process_document(pdf, stages, Config())
        profile.disable()
        print(f"start-up and one 2-page report: {time.perf_counter() - start:.2f} s under the profiler")
        show(profile, "one-report start-up and mining", args.top, args.out)

        paths = sorted((ROOT / "corpus").glob("*.pdf"))
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        pages = sum(process_document(p, stages, Config()).summary["pages"] for p in paths)
        profile.disable()
        print(f"corpus, warm: {pages} pages in {time.perf_counter() - start:.2f} s under the profiler")
        show(profile, "corpus mined warm", args.top, args.out)


if __name__ == "__main__":
    main()
