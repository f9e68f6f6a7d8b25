"""The reading stage measured against the truth files of both renderings of the report."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from pipeline.document import Document, Status
from pipeline.reading.reader import read_pdf

RENDERINGS = ["neighborhood-2col", "neighborhood-1col"]
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def words(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


def ratio(a: list[str], b: list[str]) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@pytest.fixture(scope="module")
def truth(shared_dir: Path) -> dict:
    folder = shared_dir / "corpus" / "truth" / "neighborhood"
    return {
        "body": [json.loads(line) for line in (folder / "body.jsonl").open(encoding="utf-8")],
        "notes": {
            (n := json.loads(line))["n"]: n["text"]
            for line in (folder / "footnotes.jsonl").open(encoding="utf-8")
        },
        "tables": json.loads((folder / "tables.json").read_text(encoding="utf-8")),
    }


@pytest.fixture(scope="module", params=RENDERINGS)
def document(request: pytest.FixtureRequest) -> Document:
    return read_pdf(CORPUS / f"{request.param}.pdf")


def test_reads_without_problems(document: Document) -> None:
    assert document.status == Status.SUCCESS, document.errors
    assert document.sha256 and document.pages in (35, 65)


def test_body_text_in_reading_order(document: Document, truth: dict) -> None:
    expected = [w for block in truth["body"] for w in words(block["text"])]
    got = [w for block in document.blocks for w in words(block.text)]
    assert ratio(expected, got) >= 0.99


def test_every_footnote_found_with_its_text(document: Document, truth: dict) -> None:
    notes = {note.n: note.text for note in document.footnotes}
    assert sorted(notes) == sorted(truth["notes"]) == list(range(1, 254))
    poor = [n for n, text in truth["notes"].items() if ratio(words(text), words(notes[n])) < 0.98]
    assert poor == []


def test_body_markers_linked_to_their_notes(document: Document, truth: dict) -> None:
    expected = Counter(n for block in truth["body"] for n in block["notes"])
    got = Counter(n for block in document.blocks for n in block.notes)
    assert sum((expected & got).values()) >= 0.98 * sum(expected.values())
    by_number = {note.n: note for note in document.footnotes}
    for index, block in enumerate(document.blocks):
        for n in block.notes:
            assert index in by_number[n].referenced_by
    # "2009⁴³": the year stays a year, the marker becomes note 43
    cited = next(b for b in document.blocks if 43 in b.notes)
    offset = cited.note_offsets[cited.notes.index(43)]
    assert cited.text[:offset].endswith("2009")


def test_tables_cell_for_cell(document: Document, truth: dict) -> None:
    assert len(document.tables) == 3
    for got, expected in zip(document.tables, truth["tables"], strict=True):
        assert got.caption == expected["caption"]
        assert got.header == expected["header"]
        assert got.rows == expected["rows"]
    table_cells = {cell for t in document.tables for row in t.rows for cell in row[1:]}
    # table cells are not mixed into the prose: no body block is a run of table numbers
    for block in document.blocks:
        tokens = block.text.split()
        assert not (len(tokens) > 5 and all(t in table_cells for t in tokens))


def test_no_running_header_or_page_number_in_body(document: Document) -> None:
    furniture = {re.sub(r"\d+", "#", f.text) for f in document.furniture}
    assert any(f.kind == "page_number" for f in document.furniture)
    assert len({f.page for f in document.furniture}) >= 0.8 * document.pages
    for block in document.blocks:
        assert re.sub(r"\d+", "#", block.text) not in furniture
        assert not re.fullmatch(r"(Page\s*)?\d{1,3}", block.text)


def test_offsets_trace_spans_to_pages_and_boxes(document: Document) -> None:
    for unit in [*document.blocks, *document.footnotes]:
        assert document.text[unit.start : unit.end] == unit.text
    block = next(b for b in document.blocks if "Mérida Initiative" in b.text and b.page > 5)
    start = block.start + block.text.index("Mérida Initiative")
    places = document.locate(start, start + len("Mérida Initiative"))
    assert places and all(page in block.pages for page, _ in places)
    _, (x0, top, x1, bottom) = places[0]
    assert 0 <= x0 < x1 and 0 <= top < bottom


def test_paragraphs_are_whole_across_breaks_figures_and_italic_lines(document: Document) -> None:
    """A paragraph cut by a page or column break (with a photo, its caption and credit in the
    gap) or by a line set wholly in italics is one block: none ends mid-sentence. The back
    cover's address lines are the only unfinished text."""
    last = max(b.page for b in document.blocks)
    unfinished = [
        b.text[-60:]
        for b in document.blocks
        if b.kind == "paragraph" and b.page < last and not re.search(r"[.!?:;”\"’)\]]\s*$", b.text.strip())
    ]
    assert unfinished == []


def test_hyphenation_and_words(document: Document) -> None:
    text = " ".join(b.text for b in document.blocks)
    assert "modalities" in text and "modali- ties" not in text
    assert "co-exist" in text
    assert "counter-narcotics" in text


def test_three_column_page_is_read_column_by_column(shared_dir: Path) -> None:
    document = read_pdf(shared_dir / "corpus" / "layouts" / "pdfplumber__federal-register-2020-17221.pdf")
    assert document.status != Status.FAILURE
    for page in range(2, 5):
        starts = [b.column for b in document.blocks if b.page == page and b.kind == "paragraph"]
        assert len(set(starts)) == 3, f"page {page} should have three columns"
        assert starts == sorted(starts), f"page {page} is not read column by column: {starts}"


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in (Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "layouts").glob("*.pdf")
    ),
)
def test_layouts_parse_without_error(shared_dir: Path, name: str) -> None:
    document = read_pdf(shared_dir / "corpus" / "layouts" / name)
    assert document.status != Status.FAILURE, document.errors
    assert not any(e.code == "E199" for e in document.errors)


