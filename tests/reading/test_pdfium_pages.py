"""Page content read through PDFium agrees with what pdfminer (through pdfplumber) reads.

Real files: pages of the shared corpus, and small PDFs made here with reportlab for one
feature each (scaled and turned text, a raised marker, strokes of every kind, a Form XObject,
a turned page with its MediaBox off the origin, a picture). Also the reader's two backends.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pipeline.config import Config, ReadingSettings
from pipeline.document import Status
from pipeline.reading import reader
from pipeline.reading.content import PageContent, from_pdfplumber
from pipeline.reading.opening import text_layer_report
from pipeline.reading.pdfium_pages import PdfiumPages
from pipeline.reading.reader import read_pdf
from pipeline.reading.words import page_words

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"corpus file not found: {path}")
    return path


def _both(path: Path, index: int = 0) -> tuple[PageContent, PageContent]:
    """(pdfminer's content, PDFium's content) of one page."""
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[index]
        try:
            expected = from_pdfplumber(page)
        finally:
            page.close()
    with PdfiumPages(path) as pages:
        return expected, pages.content(index)


def _visible(content: PageContent) -> list[dict]:
    return [c for c in content.chars if c["text"].strip()]


def _assert_same_chars(expected: PageContent, got: PageContent, x_slack: float = 0.6) -> None:
    """Same visible characters in the same order, boxes within ``x_slack`` across, 0.05 up and down.

    Across, the two libraries add up advance widths a little differently along a line.
    """
    a, b = _visible(expected), _visible(got)
    assert [c["text"] for c in a] == [c["text"] for c in b]
    for ca, cb in zip(a, b, strict=True):
        assert abs(ca["x0"] - cb["x0"]) <= x_slack and abs(ca["x1"] - cb["x1"]) <= x_slack, (ca, cb)
        for key in ("top", "bottom", "size"):
            assert abs(ca[key] - cb[key]) <= 0.05, (key, ca, cb)
        assert ca["upright"] == cb["upright"]


def _boxes(objects: list[dict]) -> Counter[tuple[float, ...]]:
    return Counter(tuple(round(o[k], 1) for k in ("x0", "top", "x1", "bottom")) for o in objects)


def _make(tmp_path: Path, draw: Callable[[canvas.Canvas], None], name: str = "made.pdf") -> Path:
    path = tmp_path / name
    sheet = canvas.Canvas(str(path), pagesize=A4)
    draw(sheet)
    sheet.showPage()
    sheet.save()
    return path


def _draw_turned(sheet: canvas.Canvas, x: float, y: float, angle: int, lines: list[str]) -> None:
    """``lines`` drawn from (x, y) turned ``angle`` degrees anticlockwise, 16 pt apart."""
    sheet.saveState()
    sheet.translate(x, y)
    sheet.rotate(angle)
    for n, line in enumerate(lines):
        sheet.drawString(0, -16 * n, line)
    sheet.restoreState()


# --------------------------------------------------------------------------- the corpus


@pytest.mark.parametrize(("name", "index"), [("neighborhood-2col.pdf", 3), ("neighborhood-1col.pdf", 5)])
def test_report_page_characters_match_pdfminer(name: str, index: int) -> None:
    """TeX ligatures come back as one character, line-end hyphens as "-", boxes as pdfminer's."""
    expected, got = _both(_need(CORPUS / name), index)
    assert (got.width, got.height) == pytest.approx((expected.width, expected.height))
    _assert_same_chars(expected, got)
    fonts = {c["fontname"] for c in _visible(got)}  # PDFium leaves out the subset prefix
    assert fonts == {c["fontname"].split("+")[-1] for c in _visible(expected)}


def test_report_table_page_strokes_match_pdfminer() -> None:
    expected, got = _both(_need(CORPUS / "neighborhood-2col.pdf"), 10)
    for kind in ("lines", "rects", "curves"):
        assert _boxes(getattr(got, kind)) == _boxes(getattr(expected, kind)), kind
    assert got.lines or got.rects
    edges = Counter((e["orientation"], round(e["x0"], 1), round(e["top"], 1)) for e in got.edges)
    assert edges == Counter((e["orientation"], round(e["x0"], 1), round(e["top"], 1)) for e in expected.edges)


