"""Where a worker's memory goes: each stage of mining one document, for a 2-page, the 35-page
seed and a 105-page document (the seed three times), as ``bench_speed.py --only memory`` mines them.

For each stage (read, sentences and mentions, records) it prints what Python objects the stage
leaves behind and its peak above what it started with (tracemalloc), and the process's RSS after
it and at its peak (``VmHWM``, reset before each stage: Linux). The stages are loaded, and a first
document mined, before anything is measured, so models and lazily built tables do not count.
``--top N`` lists the N allocation sites holding most of what is left once the document is read.

    .venv/bin/python benchmarks/profile_memory.py [--top 10]

tracemalloc slows the run and adds to RSS; compare RSS figures with each other, not with
``bench_speed.py``'s.
"""

from __future__ import annotations

import argparse
import gc
import re
import tempfile
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from bench_speed import excerpt
from measure import MODELS, SEED, MiB

STATUS = Path("/proc/self/status")


def status(key: str) -> float:
    """``VmRSS`` or ``VmHWM`` of this process, MiB."""
    found = re.search(rf"^{key}:\s+(\d+)", STATUS.read_text(), re.M)
    return int(found.group(1)) / 1024 if found else 0.0


def reset_peak() -> None:
    """Start ``VmHWM`` again from the current RSS (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5")
    tracemalloc.reset_peak()


def stage(name: str, run: Callable[[], Any]) -> Any:
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    reset_peak()
    out = run()
    now, peak = tracemalloc.get_traced_memory()
    left, above = (now - before) / MiB, (peak - before) / MiB
    print(
        f"  {name:9s} left {left:+6.1f} MiB, peak {above:+6.1f} MiB above its start"
        f" | RSS {status('VmRSS'):4.0f}, peak {status('VmHWM'):4.0f} MiB"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from pipeline.batch import load_stages
    from pipeline.config import Config
    from pipeline.reading.reader import read_pdf
    from pipeline.records.build import build_records
    from pipeline.records.inputs import document_inputs
    from pipeline.records.rules import RuleSet

    stages = load_stages(MODELS)
    config = Config()
    rules = RuleSet.parse(config.rules.disabled)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        two = excerpt(SEED, [9, 10], work / "two-page.pdf")
        long = excerpt(SEED, list(range(len(pdfium.PdfDocument(SEED)))) * 3, work / "long.pdf")
        warm = read_pdf(two, config.reading)
        build_records(document_inputs(warm, stages.matcher, stages.splitter), stages.models, stages.grammar)
        del warm
        tracemalloc.start(1)
        for pdf in (two, SEED, long):
            pages = len(pdfium.PdfDocument(pdf))
            print(f"{pdf.name} ({pages} pages), RSS at start {status('VmRSS'):.0f} MiB")
            start = tracemalloc.get_traced_memory()[0]
            document = stage("read", lambda pdf=pdf: read_pdf(pdf, config.reading))
            if args.top:
                for stat in tracemalloc.take_snapshot().statistics("lineno")[: args.top]:
                    print(f"      {stat.size / MiB:5.2f} MiB {stat.count:7d} objects  {stat.traceback[0]}")
            inputs = stage("mentions", lambda d=document: document_inputs(d, stages.matcher, stages.splitter))
            stage("records", lambda i=inputs: build_records(i, stages.models, stages.grammar, rules))
            held = (tracemalloc.get_traced_memory()[0] - start) / MiB
            print(f"  the document, its sentences, mentions and records hold {held:.1f} MiB")
            del document, inputs


if __name__ == "__main__":
    main()
