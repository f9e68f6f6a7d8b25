"""The inventory in figures: an HTML page with one figure per question a reader of the seed
report asks, each drawn from an SQL query over the inventory that the page prints beside it.

Figures count **interventions**, not records: the records of several reports (or of two
renderings of one report) joined into one intervention count once. An intervention takes its
start year as the earliest its records give, its funders and recipients as all its records
name, its hard/soft and scope class from its first record (document, then position), and its
money as the largest ``total_usd`` among its records (two reports stating one budget are one
budget, never two). Records an analyst rejected or merged away are left out.

The queries run on the inventory's SQLite file with three functions this module registers:
``total_usd(amounts)`` (:func:`pipeline.nlp.amount_roles.total_usd` on a record's amounts),
``actor_type(name)`` (the actor registry's type: country, region, agency …) and
``subregion(name)`` (the smallest sub-region of the registry that holds a country — Central
America, the Caribbean, the Andean region, the Southern Cone, South America —, a Latin American
country in none as itself (Mexico), a region of the Americas as itself, anything else "outside
Latin America").

Each figure is written as PNG and SVG beside the page (``<stem>-<figure>.png``/``.svg``); the
page shows the SVG, its query and a note of what it counts. matplotlib draws them (Agg, no
display needed).
"""

from __future__ import annotations

import html
import json
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .export import _atomic_write
from .nlp.actors import ActorRegistry
from .nlp.amount_roles import total_usd

KEPT = """WITH kept AS (
    SELECT r.* FROM records r
    WHERE r.id NOT IN (SELECT record_id FROM review_state WHERE status IN ('rejected', 'merged'))
), iv AS (
    SELECT s.intervention_id AS iv, k.* FROM record_sources s JOIN kept k ON k.id = s.record_id
), first AS (
    SELECT * FROM (
        SELECT iv.*, ROW_NUMBER() OVER (PARTITION BY iv.iv ORDER BY iv.doc, iv.seq) AS k FROM iv
    ) WHERE k = 1
), money AS (
    SELECT iv, MAX(total_usd(amounts)) AS usd FROM iv GROUP BY iv
)"""
"""The common part of every query: the records kept, each with its intervention (``iv``), the
first record of each intervention (``first``) and each intervention's money (``money``)."""

QUERIES: dict[str, str] = {
    "start-year": """SELECT start_year, COUNT(*) AS interventions
FROM (SELECT iv, MIN(years_start) AS start_year FROM iv GROUP BY iv)
WHERE start_year IS NOT NULL
GROUP BY start_year ORDER BY start_year""",
    "recipient-country": """SELECT j.value AS country, COUNT(DISTINCT iv.iv) AS interventions
FROM iv, json_each(iv.recipients) j
WHERE actor_type(j.value) = 'country'
GROUP BY country ORDER BY interventions DESC, country LIMIT 15""",
    "recipient-subregion": """SELECT subregion(j.value) AS subregion, COUNT(DISTINCT iv.iv) AS interventions
FROM iv, json_each(iv.recipients) j
WHERE subregion(j.value) IS NOT NULL
GROUP BY subregion ORDER BY interventions DESC, subregion""",
    "quadrant": """SELECT COALESCE(hard_soft, 'not coded') AS hard_soft,
       COALESCE(scope, 'not coded') AS scope, COUNT(*) AS interventions
FROM first GROUP BY 1, 2""",
    "amounts-by-funder": """SELECT f.funder, SUM(money.usd) AS usd
FROM money JOIN (SELECT DISTINCT iv.iv, j.value AS funder FROM iv, json_each(iv.funders) j) f
  ON f.iv = money.iv
WHERE money.usd IS NOT NULL
GROUP BY f.funder ORDER BY usd DESC, f.funder LIMIT 12""",
    "amounts-by-quadrant": """SELECT COALESCE(first.hard_soft, 'not coded') AS hard_soft,
       COALESCE(first.scope, 'not coded') AS scope, SUM(money.usd) AS usd
FROM first JOIN money ON money.iv = first.iv
WHERE money.usd IS NOT NULL
GROUP BY 1, 2""",
    "top-funders": """SELECT j.value AS funder, COUNT(DISTINCT iv.iv) AS interventions
FROM iv, json_each(iv.funders) j
GROUP BY funder ORDER BY interventions DESC, funder LIMIT 10""",
    "top-recipients": """SELECT j.value AS recipient, COUNT(DISTINCT iv.iv) AS interventions
FROM iv, json_each(iv.recipients) j
GROUP BY recipient ORDER BY interventions DESC, recipient LIMIT 10""",
    "documents": """SELECT d.doc, d.status, d.pages,
       (SELECT COUNT(*) FROM kept WHERE kept.doc = d.doc) AS records
FROM documents d ORDER BY d.doc""",
}
"""Figure → the query that gives its numbers (after :data:`KEPT`)."""

