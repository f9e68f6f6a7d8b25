"""Screenshots of the review app for a reviewer of the project: ``python -m pipeline.review.shots``.

Starts the app on a loopback port over a copy of the inventory (screenshots decide nothing in
the real one), opens the queue and the lowest-confidence record in chromium with a field
hovered and the amounts' typed editor open, then that record's page with a rectangle being
dragged over text to add a missed record; saves ``review-queue.png``, ``review-record.png`` and
``review-page.png``.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from .app import create_app, guarded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("outputs") / "inventory.sqlite")
    parser.add_argument("--out", type=Path, default=Path("outputs"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "inventory.sqlite"
        with sqlite3.connect(args.db) as source, sqlite3.connect(db) as copy:
            source.backup(copy)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        server = uvicorn.Server(
            uvicorn.Config(guarded(create_app(db, "analyst"), ["127.0.0.1"]), port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 950})
            page.goto(f"{base}/queue")
            page.screenshot(path=str(args.out / "review-queue.png"))
            page.keyboard.press("Enter")
            page.wait_for_url("**/record/**")
            page.wait_for_load_state("networkidle")
            page.keyboard.press("a")  # accept the name, on the copy
            page.wait_for_selector("#message.ok")
            page.click('tr.field[data-field="amounts"] button.edit')
            if not page.locator("input.amount-value").count():  # show the typed controls all the same
                page.click("text=add an amount")
            page.hover('tr.field:not([data-spans=""])')  # a field read off a span: the span lights up
            page.screenshot(path=str(args.out / "review-record.png"))
            # The record's first page as a whole, a rectangle being dragged to add a missed record.
            page.click("figure.page figcaption a")
            page.wait_for_url("**/doc/**")
            page.wait_for_load_state("networkidle")
            page.click("#add-mode")
            sheet = page.locator(".sheet").bounding_box()
            if sheet:
                x, y, w, h = sheet["x"], sheet["y"], sheet["width"], sheet["height"]
                page.mouse.move(x + w * 0.12, y + h * 0.40)
                page.mouse.down()
                page.mouse.move(x + w * 0.88, y + h * 0.47, steps=4)
            page.screenshot(path=str(args.out / "review-page.png"))
            browser.close()
        server.should_exit = True
        thread.join(10)
    shutil.rmtree(scratch, ignore_errors=True)
    names = ", ".join(f"{args.out}/review-{n}.png" for n in ("queue", "record", "page"))
    print(f"screenshots written to {names}")


if __name__ == "__main__":
    main()
