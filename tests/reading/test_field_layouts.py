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
