"""Reading measured on the field reports: other typesetters, other layouts than the seed report.

Each report in ``shared/corpus/field/pdf`` is compared with the text it was typeset from
(``field/text``): words in reading order (blocks, then notes), every note found and every
marker linked to its note, running headers and page numbers out of the body. The layouts
behind them are also built small here (two columns under a full-width title with notes across
the page's foot, a note number on a line of its own, hanging bullets), so a failure says which
piece of layout reasoning broke.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from pipeline.document import Document, Status
from pipeline.reading.blocks import assemble
from pipeline.reading.layout import Line
from pipeline.reading.reader import read_pdf
from pipeline.reading.words import Word

from .measure import Score, read_truth, score

FIELD = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "field"
REPORTS = sorted(p.stem for p in (FIELD / "pdf").glob("*.pdf"))
BAR = 0.99


@pytest.fixture(scope="session")
def field_documents(shared_dir: Path) -> dict[str, Document]:
    """Every field report parsed once per session (a few seconds for all nine)."""
    return {name: read_pdf(shared_dir / "corpus" / "field" / "pdf" / f"{name}.pdf") for name in REPORTS}


@pytest.fixture(scope="session")
def field_scores(field_documents: dict[str, Document], shared_dir: Path) -> dict[str, Score]:
    folder = shared_dir / "corpus" / "field" / "text"
    return {name: score(doc, read_truth(folder / f"{name}.txt")) for name, doc in field_documents.items()}


def test_all_nine_field_reports_are_there() -> None:
    assert len(REPORTS) == 9


@pytest.mark.parametrize("name", REPORTS)
def test_field_report_words_in_reading_order(name: str, field_scores: dict[str, Score]) -> None:
    result = field_scores[name]
    assert result.recall >= BAR and result.precision >= BAR, result.row()


@pytest.mark.parametrize("name", REPORTS)
def test_field_report_notes_found_and_linked(
    name: str, field_documents: dict[str, Document], field_scores: dict[str, Score]
) -> None:
    document, result = field_documents[name], field_scores[name]
    assert document.status == Status.SUCCESS, document.errors
    assert result.notes_found == result.notes_expected, result.row()
    assert result.markers_found == result.markers_linked == result.markers_expected, result.row()
    by_number = {note.n: note for note in document.footnotes}
    for index, block in enumerate(document.blocks):
        for n in block.notes:
            assert index in by_number[n].referenced_by


@pytest.mark.parametrize("name", REPORTS)
def test_field_report_running_headers_out_of_the_body(
    name: str, field_documents: dict[str, Document]
) -> None:
    document = field_documents[name]
    assert any(f.kind == "page_number" for f in document.furniture)
    furniture = {(f.page, f.text) for f in document.furniture}
    for block in document.blocks:
        assert (block.page, block.text) not in furniture
        assert not re.fullmatch(r"(Page\s*)?\d{1,3}(\s*of\s*\d{1,3})?", block.text.strip()), block.text


# --------------------------------------------------------------------------- layouts built small


LEFT = [f"alpha line {n} of the left column tells of the police" for n in range(36)]
RIGHT = [f"omega line {n} of the right column tells of courts" for n in range(36)]
NOTES = [
    "1 A statement of the ministry, archived with the date of the program and the names of the donors.",
    "2 The second statement of the ministry, with the dates of the program and the names of its offices.",
]


def _two_columns_with_notes_across(pdf: Path) -> Path:
    from reportlab.pdfgen import canvas

    sheet = canvas.Canvas(str(pdf))  # 612 × 792
    sheet.setFont("Helvetica-Bold", 18)
    sheet.drawString(60, 740, "A Report on the Cooperation Programs of the Region")
    sheet.drawString(60, 718, "Across Many Years and Many Countries")
    sheet.setFont("Helvetica", 10)
    for x, lines in ((60, LEFT), (320, RIGHT)):
        for n, line in enumerate(lines):
            sheet.drawString(x, 680 - 13 * n, line)
    sheet.setFont("Helvetica", 6)  # raised markers after the last word of two lines
    sheet.drawString(60 + sheet.stringWidth(LEFT[3], "Helvetica", 10) + 0.5, 680 - 13 * 3 + 4, "1")
    sheet.drawString(320 + sheet.stringWidth(RIGHT[5], "Helvetica", 10) + 0.5, 680 - 13 * 5 + 4, "2")
    sheet.line(60, 196, 552, 196)  # a full-width rule over notes set across both columns
    sheet.setFont("Helvetica", 8)
    for n, note in enumerate(NOTES):
        sheet.drawString(60, 184 - 11 * n, note)
    sheet.save()
    return pdf


def test_two_columns_under_a_full_width_title_are_read_column_by_column(tmp_path: Path) -> None:
    """A title and notes across the page do not hide the gutter between the columns."""
    document = read_pdf(_two_columns_with_notes_across(tmp_path / "two.pdf"))
    words = " ".join(b.text for b in document.blocks).split()
    alphas = [i for i, w in enumerate(words) if w == "alpha"]
    omegas = [i for i, w in enumerate(words) if w == "omega"]
    assert len(alphas) == len(omegas) == 36
    assert max(alphas) < min(omegas), "the columns' lines are interleaved"
    assert [n.n for n in document.footnotes] == [1, 2]
    assert document.footnotes[0].text.startswith("A statement of the ministry")
    assert [n for b in document.blocks for n in b.notes] == [1, 2]
    assert not document.errors


def test_a_note_number_on_its_own_line_above_its_text(tmp_path: Path) -> None:
    """A word processor wraps a note's long first word (an address) under its number."""
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "own-line.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.setFont("Times-Roman", 12)
    body = "The program was announced by the ministry in the spring"
    for n in range(30):
        sheet.drawString(72, 740 - 14 * n, f"{body} of year {2000 + n} with new funds.")
    sheet.setFont("Times-Roman", 7)
    sheet.drawString(
        72 + sheet.stringWidth(f"{body} of year 2002 with new funds.", "Times-Roman", 12), 716, "1"
    )
    sheet.line(72, 300, 190, 300)  # a short rule opens the notes, set at the body's size
    sheet.drawString(72, 284, "1")
    sheet.setFont("Times-Roman", 12)
    sheet.drawString(72, 272, "https://www.example.gov/briefing-room/statements-releases/2024/11/04/")
    sheet.drawString(72, 258, "fact-sheet-on-the-program/")
    sheet.save()
    document = read_pdf(pdf)
    assert [(n.n, n.text) for n in document.footnotes] == [
        (1, "https://www.example.gov/briefing-room/statements-releases/2024/11/04/fact-sheet-on-the-program/")
    ]
    assert [n for b in document.blocks for n in b.notes] == [1]
    assert not any("example.gov" in b.text for b in document.blocks)