def test_report_words_match_pdfminer() -> None:
    """The word extractor cuts both backends' characters into the same words."""
    settings = ReadingSettings()
    path = _need(CORPUS / "neighborhood-2col.pdf")
    with pdfplumber.open(path) as pdf, PdfiumPages(path) as pages:
        for index in (0, 3, 10, 20):
            page = pdf.pages[index]
            expected = Counter(w.text for w in page_words(from_pdfplumber(page), settings))
            page.close()
            got = Counter(w.text for w in page_words(pages.content(index), settings))
            assert got == expected, index


def test_turned_page_is_framed_like_pdfplumber() -> None:
    """/Rotate 90: the page is measured as shown, and its text is not upright."""
    path = _need(SHARED / "layouts" / "pdfplumber__nics-background-checks-2015-11-rotated.pdf")
    expected, got = _both(path)
    assert (got.width, got.height) == pytest.approx((expected.width, expected.height))
    a, b = _visible(expected), _visible(got)
    assert len(b) >= 0.99 * len(a) and not any(c["upright"] for c in b)

    def places(chars: list[dict]) -> Counter[tuple[str, int, int]]:
        return Counter((c["text"], round(c["x0"]), round(c["bottom"] / 2)) for c in chars)

    assert sum((places(a) & places(b)).values()) > 0.9 * len(a)
    assert sum((_boxes(expected.lines) & _boxes(got.lines)).values()) == len(expected.lines)


def test_a_landscape_page_shown_sideways_is_read_as_its_upright_twin() -> None:
    """The same table, once on a landscape page and once on that page given /Rotate 90 (so its
    text runs down the page as shown): read turned, the same words, blocks and table, and its
    boxes on the page as shown."""
    upright = read_pdf(_need(SHARED / "layouts" / "pdfplumber__nics-background-checks-2015-11.pdf"))
    path = _need(SHARED / "layouts" / "pdfplumber__nics-background-checks-2015-11-rotated.pdf")
    turned = read_pdf(path)
    assert upright.turned == {} and turned.turned == {1: 270}
    as_shown = read_pdf(path, ReadingSettings(turn_sideways_pages=False))  # the setting switches it off
    assert as_shown.turned == {} and as_shown.blocks == [] and as_shown.tables == []
    assert [b.text for b in turned.blocks] == [b.text for b in upright.blocks] != []
    assert [(t.header, t.rows) for t in turned.tables] == [(t.header, t.rows) for t in upright.tables] != []
    # the title is printed along the right-hand edge of the page as shown, reading downwards
    with pdfplumber.open(path) as pdf:
        width, height = pdf.pages[0].width, pdf.pages[0].height
    x0, top, x1, bottom = turned.blocks[0].bbox
    assert (width, height) == (612, 1008) and x0 > width / 2 and bottom - top > 5 * (x1 - x0)
    with pdfplumber.open(path) as pdf:
        chars = pdf.pages[0].chars
        text = "".join(c["text"] for c in chars)
        title = chars[text.index("NICS Firearm") : text.index("NICS Firearm") + len("NICS Firearm")]
    assert all(x0 - 1 <= c["x0"] <= x1 + 1 and top - 1 <= c["top"] <= bottom + 1 for c in title)


