"""Table finding on real files: the report's three tables in both renderings, cell for cell
against the truth, no tables in prose, and the other layouts read without breaking.

Only the pages a test needs are opened (``pdf.pages[i]``) and each is closed after use, so the
whole file runs in a few seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from pdfplumber.page import Page

from pipeline.document import BBox, Table
from pipeline.reading.tables import TableSettings, find_tables, table_regions

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus"
REPORTS = CORPUS / "reports"
LAYOUTS = CORPUS / "layouts"
LAYOUT_FILES = sorted(LAYOUTS.glob("*.pdf")) if LAYOUTS.is_dir() else []

# 0-based page indexes of the pages holding Figures 6, 7 and 8 in each rendering
TABLE_PAGES = {"neighborhood-2col.pdf": [10, 11, 12], "neighborhood-1col.pdf": [14, 15, 16]}
# prose pages, some with boxed figure placeholders, captions and "Source:" lines in boxes
FEDERAL_HEADER = ["Action", "Labor cost", "Parts cost", "Cost per product", "Cost on U.S. operators"]
PROSE_PAGES = {"neighborhood-2col.pdf": [1, 3, 5, 7, 13, 24], "neighborhood-1col.pdf": [3, 11, 19, 20, 50]}


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"corpus file not found: {path}")
    return path


@contextmanager
def _page(path: Path, index: int) -> Iterator[Page]:
    with pdfplumber.open(_need(path)) as pdf:
        page = pdf.pages[index]
        try:
            yield page
        finally:
            page.close()


def _tables(path: Path, index: int, settings: TableSettings | None = None) -> list[Table]:
    with _page(path, index) as page:
        return find_tables(page, settings or TableSettings())


@pytest.fixture(scope="module")
def truth() -> list[dict[str, Any]]:
    return json.loads(_need(CORPUS / "truth" / "neighborhood" / "tables.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=sorted(TABLE_PAGES))
def report_tables(request: pytest.FixtureRequest) -> list[Table]:
    """The tables found on the three table pages of one rendering, in page order."""
    return [t for index in TABLE_PAGES[request.param] for t in _tables(REPORTS / request.param, index)]


def _inside(inner: BBox, outer: BBox, slack: float = 0.5) -> bool:
    return (
        outer[0] - slack <= inner[0]
        and outer[1] - slack <= inner[1]
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


# --------------------------------------------------------------------------- the report


def test_three_tables_one_per_page(report_tables: list[Table]) -> None:
    assert len(report_tables) == 3
    assert len({t.page for t in report_tables}) == 3


@pytest.mark.parametrize("field", ["caption", "header", "header_rows", "rows", "note", "source"])
def test_tables_match_truth(report_tables: list[Table], truth: list[dict[str, Any]], field: str) -> None:
    for found, expected in zip(report_tables, truth, strict=True):
        assert getattr(found, field) == expected[field], f"{expected['id']}: {field}"


def test_multirow_header_is_joined(report_tables: list[Table]) -> None:
    """Figure 8 prints "2013" over "Request": one header cell, both rows kept."""
    figure8 = report_tables[2]
    assert "2013 Request" in figure8.header
    assert len(figure8.header_rows) == 2
    assert all(len(row) == len(figure8.header) for row in figure8.header_rows)


def test_regions_own_grid_and_notes_but_not_caption(report_tables: list[Table]) -> None:
    for table in report_tables:
        regions = table_regions(table)
        assert regions
        assert table.caption_bbox is not None
        # the caption stays in the prose: its box is not inside anything the table owns
        assert not any(_inside(table.caption_bbox, box) for box in regions)
        assert table.caption_bbox[3] <= min(box[1] for box in regions) + 0.5


def test_regions_cover_source_line() -> None:
    """The words of the note and "Source:" lines fall inside the table's regions."""
    with _page(REPORTS / "neighborhood-2col.pdf", 10) as page:
        table = find_tables(page)[0]
        words = page.extract_words(x_tolerance=1.5)
    regions = table_regions(table)
    for text in ("Source:", "includes:"):
        word = next(w for w in words if w["text"] == text)
        box = (word["x0"], word["top"], word["x1"], word["bottom"])
        assert any(_inside(box, region) for region in regions), text