def test_hanging_bullets_are_no_column(tmp_path: Path) -> None:
    """A list's bullets hang in a channel of their own: the bullet stays with its item."""
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "bullets.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.setFont("Helvetica", 10)
    y = 740
    for item in range(8):
        sheet.drawString(72, y, "•")
        for n in range(3):
            sheet.drawString(90, y, f"item {item} line {n} of the list of programs that the donors fund")
            y -= 13
        y -= 8
    sheet.save()
    document = read_pdf(pdf)
    items = [b.text for b in document.blocks if b.kind == "list_item"]
    assert len(items) == 8
    assert all(text.startswith("• item") for text in items)


def test_an_items_hanging_second_line_stays_with_it(tmp_path: Path) -> None:
    """An item's unfinished first line goes on in its hanging indent ("… for up to / 18,000
    civilian police …"), even when the next line returns to the bullet's margin."""
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "two-line-items.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.setFont("Helvetica", 10)
    y = 740
    for item in range(8):
        opening = f"• Training {item}: since 2021 the ministry provided professional training for up to"
        sheet.drawString(72, y, opening)
        sheet.drawString(84, y - 13, f"{18000 + item} civilian police across the region.")
        y -= 32
    sheet.save()
    items = [b.text for b in read_pdf(pdf).blocks]
    assert len(items) == 8
    assert all(t.startswith("• Training") and t.endswith("civilian police across the region.") for t in items)


