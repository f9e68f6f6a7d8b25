"""The review app in a real browser (Playwright driving Debian's chromium)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.inventory import Inventory
from pipeline.review import store

from .conftest import CSMINER, Mined, mine

CHROMIUM = Path(os.environ.get("CSMINER_CHROMIUM", "/usr/bin/chromium"))

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no chromium at {CHROMIUM}: install it with `apt-get install chromium` (make browser)",
)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip, requirements.lock)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``csminer review`` in its own process, so a test can kill it as a crash would."""

    def __init__(self, db: Path) -> None:
        self.db, self.port = db, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(CSMINER), "review", "--db", str(self.db), "--port", str(self.port), "--reviewer", "e2e"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the review server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)  # as a crash: no shutdown handler runs
            self.process.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def server(mined: Mined, tmp_path: Path) -> Iterator[Server]:
    running = Server(mined.copy(tmp_path))
    running.start()
    yield running
    running.kill()


def _records(db: Path) -> dict[str, dict]:
    with Inventory(db) as inv:
        return {r["id"]: r for r in inv.records()}


def test_keyboard_accept_correct_reject_persist_and_survive_force(
    browser: object, server: Server, mined: Mined
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.url}/queue")
    page.keyboard.press("Enter")
    page.wait_for_url("**/record/**")
    first = page.url.rsplit("/", 1)[1].split("?")[0]
    page.wait_for_selector('tr.field.current[data-field="name"]')
    page.keyboard.press("a")  # accept the name
    page.wait_for_selector("#message.ok")
    assert page.inner_text("#status") == "reviewed"
    # Correct an amount of a record that has one.
    records = _records(server.db)
    with_amount = next(r for r in records.values() if r["amounts"] and r["id"] != first)
    page.goto(f"{server.url}/record/{with_amount['id']}")
    page.click('tr.field[data-field="amounts"] button.edit')
    page.fill("input.amount-value >> nth=0", "16000000")
    page.select_option("select.amount-qualifier >> nth=0", "approx")
    with page.expect_navigation():
        page.click("button.save")
    # Reject a third record with the keyboard.
    third = next(rid for rid in records if rid not in (first, with_amount["id"]))
    page.goto(f"{server.url}/record/{third}")
    with page.expect_navigation():  # a rejected record moves on to the next one
        page.keyboard.press("x")

    def check() -> None:
        page.goto(f"{server.url}/record/{first}")
        assert "reviewed" in page.get_attribute('tr.field[data-field="name"]', "class")
        page.goto(f"{server.url}/record/{with_amount['id']}")
        amounts = page.inner_text('tr.field[data-field="amounts"] td.value')
        assert "16,000,000" in amounts and "approx" in amounts
        page.goto(f"{server.url}/record/{third}")
        assert "rejected" in page.inner_text("h1")
        page.goto(f"{server.url}/queue?status=rejected")
        assert third in page.inner_text("#queue")

    check()
    server.kill()  # killed, not stopped: every acknowledged decision must be on disk
    mine(mined.pdfs, server.db, server.db.parent / "out", force=True)
    server.start()
    check()
    page.screenshot(path=str(server.db.parent / "queue.png"))


