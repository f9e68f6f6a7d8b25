"""Pages per second of ``csminer parse`` against a bare pdfplumber ``extract_words`` pass.

Both run over the same files in the same process. With ``--backend pdfminer`` the parse reads
characters through pdfplumber too, and the ratio says what the layout work (columns,
furniture, notes, tables, assembly) costs on top of reading them; with the default PDFium
backend the whole parse is compared with pdfminer's reading alone.

    .venv/bin/python benchmarks/bench_parse.py [PDF or folder ...] [--backend pdfminer]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path

import pdfplumber

from pipeline.cli import pdf_paths
from pipeline.config import READING_BACKENDS, Config, ReadingSettings
from pipeline.reading.reader import read_pdf

DEFAULT = [Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "reports"]


def bare_pass(paths: list[Path]) -> tuple[int, float]:
    pages, start = 0, time.perf_counter()
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_words(x_tolerance=1.5)
                page.close()
                pages += 1
    return pages, time.perf_counter() - start


def parse_pass(paths: list[Path], settings: ReadingSettings) -> tuple[int, float]:
    pages, start = 0, time.perf_counter()
    for path in paths:
        pages += read_pdf(path, settings).pages
    return pages, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("inputs", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--profile", action="store_true", help="print where the parse time goes")
    parser.add_argument("--backend", choices=READING_BACKENDS, default=ReadingSettings().backend)
    args = parser.parse_args()
    settings = Config().override(f"reading.backend={args.backend}").reading
    paths = pdf_paths(args.inputs)
    bare_pages, bare_seconds = bare_pass(paths)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    pages, seconds = parse_pass(paths, settings)
    if profiler:
        profiler.disable()
    bare_rate, rate = bare_pages / bare_seconds, pages / seconds
    print(f"files: {len(paths)}, pages: {pages}")
    print(f"bare pdfplumber extract_words: {bare_rate:6.2f} pages/s ({bare_seconds:.1f} s)")
    print(f"csminer parse ({args.backend + '):':9s}       {rate:6.2f} pages/s ({seconds:.1f} s)")
    print(f"parse time / bare time: {seconds / bare_seconds:.2f}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue())


if __name__ == "__main__":
    main()