@pytest.mark.parametrize(("angle", "turn"), [(90, 90), (-90, 270)])
def test_text_printed_sideways_on_an_upright_page_is_read_turned(
    tmp_path: Path, angle: int, turn: int
) -> None:
    """Text running up the page is read with the page turned a quarter clockwise, text running
    down it a quarter anticlockwise (270°)."""
    lines = [
        "The United States funded a community policing program in Honduras.",
        "Its second phase trained officers in three cities from 2012 to 2015.",
        "Colombia shared its experience through a triangular cooperation program.",
    ]

    def draw(sheet: canvas.Canvas) -> None:
        sheet.setFont("Helvetica", 11)
        sheet.drawString(72, 800, "Annex")  # an upright heading does not stop the page turning
        _draw_turned(sheet, 300 if angle > 0 else 200, 150 if angle > 0 else 700, angle, lines)

    path = _make(tmp_path, draw)
    with PdfiumPages(path) as pages:
        content = pages.upright_content(0)
        assert content.turn == turn and pages.content(0).turn == 0
        # the paragraph stands upright now; the upright heading is what runs sideways
        assert sum(not c["upright"] for c in _visible(content)) == len("Annex")
    document = read_pdf(path)
    assert document.turned == {1: turn}
    assert " ".join(lines) in " ".join(b.text for b in document.blocks)
    # every box is on the A4 page as shown, and the paragraph's is tall and narrow there
    width, height = A4
    boxes = [f.bbox for b in document.blocks for f in b.fragments]
    assert all(-1 <= x0 <= x1 <= width + 1 and -1 <= t <= b <= height + 1 for x0, t, x1, b in boxes)
    x0, top, x1, bottom = max((b.bbox for b in document.blocks), key=lambda box: box[3] - box[1])
    assert bottom - top > 5 * (x1 - x0)


def test_a_page_with_a_sideways_label_is_not_turned(tmp_path: Path) -> None:
    def draw(sheet: canvas.Canvas) -> None:
        sheet.setFont("Helvetica", 11)
        for n in range(20):
            sheet.drawString(72, 780 - 14 * n, f"Line {n} of the report's body text, set upright as usual.")
        _draw_turned(sheet, 560, 300, 90, ["A label printed sideways in the margin"])

    path = _make(tmp_path, draw)
    with PdfiumPages(path) as pages:
        assert pages.upright_content(0).turn == 0
    assert read_pdf(path).turned == {}


SCANS = ["neighborhood-scanned-p1-4.pdf", "camelot__image-scanned-no-text-layer.pdf"]


@pytest.mark.parametrize("name", SCANS)
def test_scanned_pages_have_pictures_and_no_text(name: str) -> None:
    with PdfiumPages(_need(SHARED / "bad" / name)) as pages:
        infos = [text_layer_report(pages.content(i)) for i in range(len(pages))]
    assert infos and all(info.needs_ocr for info in infos)


def test_garbled_font_is_still_measured() -> None:
    """PDFium gives the same garbage for the broken heading font as pdfminer does."""
    path = _need(SHARED / "bad" / "camelot-tabula__argentina_diputados_voting_record.pdf")
    with PdfiumPages(path) as pages:
        info = text_layer_report(pages.content(0))
    assert info.worst_font == "Edwardian-Script-ITC" and info.worst_font_share > 0.7


def test_password_opens_with_pdfium() -> None:
    with PdfiumPages(_need(SHARED / "bad" / "neighborhood-encrypted.pdf"), password="secret") as pages:
        assert len(pages) == 35 and _visible(pages.content(0))


# --------------------------------------------------------------------------- files made here