@pytest.mark.parametrize(("name", "index"), [(n, i) for n, pages in PROSE_PAGES.items() for i in pages])
def test_no_tables_in_prose(name: str, index: int) -> None:
    assert _tables(REPORTS / name, index) == []


# --------------------------------------------------------------------------- other layouts


def test_nics_grid_is_read_record_by_record() -> None:
    """A fully ruled grid that rules every fifth row only: one row per state, title lifted out."""
    (table,) = _tables(LAYOUTS / "pdfplumber__nics-background-checks-2015-11.pdf", 0)
    labels = [row[0] for row in table.rows]
    assert {"Alabama", "Alaska", "Wyoming", "Totals"} <= set(labels)
    assert table.rows[0][:4] == ["Alabama", "18,870", "23,022", "22,650"]
    assert table.caption is not None and table.caption.startswith("NICS Firearm Background Checks")
    assert table.caption_bbox is not None and table.caption_bbox[3] <= table_regions(table)[0][1]
    assert table.header[0] == "State / Territory"


@pytest.mark.parametrize("index", [4, 5])
def test_federal_register_open_sided_table(index: int) -> None:
    """Rules above and below, inner vertical rules, no outer sides: read whole, five columns."""
    (table,) = _tables(LAYOUTS / "pdfplumber__federal-register-2020-17221.pdf", index)
    assert table.header == FEDERAL_HEADER
    assert table.rows and all(len(row) == 5 for row in table.rows)


def test_federal_register_wrapped_cells_stay_in_their_row() -> None:
    (table,) = _tables(LAYOUTS / "pdfplumber__federal-register-2020-17221.pdf", 5)
    labels = [row[0].rstrip(" .") for row in table.rows]
    assert labels == ["Stabilizer wiring change", "AOA sensor system test"]
    assert table.rows[0][1] == "Up to 79 work-hours × $85 per hour = Up to $6,715."


def test_french_report_ruled_tables() -> None:
    path = LAYOUTS / "pdfplumber__chelsea_pdta-65pp-french-report.pdf"
    (table,) = _tables(path, 32)
    assert table.header[:3] == ["Totalement en accord", "En accord", "En désaccord"]
    assert table.header[3:] == ["Totalement en désaccord", "Total"]
    assert table.rows == [["157", "60", "16", "14", "247"]]
    tables = _tables(path, 59)
    assert any(
        t.header[:3] == ["Synthèse de résultats", "Toujours", "Souvent"] and len(t.rows) == 6 for t in tables
    )


def test_gao_side_headings_are_not_a_table_but_its_tables_are() -> None:
    path = LAYOUTS / "gao-06-1046-grants-management-2006.pdf"
    assert _tables(path, 51) == []  # side headings beside text between page-wide rules
    assert _tables(path, 2) == []  # contents page between rules
    (table,) = _tables(path, 23)
    assert table.caption is not None and table.caption.startswith("Table 2:")
    assert [row[0] for row in table.rows] == ["Congress", "Grantor", "Grantee"]
    assert table.source == "Source: GAO."


@pytest.mark.parametrize("path", LAYOUT_FILES, ids=lambda p: p.name)
def test_layouts_do_not_crash(path: Path) -> None:
    """Every page of every layout file (about 8 s in all): tables, if any, are rectangular."""
    with pdfplumber.open(path) as pdf:
        for index in range(len(pdf.pages)):
            page = pdf.pages[index]
            try:
                for table in find_tables(page):
                    assert table.header and table.rows
                    assert all(len(row) == len(table.header) for row in [*table.header_rows, *table.rows])
            finally:
                page.close()