def test_parse_memory_stays_flat_on_300_pages(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "long.pdf"
    sheet = canvas.Canvas(str(pdf), pagesize=A4)
    lorem = "Cooperation for citizen security grew across the region with new programs and funds. " * 2
    for number in range(1, 301):
        sheet.setFont("Helvetica", 8)
        sheet.drawString(280, 20, str(number))
        sheet.drawString(60, 810, "A running header")
        sheet.setFont("Times-Roman", 10)
        for row in range(60):
            sheet.drawString(60, 780 - row * 12, lorem[(row * 7) % 40 :][:95])
        sheet.showPage()
    sheet.save()
    # VmHWM is this process's own peak; ru_maxrss would carry the forking parent's over exec
    script = (
        "import re; from pipeline.reading.reader import read_pdf; "
        f"d = read_pdf({str(pdf)!r}); "
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
        "print(d.status.value, d.pages, len(d.blocks), hwm)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    status, pages, blocks, peak_kb = out[0], int(out[1]), int(out[2]), int(out[3])
    assert status == "success" and pages == 300 and blocks > 0
    assert peak_kb / 1024 < 300, f"peak memory {peak_kb / 1024:.0f} MB"


def test_doubled_characters_removed_but_double_letters_kept(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "bold.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.setFont("Helvetica", 6)  # "ll" 1.3 pt apart: near the 1 pt doubling tolerance
    for step in range(5):  # at several sub-point offsets, so no rounding luck hides a merge
        sheet.drawString(72 + step * 0.2, 700 - step * 20, "Spending of $3 million will follow.")
    for dx in (0.0, 0.3):  # fake bold: the same heading printed twice, a hair apart
        sheet.setFont("Helvetica", 14)
        sheet.drawString(72 + dx, 740, "Assistance")
    sheet.save()
    text = " ".join(b.text for b in read_pdf(pdf).blocks)
    assert "Assistance" in text and "AAssistance" not in text and "Asssistance" not in text
    assert text.count("million will") == 5


def _two_column_page(pdf: Path, left: list[str], right: list[str]) -> Path:
    """A page of two text columns, one line per string, 12 pt apart, top-aligned."""
    from reportlab.pdfgen import canvas

    sheet = canvas.Canvas(str(pdf))
    sheet.setFont("Helvetica", 10)
    for x, lines in ((60, left), (320, right)):
        for n, line in enumerate(lines):
            sheet.drawString(x, 760 - 12 * n, line)
    sheet.save()
    return pdf


FILLER = [
    "Donors have long supported police reform in the",
    "region, with programs of training and equipment",
    "that reach many cities and rural areas alike, and",
    "with a growing share of prevention among them.",
] * 12


def test_an_enumeration_run_inline_after_a_column_break_continues_its_paragraph(tmp_path: Path) -> None:
    left = [*FILLER, "The strategy is overseen by three offices that", "manage implementation:"]
    right = [
        "(i) the Alpha Committee against Crime (ACC); (ii)",
        "the Beta Commission; and (iii) the Gamma Group.",
        "",
        *FILLER,
    ]
    document = read_pdf(_two_column_page(tmp_path / "inline.pdf", left, right))
    block = next(b for b in document.blocks if "manage implementation" in b.text)
    assert block.kind == "paragraph"
    assert "implementation: (i) the Alpha Committee" in block.text
    assert block.text.rstrip().endswith("the Gamma Group.")


def test_an_item_of_a_list_set_line_by_line_is_its_own_block(tmp_path: Path) -> None:
    items = ["(i) to train the police forces of the region;", "(ii) to equip them."]
    left = [*FILLER, "The strategy has two aims:", *items]
    document = read_pdf(_two_column_page(tmp_path / "list.pdf", left, FILLER))
    assert [b.text for b in document.blocks if b.kind == "list_item"] == items


def test_runs_of_italics_are_kept_with_their_blocks_and_sentences(tmp_path: Path) -> None:
    """Reports set titles in italics: the run is read across a line break, without the comma
    or brackets its words carry, and each sentence knows the runs inside it."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    from pipeline.nlp.sentences import split_sentences

    lines = [
        [("Helvetica", "In 2011 the donors agreed to fund the "), ("Helvetica-Oblique", "Safe Streets")],
        [("Helvetica-Oblique", "Initiative,"), ("Helvetica", " which trains police in three cities.")],
        [
            ("Helvetica", "Critics called the effort a "),
            ("Helvetica-Oblique", "tour de force"),
            ("Helvetica", ", a local ("),  # an upright bracket glued to an italic word: still italic
            ("Helvetica-Oblique", "plan de barrio"),
            ("Helvetica", ")."),
        ],
    ]
    pdf = tmp_path / "italics.pdf"
    sheet = canvas.Canvas(str(pdf))
    for n, pieces in enumerate(lines):
        x = 72.0
        for font, text in pieces:
            sheet.setFont(font, 10)
            sheet.drawString(x, 700 - 12 * n, text)
            x += stringWidth(text, font, 10)
    sheet.save()
    document = read_pdf(pdf)
    runs = [b.text[s:e] for b in document.blocks for s, e in b.emphasis]
    assert runs == ["Safe Streets Initiative", "tour de force", "plan de barrio"]
    sentences = [s for s in split_sentences(document) if s.block is not None]
    assert [[s.text[a:b] for a, b in s.emphasis] for s in sentences] == [
        ["Safe Streets Initiative"],
        ["tour de force", "plan de barrio"],
    ]