def test_scaled_turned_and_raised_text(tmp_path: Path) -> None:
    def draw(sheet: canvas.Canvas) -> None:
        sheet.setFont("Helvetica", 10)
        sheet.drawString(72, 760, "Plain words")
        sheet.saveState()
        sheet.translate(72, 700)
        sheet.scale(2, 2)
        sheet.drawString(0, 0, "Scaled")
        sheet.restoreState()
        text = sheet.beginText(72, 640)
        text.setFont("Times-Roman", 12)
        text.textOut("Year 2009")
        text.setRise(4)
        text.setFont("Times-Roman", 7)
        text.textOut("43")
        sheet.drawText(text)
        _draw_turned(sheet, 400, 500, 90, ["Turned"])

    path = _make(tmp_path, draw)
    expected, got = _both(path)
    by_text: dict[str, dict] = {}
    for char in _visible(got):
        by_text.setdefault(char["text"], char)
    assert by_text["S"]["size"] == pytest.approx(20.0)  # the text matrix doubles the 10 pt font
    assert by_text["4"]["bottom"] < by_text["Y"]["bottom"] - 3  # the marker is raised
    assert not by_text["u"]["upright"] and by_text["P"]["upright"]
    upright = [c for c in expected.chars if c["upright"]]
    assert [c["text"] for c in upright] == [c["text"] for c in got.chars if c["upright"]]
    for ca, cb in zip(upright, [c for c in got.chars if c["upright"]], strict=True):
        for key in ("x0", "x1", "top", "bottom", "size"):
            assert ca[key] == pytest.approx(cb[key], abs=0.01), key
    words = [w.text for w in page_words(got, ReadingSettings())]
    assert words[:3] == ["Plain", "words", "Scaled"] and "43" in words and "Turned" not in words


def test_strokes_of_every_kind(tmp_path: Path) -> None:
    """Lines, outlined and filled rectangles, hairline fills, polygons and Bézier curves."""

    def draw(sheet: canvas.Canvas) -> None:
        sheet.setLineWidth(2)
        sheet.line(72, 700, 300, 700)
        sheet.line(320, 600, 320, 700)
        sheet.rect(72, 600, 100, 50, fill=0)
        sheet.rect(200, 600, 100, 0.5, fill=1, stroke=0)
        path = sheet.beginPath()
        path.moveTo(72, 500)
        path.lineTo(150, 520)
        path.curveTo(160, 530, 170, 510, 180, 500)
        sheet.drawPath(path)
        grid = sheet.beginPath()  # two boxes in one path: pdfminer paints each subpath
        grid.rect(72, 400, 50, 20)
        grid.rect(122, 400, 50, 20)
        sheet.drawPath(grid)

    expected, got = _both(_make(tmp_path, draw))
    for kind in ("lines", "rects", "curves"):
        assert _boxes(getattr(got, kind)) == _boxes(getattr(expected, kind)), kind
    assert (len(got.lines), len(got.rects), len(got.curves)) == (2, 4, 1)
    assert [tuple(map(round, p)) for p in got.curves[0]["pts"]] == [
        tuple(map(round, p)) for p in expected.curves[0]["pts"]
    ]
    level = next(line for line in got.lines if line["width"] > 100)
    assert level["top"] == level["bottom"]  # so pdfplumber's edges call it horizontal


def test_form_xobject_content_is_placed_on_the_page(tmp_path: Path) -> None:
    def draw(sheet: canvas.Canvas) -> None:
        sheet.beginForm("box")
        sheet.rect(0, 0, 80, 30)
        sheet.setFont("Helvetica", 9)
        sheet.drawString(5, 10, "Inside")
        sheet.endForm()
        for y in (700, 500):
            sheet.saveState()
            sheet.translate(100, y)
            sheet.doForm("box")
            sheet.restoreState()

    expected, got = _both(_make(tmp_path, draw))
    assert _boxes(got.rects) == _boxes(expected.rects) and len(got.rects) == 2
    _assert_same_chars(expected, got, x_slack=0.05)


def test_turned_page_with_offset_media_box(tmp_path: Path) -> None:
    """pdfplumber's frame for /Rotate 90 with the MediaBox corner away from the origin."""

    def draw(sheet: canvas.Canvas) -> None:
        sheet.setPageRotation(90)
        sheet.setFont("Helvetica", 10)
        sheet.drawString(100, 700, "Turned page")
        sheet.line(100, 690, 300, 690)

    path = _make(tmp_path, draw)
    box = b"/MediaBox [ 0 0 841.8898 595.2756 ]"
    data = path.read_bytes().replace(box, b"/MediaBox [ 20 30 861.8898 625.2756 ]")
    assert b"/MediaBox [ 20 30" in data
    path.write_bytes(data)
    expected, got = _both(path)
    assert (got.width, got.height) == pytest.approx((expected.width, expected.height))
    a, b = _visible(expected), _visible(got)
    assert [c["text"] for c in a] == [c["text"] for c in b]
    for ca, cb in zip(a, b, strict=True):  # turned text: PDFium's box is a little fuller, same place
        assert not ca["upright"] and not cb["upright"]
        assert abs((ca["x0"] + ca["x1"]) - (cb["x0"] + cb["x1"])) / 2 < 1.5
        assert abs((ca["top"] + ca["bottom"]) - (cb["top"] + cb["bottom"])) / 2 < 0.5
    assert _boxes(got.lines) == _boxes(expected.lines)


