"""Review app: time from request to a record shown with its page image, on the 65-page seed.

Mines corpus/neighborhood-1col.pdf into a scratch inventory (or uses ``--db``), starts the app
in-process on a loopback port and, for the lowest-confidence records of the queue, times the
record page plus every page image it shows (a cold render, then a warm one). Then, on a server
of its own (its pages not yet rendered), chromium opens each record and the time runs until the
browser's load event, when every page image is decoded and shown. Aim: <= 1 s.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "neighborhood-1col.pdf"
sys.path.insert(0, str(ROOT))

from pipeline.inventory import Inventory  # noqa: E402
from pipeline.review.app import create_app, guarded  # noqa: E402
from pipeline.review.queue import Filters, queue  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def shown(base: str, rid: str) -> float:
    """Seconds to fetch the record page and every page image it refers to."""
    start = time.perf_counter()
    html = _get(f"{base}/record/{rid}").decode()
    for src in re.findall(r'src="(/page/[^"]+\.png)"', html):
        _get(base + src)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, help="an inventory holding the seed (default: mine it now)")
    parser.add_argument("--records", type=int, default=10)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    db = args.db
    if db is None:
        db = Path(scratch.name) / "inventory.sqlite"
        print(f"mining {SEED.name} into a scratch inventory …", flush=True)
        subprocess.run(
            [
                str(Path(sys.executable).with_name("csminer")),
                "run",
                str(SEED),
                "--out",
                scratch.name,
                "--db",
                str(db),
                "--workers",
                "1",
                "--no-ner",
            ],
            check=True,
            capture_output=True,
        )
    with Inventory(db) as inv:
        ids = [r["id"] for r in queue(inv, Filters(doc=SEED.stem))][: args.records]
        pages = inv.document(SEED.stem)["pages"]
    base, stop = _serve(db)
    cold = [shown(base, rid) for rid in ids]
    warm = [shown(base, rid) for rid in ids]
    stop()
    print(f"{SEED.name}: {pages} pages, {len(ids)} records timed (lowest confidence first)")
    print(f"record + page image, cold: median {statistics.median(cold):.3f} s, max {max(cold):.3f} s")
    print(f"record + page image, warm: median {statistics.median(warm):.3f} s, max {max(warm):.3f} s")
    worst = max(cold)
    browser = in_browser(db, ids, args.chromium)
    if browser:
        print(
            f"in chromium, request to load event (page images shown), cold: median"
            f" {statistics.median(browser):.3f} s, max {max(browser):.3f} s"
        )
        worst = max(worst, max(browser))
    print(f"aim <= 1 s: {'met' if worst <= 1.0 else 'NOT met'}")


def _serve(db: Path) -> tuple[str, Callable[[], None]]:
    """The app on a loopback port, in a thread; returns its address and how to stop it."""
    port = _port()
    config = uvicorn.Config(
        guarded(create_app(db, "bench"), ["127.0.0.1"]), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


def in_browser(db: Path, ids: list[str], chromium: str) -> list[float]:
    """Seconds from navigation to the load event for each record, in chromium (none without it)."""
    if not Path(chromium).exists():
        print(f"no chromium at {chromium}: the in-browser time is not measured")
        return []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: the in-browser time is not measured")
        return []
    base, stop = _serve(db)
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        page.goto(f"{base}/queue")  # the browser, its scripts and styles warmed up; no record page yet
        for rid in ids:
            start = time.perf_counter()
            page.goto(f"{base}/record/{rid}", wait_until="load")
            times.append(time.perf_counter() - start)
            if not page.evaluate("[...document.images].every((i) => i.complete && i.naturalWidth > 0)"):
                raise SystemExit(f"{rid}: a page image was not shown")
        browser.close()
    stop()
    return times


if __name__ == "__main__":
    main()