def _line(words: list[str], top: float) -> Line:
    x = 72.0
    placed = []
    for text in words:
        placed.append(Word(text, x, top, x + 6 * len(text), top + 10, 10.0, "Times-Roman"))
        x += 6 * len(text) + 3
    return Line(placed, page=1)


@pytest.mark.parametrize("hyphen", ["-", "\u2010", "\u2011", "\u00ad"])
def test_a_word_broken_with_any_hyphen_is_joined(hyphen: str) -> None:
    lines = [_line(["to", "align", "U.S.", f"Gov{hyphen}"], 100), _line(["ernment", "efforts."], 112)]
    assert assemble(lines, Counter()).text == "to align U.S. Government efforts."


@pytest.mark.parametrize("hyphen", ["-", "\u2010"])
def test_a_compound_broken_at_its_own_hyphen_keeps_it(hyphen: str) -> None:
    lines = [_line(["These", f"state-of{hyphen}"], 100), _line(["the-art", "scanners"], 112)]
    assert assemble(lines, Counter()).text == "These state-of-the-art scanners"


@pytest.mark.parametrize("hyphen", ["\u2010", "\u00ad"])
def test_a_typeset_hyphen_breaking_an_address_is_no_part_of_it(hyphen: str) -> None:
    """Addresses hold ASCII hyphens only: a Unicode or soft hyphen at the break is the break's."""
    lines = [
        _line(["See", f"https://www.example.gov/remarks-by-the-presid{hyphen}"], 100),
        _line(["ent-of-peru/"], 112),
    ]
    assert assemble(lines, Counter()).text == "See https://www.example.gov/remarks-by-the-president-of-peru/"


