"""``csminer report``: the inventory in figures, each from a printed query, opened in chromium.

The inventory holds the gold records of every gold document (the seed's two renderings and the
field reports), so the figures count real interventions; what each figure should show is
worked out here from the same records in Python, not typed in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.inventory import Inventory
from pipeline.nlp.amount_roles import total_usd
from pipeline.report import QUERIES

runner = CliRunner()
CHROMIUM = Path(os.environ.get("CSMINER_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="module")
def gold(shared_dir: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for name in ("dev.jsonl", "field.jsonl")
        for line in (shared_dir / "gold" / name).read_text(encoding="utf-8").splitlines()
    ]


@pytest.fixture(scope="module")
def db(gold: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "inventory.sqlite"
    with Inventory(path) as inventory:
        for doc in sorted({r["doc"] for r in gold}):
            summary = {
                "doc": doc, "path": f"/corpus/{doc}.pdf", "sha256": doc, "status": "success", "pages": 1,
                "errors": [], "pipeline_version": "0.1.0", "model_version": "gold",
            }  # fmt: skip
            inventory.store(summary, [r for r in gold if r["doc"] == doc])
    return path


@pytest.fixture(scope="module")
def report(db: Path) -> Path:
    out = db.parent / "site" / "report.html"
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{len(QUERIES)} figures written" in result.output
    return out


def interventions(db: Path, gold: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    with Inventory(db) as inventory:
        sources = inventory.sources()
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in gold:
        groups.setdefault(sources[r["id"]]["intervention"], []).append(r)
    return groups


def test_every_figure_has_its_files_query_and_note(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    for key, query in QUERIES.items():
        for suffix in ("png", "svg"):
            path = report.with_name(f"report-{key}.{suffix}")
            assert path.stat().st_size > 1000, path
        assert f'data-figure="{key}"' in page and f'src="report-{key}.svg"' in page
        first_line = query.splitlines()[0].replace("'", "&#x27;").replace(">", "&gt;")
        assert first_line in page, key
    assert page.count('<p class="note">') == len(QUERIES)


def test_figures_count_interventions_not_records(db: Path, gold: list[dict[str, Any]]) -> None:
    from pipeline.report import figures

    made = {f.key: f for f in figures(db)}
    groups = interventions(db, gold)
    assert len(groups) < len(gold)  # the seed's two renderings join
    starts = [
        min(s)
        for s in ([r["years"]["start"] for r in g if r["years"]["start"]] for g in groups.values())
        if s
    ]
    assert sum(n for _, n in made["start-year"].rows) == len(starts)
    assert dict(made["start-year"].rows) == {y: starts.count(y) for y in set(starts)}
    assert sum(n for _, _, n in made["quadrant"].rows) == len(groups)
    money = [m for m in (max((total_usd(r["amounts"]) or 0.0) for r in g) for g in groups.values()) if m]
    assert sum(usd for _, _, usd in made["amounts-by-quadrant"].rows) == pytest.approx(sum(money))
    funders = {f for r in gold for f in r["funders"]}
    top, n = made["top-funders"].rows[0]
    assert top in funders and n == max(
        sum(any(f in r["funders"] for r in g) for g in groups.values()) for f in funders
    )
    assert [(d, s) for d, s, _, _ in made["documents"].rows] == [
        (d, "success") for d in sorted({r["doc"] for r in gold})
    ]


def test_a_file_that_is_no_inventory_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "not.sqlite"
    bad.write_text("not a database", encoding="utf-8")
    result = runner.invoke(app, ["report", "--db", str(bad), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "E121" in result.output
    assert (
        runner.invoke(app, ["report", "--db", str(tmp_path / "none.sqlite"), "--out", "x.html"]).exit_code
        == 2
    )


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no chromium at {CHROMIUM}: install it with `apt-get install chromium` (make browser)",
)
def test_every_figure_renders_in_chromium(report: Path) -> None:
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip, requirements.lock)")
    from pipeline.report import screenshot

    shot = report.with_name("page.png")
    shown = screenshot(report, shot, str(CHROMIUM))
    assert shown == dict.fromkeys(QUERIES, True)
    assert shot.stat().st_size > 10_000