COUNTS = """SELECT
  (SELECT COUNT(DISTINCT iv) FROM iv),
  (SELECT COUNT(*) FROM kept),
  (SELECT COUNT(*) FROM documents),
  (SELECT COUNT(*) FROM (SELECT iv FROM iv GROUP BY iv HAVING MIN(years_start) IS NULL)),
  (SELECT COUNT(*) FROM money WHERE usd IS NULL),
  (SELECT COUNT(*) FROM (SELECT iv FROM iv GROUP BY iv HAVING MAX(json_array_length(recipients)) = 0)),
  (SELECT COUNT(*) FROM (SELECT iv FROM iv GROUP BY iv HAVING MAX(json_array_length(funders)) = 0))"""

SUBREGIONS = ("Central America", "Caribbean", "Andean region", "Southern Cone", "South America")
"""Sub-regions a country is placed in, smallest first (the registry gives their members)."""
AREAS = ("Latin America", "Americas")
"""Regions a recipient may name as a whole (shown as themselves)."""
OUTSIDE = "outside Latin America"
HARD_SOFT = ("hard", "soft", "mixed", "not coded")
SCOPE = ("transnational", "local", "mixed", "not coded")


@dataclass
class Figure:
    """One figure of the report: its file stem, title, query, rows and what it counts."""

    key: str
    title: str
    query: str
    rows: list[tuple[Any, ...]]
    note: str
    files: dict[str, Path] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _registry() -> ActorRegistry:
    return ActorRegistry.load()


def actor_type(name: str | None) -> str | None:
    """The registry's type of an actor (country, region, agency …), None when it is unknown."""
    actor = _registry().get(name) if name else None
    return actor.type if actor is not None else None


def subregion(name: str | None) -> str | None:
    """The sub-region a recipient belongs to (see the module notes), None for what is neither a
    country nor a region of the Americas (a city, an institution)."""
    if not name:
        return None
    registry = _registry()
    actor = registry.get(name)
    if actor is None:
        return None
    if actor.type == "region":
        home = {*SUBREGIONS, *AREAS}
        inside = actor.canonical in home or bool(home & set(registry.parents(actor.canonical)))
        return actor.canonical if inside else OUTSIDE
    if actor.type != "country":
        return None
    for region in SUBREGIONS:
        if actor.canonical in registry.members_of(region):
            return region
    return actor.canonical if actor.canonical in registry.members_of("Latin America") else OUTSIDE


def _total_usd(amounts: str | None) -> float | None:
    try:
        parsed = json.loads(amounts or "[]")
    except ValueError:
        return None
    return total_usd([a for a in parsed if isinstance(a, dict)]) if isinstance(parsed, list) else None