def test_picture_marks_the_page(tmp_path: Path) -> None:
    from reportlab.lib.utils import ImageReader

    pil = pytest.importorskip("PIL.Image")
    picture = tmp_path / "dot.png"
    pil.new("L", (4, 4), 128).save(picture)

    def draw(sheet: canvas.Canvas) -> None:
        sheet.drawImage(ImageReader(str(picture)), 72, 600, 40, 40)

    expected, got = _both(_make(tmp_path, draw))
    assert expected.has_images and got.has_images and not got.chars


# --------------------------------------------------------------------------- the reader's backends


def test_backend_setting_is_checked() -> None:
    assert Config().reading.backend == "pdfium"
    assert Config().override("reading.backend=pdfminer").reading.backend == "pdfminer"
    with pytest.raises(ValueError, match="backend"):
        Config().override("reading.backend=pdfbox")


def test_pdfminer_backend_reads_the_report_alike() -> None:
    """The old path still works and reads the report as the default one does."""
    path = _need(CORPUS / "neighborhood-2col.pdf")
    slow = read_pdf(path, Config().override("reading.backend=pdfminer").reading)
    fast = read_pdf(path)
    for document in (slow, fast):
        assert document.status == Status.SUCCESS, document.errors
        assert len(document.footnotes) == 253 and len(document.tables) == 3
    assert [t.rows for t in slow.tables] == [t.rows for t in fast.tables]
    words = [re.findall(r"\w+", " ".join(b.text for b in d.blocks)) for d in (slow, fast)]
    assert words[0] == words[1]


def test_page_pdfium_cannot_read_is_read_by_pdfminer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = tmp_path / "two.pdf"
    sheet = canvas.Canvas(str(pdf))
    for text in ("First page of the report.", "Second page of the report."):
        sheet.setFont("Helvetica", 11)
        sheet.drawString(72, 700, text)
        sheet.showPage()
    sheet.save()
    real = PdfiumPages.content

    def failing(self: PdfiumPages, index: int) -> PageContent:
        if index == 1:
            raise RuntimeError("PDFium could not load this page")
        return real(self, index)

    monkeypatch.setattr(reader.PdfiumPages, "content", failing)
    document = read_pdf(pdf)
    assert document.status == Status.SUCCESS, document.errors
    text = " ".join(b.text for b in document.blocks)
    assert "First page" in text and "Second page" in text


def test_documents_read_in_threads_at_once(tmp_path: Path) -> None:
    """PDFium is not thread-safe: threads (a Dask worker's) take turns inside it."""
    from concurrent.futures import ThreadPoolExecutor

    paths = []
    for n in range(4):
        path = tmp_path / f"doc{n}.pdf"
        sheet = canvas.Canvas(str(path))
        for page in range(3):
            sheet.setFont("Times-Roman", 11)
            for row in range(30):
                sheet.drawString(72, 740 - 14 * row, f"Document {n} page {page} line {row} on security.")
            sheet.showPage()
        sheet.save()
        paths.append(path)
    with ThreadPoolExecutor(4) as pool:
        documents = list(pool.map(read_pdf, paths * 2))
    for n, document in enumerate(documents):
        assert document.status == Status.SUCCESS, document.errors
        assert f"Document {n % 4} page 2 line 29" in " ".join(b.text for b in document.blocks)
