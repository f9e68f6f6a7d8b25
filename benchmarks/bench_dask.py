"""Distributed mode: the same corpus through a Dask ``LocalCluster`` of 1 and of 2 worker
processes (one thread each), as ``csminer run --scheduler`` sends it, and the throughput ratio.

Each run starts from an empty inventory with a new cluster, so every worker loads the models
once (as a new machine joining would). The process that owns the inventory writes every
document as it comes back: the single writer. The ratio says how much a second worker process
adds on this machine; on several machines, the same ratio per added machine holds until the
writer or the shared file system is the limit (the README's Scale section works it out).

    .venv/bin/python benchmarks/bench_dask.py [--pages 150] [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from bench_batch import make_corpus
from measure import MODELS, Figure, bare_pass, load

from pipeline.batch import run_batch
from pipeline.config import Config


def timed_cluster(paths: list[Path], work: Path, name: str, workers: int) -> tuple[float, float]:
    """Seconds of the whole run, and of the writing the owner did (storing the outcomes)."""
    from distributed import LocalCluster

    from pipeline import inventory

    writing = [0.0]
    store = inventory.Inventory.store

    def timed_store(self: inventory.Inventory, *args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return store(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            writing[0] += time.perf_counter() - start

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        inventory.Inventory.store = timed_store  # type: ignore[method-assign]
        try:
            start = time.perf_counter()
            run_batch(
                paths,
                work / name,
                work / f"{name}.sqlite",
                MODELS,
                Config(),
                scheduler=cluster.scheduler_address,
            )
            seconds = time.perf_counter() - start
        finally:
            inventory.Inventory.store = store  # type: ignore[method-assign]
    return seconds, writing[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        paths, pages = make_corpus(corpus, args.pages)
        bare = bare_pass(paths)
        print(f"corpus: {len(paths)} files, {pages} pages; bare serial pass {bare:.1f} s (load {load():.1f})")
        rates: dict[int, Figure] = {1: Figure(), 2: Figure()}
        ratio = Figure()
        for n in range(args.repeat):
            for workers in (1, 2):
                seconds, writing = timed_cluster(paths, work, f"d{n}w{workers}", workers)
                rates[workers].add(pages / seconds)
                print(
                    f"  run {n + 1}, LocalCluster of {workers}: {seconds:.1f} s,"
                    f" {pages / seconds:.2f} pages/s;"
                    f" the owner spent {writing:.2f} s writing the inventory"
                    f" (load {load():.1f})"
                )
            ratio.add(rates[2].values[-1] / rates[1].values[-1])
        for workers in (1, 2):
            print(f"LocalCluster of {workers} worker process(es): {rates[workers].show('pages/s')}")
        print(f"throughput, 2 workers / 1 worker: {ratio.show('x')}")


if __name__ == "__main__":
    main()