def connect(db: Path) -> sqlite3.Connection:
    """The inventory opened read-only, with the functions the queries use."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.create_function("total_usd", 1, _total_usd, deterministic=True)
    conn.create_function("actor_type", 1, actor_type, deterministic=True)
    conn.create_function("subregion", 1, subregion, deterministic=True)
    return conn


def figures(db: Path) -> list[Figure]:
    """Every figure's numbers, from the inventory at ``db`` (it must hold the migrated schema)."""
    with connect(db) as conn:
        rows = {key: conn.execute(f"{KEPT}\n{query}").fetchall() for key, query in QUERIES.items()}
        ivs, records, docs, no_year, no_money, no_recipient, no_funder = conn.execute(
            f"{KEPT}\n{COUNTS}"
        ).fetchone()
    base = f"{ivs} interventions ({records} records from {docs} documents)"
    dated = sum(n for _, n in rows["start-year"])
    with_money = ivs - no_money
    return [
        Figure("start-year", "Interventions by start year", QUERIES["start-year"], rows["start-year"],
               f"{dated} of {base}: the {no_year} with no start year are left out."),
        Figure("recipient-country", "Interventions by recipient country (top 15)",
               QUERIES["recipient-country"], rows["recipient-country"],
               f"Of {base}; an intervention with several recipient countries counts under each;"
               f" {no_recipient} name no recipient."),
        Figure("recipient-subregion", "Interventions by recipient sub-region",
               QUERIES["recipient-subregion"], rows["recipient-subregion"],
               f"Of {base}; a country counts in its smallest sub-region, a region named as recipient"
               " as itself; an intervention counts once per sub-region its recipients reach."),
        Figure("quadrant", "Interventions by hard/soft and transnational/local", QUERIES["quadrant"],
               rows["quadrant"], f"All {base}, each classed by its first record."),
        Figure("amounts-by-funder", "Amounts by funder (US dollars, top 12)", QUERIES["amounts-by-funder"],
               rows["amounts-by-funder"],
               f"The {with_money} of {base} with an amount in US dollars, each counted once at the"
               " largest total_usd of its records; an intervention with several funders counts under"
               f" each, so the bars do not add up to the whole; {no_funder} name no funder."),
        Figure("amounts-by-quadrant", "Amounts by hard/soft and transnational/local (US dollars)",
               QUERIES["amounts-by-quadrant"], rows["amounts-by-quadrant"],
               f"The {with_money} of {base} with an amount in US dollars, each counted once, in the"
               " class of its first record: the cells add up to the whole."),
        Figure("top-funders", "Top funders (interventions)", QUERIES["top-funders"], rows["top-funders"],
               f"Of {base}; {no_funder} name no funder."),
        Figure("top-recipients", "Top recipients (interventions)", QUERIES["top-recipients"],
               rows["top-recipients"], f"Of {base}; {no_recipient} name no recipient."),
        Figure("documents", "Documents and their status (records per document)", QUERIES["documents"],
               rows["documents"],
               f"Every document of the inventory ({docs}), coloured by reading status; records left"
               " after review."),
    ]  # fmt: skip


# --- drawing ------------------------------------------------------------------------------------


def _bars(ax: Any, labels: list[str], values: list[float], horizontal: bool, colour: str = "#3b6ea5") -> None:
    if horizontal:
        ax.barh(range(len(labels)), values, color=colour)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
    else:
        ax.bar(range(len(labels)), values, color=colour)
        ax.set_xticks(range(len(labels)), labels, rotation=60 if len(labels) > 8 else 0, ha="right")


def _grid(ax: Any, rows: list[tuple[Any, ...]], money: bool) -> None:
    present = {(r[0], r[1]) for r in rows}
    ys = [h for h in HARD_SOFT if any(p[0] == h for p in present)] or ["hard", "soft"]
    xs = [s for s in SCOPE if any(p[1] == s for p in present)] or ["transnational", "local"]
    values = {(r[0], r[1]): float(r[2] or 0) for r in rows}
    matrix = [[values.get((y, x), 0.0) for x in xs] for y in ys]
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(xs)), xs)
    ax.set_yticks(range(len(ys)), ys)
    top = max((v for row in matrix for v in row), default=0.0)
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            text = _usd(v) if money else f"{v:g}"
            ax.text(j, i, text, ha="center", va="center", color="white" if v > top / 2 else "black")


def _usd(value: float) -> str:
    for scale, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= scale:
            return f"${value / scale:.3g}{unit}"
    return f"${value:g}"


STATUS_COLOURS = {"success": "#3b8a4a", "partial": "#d19a1e", "failure": "#b23b3b"}


def _draw(figure: Figure) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = figure.rows
    fig, ax = plt.subplots(figsize=(8, 4.5 if figure.key not in ("quadrant", "amounts-by-quadrant") else 4))
    if not rows:
        ax.text(0.5, 0.5, "nothing to count", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    elif figure.key in ("quadrant", "amounts-by-quadrant"):
        _grid(ax, rows, money=figure.key == "amounts-by-quadrant")
        ax.set_xlabel("scope")
        ax.set_ylabel("hard / soft")
    elif figure.key == "documents":
        colours = [STATUS_COLOURS.get(str(r[1]), "#777777") for r in rows]
        ax.barh(range(len(rows)), [r[3] for r in rows], color=colours)
        ax.set_yticks(range(len(rows)), [f"{r[0]} ({r[1]})" for r in rows])
        ax.invert_yaxis()
        ax.set_xlabel("records")
    elif figure.key == "start-year":  # years on a real axis: a year with none shows as a gap
        ax.bar([int(r[0]) for r in rows], [r[1] for r in rows], color="#3b6ea5")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel("interventions")
    elif figure.key == "amounts-by-funder":
        _bars(ax, [str(r[0]) for r in rows], [r[1] / 1e6 for r in rows], horizontal=True)
        ax.set_xlabel("US$ million")
    else:
        _bars(ax, [str(r[0]) for r in rows], [r[1] for r in rows], horizontal=True)
        ax.set_xlabel("interventions")
    ax.set_title(figure.title)
    fig.tight_layout()
    return fig


def _save(fig: Any, path: Path, fmt: str) -> Path:
    # no date or version stamped in: the same inventory gives the same files
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
    return _atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=110, metadata=metadata))


