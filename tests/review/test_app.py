"""The review app over HTTP: escaping, page images by id only, CSRF, origins, hosts, binding."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from pipeline.inventory import Inventory
from pipeline.review.app import create_app, guarded
from pipeline.review.serve import serve

from .conftest import Mined

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def client(mined: Mined, tmp_path: Path) -> tuple[TestClient, str, Path]:
    db = mined.copy(tmp_path)
    app = create_app(db, "tester")
    return TestClient(guarded(app, ["testserver"])), app.state.csrf, db


def _xss_record(db: Path) -> str:
    with Inventory(db) as inv:
        return next(r["id"] for r in inv.records() if any("<script>" in e for e in r["evidence"]))


def test_pdf_text_is_escaped(client: tuple[TestClient, str, Path]) -> None:
    http, _, db = client
    page = http.get(f"/record/{_xss_record(db)}")
    assert page.status_code == 200
    assert "<script>window" not in page.text and '<img src="x"' not in page.text
    assert "&lt;script&gt;window.__xss" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>window" not in http.get("/queue").text


def test_page_images_only_for_inventory_documents(client: tuple[TestClient, str, Path]) -> None:
    http, _, _ = client
    ok = http.get("/page/cooperation/1.png")
    assert ok.status_code == 200 and ok.content[:4] == b"\x89PNG"
    assert http.get("/page/cooperation/9.png").status_code == 404
    for probe in ("/page/..%2F..%2Fetc%2Fpasswd/1.png", "/page/%2Fetc%2Fpasswd/1.png", "/page/nope/1.png"):
        assert http.get(probe).status_code == 404
    assert http.get("/static/../app.py").status_code == 404
    assert http.get("/doc/cooperation/page/1").status_code == 200
    assert 'id="doc-pages" href="/doc/cooperation/page/1"' in http.get("/queue?doc=cooperation").text
    for probe in ("/doc/cooperation/page/2", "/doc/cooperation/page/0", "/doc/..%2Fetc/page/1"):
        assert http.get(probe).status_code == 404


def test_state_changes_need_the_token_and_the_origin(client: tuple[TestClient, str, Path]) -> None:
    http, token, db = client
    rid = _xss_record(db)
    body = {"action": "decide", "record": rid, "field": "name", "decision": "accept", "version": 0}
    assert http.post("/api/decide", json=body).status_code == 403
    assert http.post("/api/decide", json=body, headers={"x-csrf-token": "guess"}).status_code == 403
    evil = {"x-csrf-token": token, "origin": "http://evil.example"}
    assert http.post("/api/decide", json=body, headers=evil).status_code == 403
    assert http.get("/queue", headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert http.post("/api/decide", json=body, headers={"x-csrf-token": token}).json() == {"version": 1}
    stale = http.post("/api/decide", json=body, headers={"x-csrf-token": token})
    assert stale.status_code == 409 and "reload" in stale.json()["error"]
    # An added record's evidence is read in the region selected on the page, never typed.
    add = {"action": "add", "doc": "cooperation", "page": 1, "box": [40, 40, 572, 96]}
    typed = http.post(
        "/api/decide", json={**add, "text": "USAID funded nothing."}, headers={"x-csrf-token": token}
    )
    assert typed.status_code == 422 and "selected region" in typed.json()["error"]
    read = http.post("/api/text", json=add, headers={"x-csrf-token": token}).json()["text"]
    assert read.startswith("Security cooperation")
    added = http.post("/api/decide", json={**add, "text": read}, headers={"x-csrf-token": token})
    assert added.status_code == 200 and added.json()["record"] == "cooperation-a1"


def test_other_hosts_are_refused(client: tuple[TestClient, str, Path]) -> None:
    http, _, _ = client
    assert http.get("/queue", headers={"host": "rebind.example"}).status_code == 400


def test_binding_elsewhere_needs_a_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        serve(tmp_path / "inventory.sqlite", "0.0.0.0", 8999, "x")
    assert "--allow-remote" in capsys.readouterr().err