def test_unresolved_markers_are_told_in_a_sentence(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "orphan.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.setFont("Times-Roman", 12)
    for n in range(20):
        sheet.drawString(
            72, 740 - 14 * n, f"The ministry reported progress on the program in year {2000 + n}."
        )
    sheet.setFont("Times-Roman", 7)
    width = sheet.stringWidth(
        "The ministry reported progress on the program in year 2003.", "Times-Roman", 12
    )
    sheet.drawString(72 + width, 702 + 4, "7")
    sheet.save()
    document = read_pdf(pdf)
    (warning,) = [e for e in document.errors if e.code == "W205"]
    assert "page 1" in warning.message and "debug-page" in warning.message
    assert not re.search(r"\d+, \d+", warning.message), "a list of numbers is no explanation"


# --------------------------------------------------------------------------- sidebars and kickers


def test_the_crs_sidebar_box_is_an_aside(field_documents: dict[str, Document]) -> None:
    """The shaded box on the CRS report's first page is kept as an aside, its note linked."""
    document = field_documents["crs-mexico-trade-2026"]
    sidebar = [a for a in document.asides if a.page == 1]
    assert [a.kind for a in sidebar] == ["heading", "paragraph"]
    assert sidebar[0].text == "Mexico's Economy" and sidebar[0].notes == [1]
    assert sidebar[1].text.startswith("Mexico has a population of 132 million people")
    assert not any("132 million" in b.text or b.text == "Mexico's Economy" for b in document.blocks)
    assert 1 in {n.n for n in document.footnotes}
    assert not any(e.code == "W205" for e in document.errors)


SIDEBAR = [f"sidebar line {n} says how the fund was spent on the training of the police" for n in range(8)]


def _page_with_a_box(pdf: Path, frame: str) -> Path:
    """Body text, then a box of running text (filled, or framed by four rules), then body text;
    and a figure's frame holding only a caption and a label around its picture."""
    from reportlab.pdfgen import canvas

    sheet = canvas.Canvas(str(pdf))  # 612 × 792
    sheet.setFont("Helvetica", 10)
    for n in range(10):
        sheet.drawString(72, 740 - 13 * n, f"body line {n} of the report on the programs of the region.")
    top, bottom = 596, 470
    if frame == "filled":
        sheet.setFillGray(0.92)
        sheet.roundRect(72, bottom, 468, top - bottom, 6, stroke=0, fill=1)
        sheet.setFillGray(0)
    else:
        for x0, y0, x1, y1 in ((72, top, 540, top), (72, bottom, 540, bottom)):
            sheet.line(x0, y0, x1, y1)
        for x in (72, 540):
            sheet.line(x, bottom, x, top)
    for n, line in enumerate(SIDEBAR):
        sheet.drawString(84, top - 18 - 13 * n, line)
    for n in range(6):
        sheet.drawString(72, 440 - 13 * n, f"after line {n} of the report on the programs of the region.")
    sheet.rect(72, 120, 300, 200)  # a figure's frame: a caption on top, a label far below
    sheet.drawString(80, 305, "Figure 1. Funds by year and country")
    sheet.drawString(80, 130, "Source: the ministry")
    sheet.save()
    return pdf


@pytest.mark.parametrize("frame", ["filled", "ruled"])
def test_a_box_of_running_text_is_an_aside(frame: str, tmp_path: Path) -> None:
    document = read_pdf(_page_with_a_box(tmp_path / f"{frame}.pdf", frame))
    aside = " ".join(a.text for a in document.asides)
    body = " ".join(b.text for b in document.blocks)
    assert aside.count("sidebar line") == 8
    assert "sidebar" not in body
    assert body.count("body line") == 10 and body.count("after line") == 6
    assert "Figure 1. Funds by year and country" in body  # a figure's frame holds no sidebar


@pytest.mark.parametrize(
    ("name", "kicker"),
    [
        ("crs-mexico-trade-2026", "CONGRESSIONAL RESEARCH SERVICE — IN FOCUS"),
        ("wh-mexico-hlsd-2022", "THE WHITE HOUSE — FACT SHEET"),
        ("wh-rootcauses-report-2022", "THE WHITE HOUSE"),
    ],
)
def test_a_kicker_above_the_title_is_no_heading(
    name: str, kicker: str, field_documents: dict[str, Document]
) -> None:
    document = field_documents[name]
    assert (1, kicker) in {(f.page, f.text) for f in document.furniture if f.kind == "header"}
    assert kicker not in {b.text for b in document.blocks}
    assert document.blocks[0].kind == "heading"
    assert document.title and document.title.startswith(document.blocks[0].text)


def test_a_label_over_a_title_is_a_kicker_and_a_subtitle_under_it_is_not(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "kicker.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.setFont("Helvetica", 8)
    sheet.drawString(72, 742, "MINISTRY OF SECURITY — POLICY BRIEF")
    sheet.setFont("Helvetica-Bold", 20)
    sheet.drawString(72, 716, "Police Reform in the Andes")
    sheet.setFont("Helvetica-Bold", 12)
    sheet.drawString(72, 694, "A Review of Ten Years")
    sheet.setFont("Helvetica", 10)
    for n in range(20):
        sheet.drawString(72, 660 - 13 * n, f"line {n} of the brief tells of the reform of the police forces.")
    sheet.save()
    document = read_pdf(pdf)
    assert [(f.kind, f.text) for f in document.furniture if f.kind == "header"] == [
        ("header", "MINISTRY OF SECURITY — POLICY BRIEF")
    ]
    assert [b.text for b in document.blocks[:2]] == ["Police Reform in the Andes", "A Review of Ten Years"]
    assert document.title == "Police Reform in the Andes"