# --- the page -----------------------------------------------------------------------------------


def _table(figure: Figure) -> str:
    head = {
        "documents": ("doc", "status", "pages", "records"),
        "quadrant": ("hard/soft", "scope", "interventions"),
        "amounts-by-quadrant": ("hard/soft", "scope", "US$"),
        "amounts-by-funder": ("funder", "US$"),
    }.get(figure.key, (figure.key.split("-")[-1], "interventions"))
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    money = "US$" in head

    def cell(v: Any) -> str:
        return f"<td>{html.escape(_usd(v) if money and isinstance(v, float) else str(v))}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in figure.rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }}
figure {{ margin: 2rem 0; border-top: 1px solid #ccc; padding-top: 1rem; }}
figure img {{ max-width: 100%; }}
pre {{ background: #f4f4f4; padding: .5rem; overflow-x: auto; font-size: .8rem; }}
table {{ border-collapse: collapse; font-size: .85rem; }}
td, th {{ border: 1px solid #ddd; padding: 2px 6px; }}
.note {{ color: #444; }}
</style></head><body>
<h1>{title}</h1>
<p>Inventory <code>{db}</code>. Every figure counts interventions (records joined across reports
count once); its numbers come from the query printed under it, run on the inventory after the
common part below. The figures are also saved as PNG and SVG beside this page.</p>
<details><summary>Common part of every query</summary><pre>{kept}</pre></details>
{figures}
</body></html>
"""


def write_report(db: Path, out: Path) -> list[Figure]:
    """The report at ``out`` (HTML) with each figure's PNG and SVG beside it; returns the figures."""
    import matplotlib.pyplot as plt

    out.parent.mkdir(parents=True, exist_ok=True)
    made = figures(db)
    parts = []
    for figure in made:
        fig = _draw(figure)
        for fmt in ("png", "svg"):
            figure.files[fmt] = _save(fig, out.with_name(f"{out.stem}-{figure.key}.{fmt}"), fmt)
        plt.close(fig)
        parts.append(
            f'<figure id="{figure.key}" data-figure="{figure.key}">'
            f'<img src="{html.escape(figure.files["svg"].name)}" alt="{html.escape(figure.title)}">'
            f"<figcaption><strong>{html.escape(figure.title)}</strong>"
            f'<p class="note">{html.escape(figure.note)}</p></figcaption>'
            f"<details><summary>Numbers</summary>{_table(figure)}</details>"
            f"<pre class=\"query\">{html.escape(figure.query)}</pre></figure>"
        )
    page = PAGE.format(
        title="csminer inventory report",
        db=html.escape(str(db)),
        kept=html.escape(KEPT),
        figures="\n".join(parts),
    )
    _atomic_write(out, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return made



def screenshot(page: Path, png: Path, chromium: str = "/usr/bin/chromium") -> dict[str, bool]:
    """A full-page screenshot of a written report in headless chromium (Playwright); returns,
    per figure, whether its image rendered (loaded with a width)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        view = browser.new_page(viewport={"width": 1200, "height": 900})
        view.goto(page.resolve().as_uri())
        view.wait_for_load_state("load")
        shown = view.eval_on_selector_all(
            "figure[data-figure]",
            "els => els.map(f => [f.dataset.figure, !!f.querySelector('img')"
            " && f.querySelector('img').complete && f.querySelector('img').naturalWidth > 0])",
        )
        png.parent.mkdir(parents=True, exist_ok=True)
        view.screenshot(path=str(png), full_page=True)
        browser.close()
    return {str(key): bool(ok) for key, ok in shown}


def main() -> None:
    """``python -m pipeline.report``: a screenshot of a written report, for a reader of the project."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--page", type=Path, default=Path("outputs") / "report.html")
    parser.add_argument("--out", type=Path, default=Path("outputs") / "report-page.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    shown = screenshot(args.page, args.out, args.chromium)
    missing = sorted(k for k, ok in shown.items() if not ok)
    print(f"screenshot written to {args.out}: {len(shown) - len(missing)} of {len(shown)} figures rendered")
    if missing:
        raise SystemExit(f"not rendered: {', '.join(missing)}")


if __name__ == "__main__":
    main()