def test_pdf_markup_does_not_run(browser: object, server: Server) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    rid = next(i for i, r in _records(server.db).items() if any("<script>" in e for e in r["evidence"]))
    for url in ("/queue", f"/record/{rid}"):
        page.goto(server.url + url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__xss === undefined")
    assert "<script>window.__xss = 1</script>" in page.inner_text("ol.evidence")
    assert page.locator("ol.evidence img").count() == 0 and page.locator("ol.evidence script").count() == 0
    assert dialogs == []


def test_two_reviewers_do_not_lose_each_other(browser: object, server: Server) -> None:
    rid = next(iter(_records(server.db)))
    ana, ben = browser.new_page(), browser.new_page()  # type: ignore[attr-defined]
    for page in (ana, ben):
        page.goto(f"{server.url}/record/{rid}")
    ana.click('tr.field[data-field="funders"] button.accept')
    ana.wait_for_selector("#message.ok")
    ben.click('tr.field[data-field="recipients"] button.accept')
    ben.wait_for_selector("#message.conflict")
    assert "reload" in ben.inner_text("#message")
    ben.reload()
    assert "reviewed" in ben.get_attribute('tr.field[data-field="funders"]', "class")


def test_merge_two_records_then_split_them_apart(browser: object, server: Server) -> None:
    first, second = sorted(_records(server.db))[:2]
    before = _records(server.db)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.url}/record/{first}")
    page.select_option("#merge-with", second)
    with page.expect_navigation():
        page.click("#merge")
    quotes = page.locator("ol.evidence q").all_inner_texts()
    assert quotes == [*before[first]["evidence"], *before[second]["evidence"]]
    # Both records' sentences are highlighted on the page, each as its own span.
    lit = page.locator(".hl").evaluate_all("boxes => boxes.map((b) => b.dataset.span)")
    assert set(lit) == {"0", "1"}
    with Inventory(server.db) as inv:
        assert store.state(inv, second)["status"] == "merged"
        assert [h["decision"] for h in store.log(inv, first)] == ["merge"]
    with page.expect_navigation():
        page.click("button.split[data-at='1']")
    new = page.url.rsplit("/", 1)[1]
    assert new != first and page.locator("ol.evidence q").all_inner_texts() == before[second]["evidence"]
    page.goto(f"{server.url}/record/{first}")
    assert page.locator("ol.evidence q").all_inner_texts() == before[first]["evidence"]
    after = _records(server.db)
    assert after[new]["evidence"] == before[second]["evidence"]
    assert after[first]["spans"] == before[first]["spans"]
    with Inventory(server.db) as inv:
        assert store.state(inv, new)["origin"] == "split"


def test_add_a_missed_record_by_selecting_text_on_the_page(browser: object, server: Server) -> None:
    records = _records(server.db)
    rid = sorted(records)[0]
    page = browser.new_page()  # type: ignore[attr-defined]
    heading = "Security cooperation in Central America."
    offered: list[str] = []
    # The prompt offers the text in the rectangle; the analyst trims it to the heading.
    page.on("dialog", lambda d: (offered.append(d.default_value), d.accept(heading)))
    page.goto(f"{server.url}/record/{rid}")
    with page.expect_navigation():  # from the record to its whole page
        page.click('figure[data-page="1"] figcaption a')
    assert page.url.endswith("/doc/cooperation/page/1")
    assert set(page.locator("ul.onpage a").all_inner_texts()) == set(records)
    assert page.locator(".hl").count() == sum(len(s["boxes"]) for r in records.values() for s in r["spans"])
    page.click("#add-mode")
    sheet = page.locator('figure[data-page="1"] .sheet')
    shown = sheet.bounding_box()
    width, height = page.evaluate("JSON.parse(document.getElementById('page-data').textContent).sizes['1']")
    # The heading sits above every record's evidence: drag over it and the first line below it.
    top = min(box[1] for r in records.values() for s in r["spans"] for _, box in s["boxes"])
    x0, y0, x1, y1 = 40.0, 40.0, width - 40.0, top + 6.0

    def at(x: float, y: float) -> tuple[float, float]:
        return shown["x"] + x / width * shown["width"], shown["y"] + y / height * shown["height"]

    page.mouse.move(*at(x0, y0))
    page.mouse.down()
    page.mouse.move(*at(x1, y1), steps=5)
    with page.expect_navigation():
        page.mouse.up()
    assert len(offered) == 1 and offered[0].startswith(heading) and "World Bank" in offered[0]
    added = page.url.rsplit("/", 1)[1]
    assert added not in records and page.locator("ol.evidence q").all_inner_texts() == [heading]
    assert page.locator('figure[data-page="1"] .hl').count() == 1
    page.reload()  # stored, not only shown
    assert "reviewed" in page.inner_text("h1")
    after = _records(server.db)[added]
    assert after["evidence"] == [heading] and after["pages"] == [1]
    ((page_no, box),) = after["spans"][0]["boxes"]
    assert page_no == 1 and box[1] >= y0 - 1 and box[3] <= y1 + 1
