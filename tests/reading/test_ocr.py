"""Scanned pages read by OCR (Tesseract) through the same layout reader as born-digital text.

Image-only PDFs are made from the seed report's pages (drawn at 300 dpi, rebuilt with no text
layer) once per session; the words OCR reads are compared in order with the reading truth.
The fast tests OCR a page or three; the slow ones read eight pages of each rendering and the
scans in ``corpus/bad/``. Without the ``tesseract`` program they skip and say why, except
those that check what a run says when OCR is missing.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import ReadingSettings
from pipeline.document import Document, Status
from pipeline.reading import ocr
from pipeline.reading.reader import read_pdf

from ..pdfs import make_pdf
from .measure import Truth, normalized_words, read_truth, score, word_scores
from .scans import (
    body_recall,
    body_words,
    declare_language,
    image_only_pdf,
    truth_body_words,
    truth_window,
)

needs_tesseract = pytest.mark.skipif(
    not ocr.ocr_available(),
    reason="tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-spa tesseract-ocr-por)",
)
SEED_PAGES = list(range(1, 9))
TWO_COLUMN_FIELD = "wh-rootcauses-report-2022"
RECALL_BAR = 0.97

SPANISH = (
    "La cooperación internacional en materia de seguridad ciudadana en América Latina ha cambiado "
    "mucho durante la última década. Los gobiernos de la región ya no dependen solamente de la "
    "ayuda de los Estados Unidos y de Europa: hoy comparten sus propias experiencias de prevención "
    "de la violencia, de reforma policial y de justicia penal con los países vecinos. Colombia, por "
    "ejemplo, ha capacitado a miles de policías de Centroamérica y del Caribe, y México financia "
    "programas de desarrollo en Guatemala, Honduras y El Salvador. "
)
PORTUGUESE = (
    "A cooperação internacional em segurança cidadã na América Latina mudou bastante durante a "
    "última década. Os governos da região já não dependem apenas da ajuda dos Estados Unidos e da "
    "Europa: hoje partilham as suas próprias experiências de prevenção da violência, de reforma "
    "policial e de justiça criminal com os países vizinhos. O Brasil, por exemplo, apoia programas "
    "de policiamento comunitário em vários países e financia projetos de desenvolvimento social. "
)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def scan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scans")


@pytest.fixture(scope="session")
def truth_words(shared_dir: Path) -> list[str]:
    return truth_body_words(shared_dir / "corpus" / "truth" / "neighborhood")


def _report(shared_dir: Path, rendering: str) -> Path:
    return shared_dir / "corpus" / "reports" / f"neighborhood-{rendering}.pdf"


def _pages_copy(source: Path, out: Path, pages: list[int]) -> Path:
    """The born-digital pages alone (text layer kept), to find the stretch of truth they hold."""
    src = pdfium.PdfDocument(str(source))
    new = pdfium.PdfDocument.new()
    new.import_pages(src, [p - 1 for p in pages])
    new.save(str(out))
    new.close()
    src.close()
    return out


@dataclass
class SeedScan:
    document: Document
    """The image-only PDF of the rendering's first eight pages, read with OCR."""
    expected: list[str]
    """The truth's body words those pages hold."""
    notes: dict[int, str]
    """The notes the born-digital pages hold, by number."""


@pytest.fixture(scope="session")
def seed_scans(shared_dir: Path, scan_dir: Path, truth_words: list[str]) -> dict[str, SeedScan]:
    """Per rendering: its first eight pages scanned and OCR'd, and what the same pages hold."""
    if not ocr.ocr_available():
        pytest.skip("tesseract is not installed")
    made: dict[str, SeedScan] = {}
    for rendering in ("1col", "2col"):
        source = _report(shared_dir, rendering)
        scan = image_only_pdf(source, scan_dir / f"{rendering}-scan.pdf", SEED_PAGES)
        born = read_pdf(source, ReadingSettings(max_pages=len(SEED_PAGES), ocr="never"))
        notes = {n.n: n.text for n in born.footnotes}
        made[rendering] = SeedScan(read_pdf(scan), truth_window(truth_words, body_words(born)), notes)
    return made


@pytest.fixture(scope="session")
def two_column_field_scan(shared_dir: Path, scan_dir: Path) -> tuple[Document, Truth]:
    """The field report set in two columns with notes at the page foot, every page scanned."""
    if not ocr.ocr_available():
        pytest.skip("tesseract is not installed")
    source = shared_dir / "corpus" / "field" / "pdf" / f"{TWO_COLUMN_FIELD}.pdf"
    pages = len(pdfium.PdfDocument(str(source)))
    scan = image_only_pdf(source, scan_dir / f"{TWO_COLUMN_FIELD}-scan.pdf", list(range(1, pages + 1)))
    truth = read_truth(shared_dir / "corpus" / "field" / "text" / f"{TWO_COLUMN_FIELD}.txt")
    return read_pdf(scan), truth


@pytest.fixture(scope="session")
def one_page(
    shared_dir: Path, scan_dir: Path, truth_words: list[str]
) -> tuple[Document, Document, list[str]]:
    """Page 3 of the one-column rendering: born-digital, and OCR'd from its image (one OCR call)."""
    source = _report(shared_dir, "1col")
    born_pdf = _pages_copy(source, scan_dir / "1col-p3.pdf", [3])
    born = read_pdf(born_pdf, ReadingSettings(ocr="never"))
    scanned = read_pdf(image_only_pdf(source, scan_dir / "1col-p3-scan.pdf", [3]))
    return born, scanned, truth_window(truth_words, body_words(born))


def _language_pdf(path: Path, text: str, pages: int) -> Path:
    styles = getSampleStyleSheet()
    story = []
    for n in range(pages):
        story += [Paragraph(text * 3, styles["BodyText"])] + ([PageBreak()] if n < pages - 1 else [])
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


# ----------------------------------------------------------------------------- fast


@needs_tesseract
def test_a_scanned_page_is_read_with_its_words_in_order(
    one_page: tuple[Document, Document, list[str]],
) -> None:
    born, scanned, expected = one_page
    assert scanned.status == Status.SUCCESS, scanned.errors
    assert scanned.ocr_pages == [1]
    assert scanned.ocr[0].confidence >= 80 and scanned.ocr[0].words > 100
    recall, precision = body_recall(scanned, expected)
    assert recall >= RECALL_BAR and precision >= RECALL_BAR, (recall, precision)
    assert not born.ocr  # a page with a text layer is read as it always was


@needs_tesseract
def test_ocr_words_keep_their_page_boxes(one_page: tuple[Document, Document, list[str]]) -> None:
    """A span of OCR'd text locates to the same page and box as the same words born-digital."""
    born, scanned, _ = one_page
    compared = 0
    for block in born.blocks[:6]:
        phrase = " ".join(block.text.split()[:4])
        twin = next((b for b in scanned.blocks if phrase in b.text), None)
        if twin is None:
            continue
        at = twin.text.index(phrase)
        (page, box), *_ = scanned.locate(twin.start + at, twin.start + at + len(phrase))
        (born_page, born_box), *_ = born.locate(block.start, block.start + len(phrase))
        assert page == born_page
        assert all(abs(a - b) <= 3.0 for a, b in zip(box, born_box, strict=True)), (box, born_box)
        compared += 1
    assert compared >= 3


@needs_tesseract
def test_spanish_scan_is_read_in_spanish(scan_dir: Path) -> None:
    source = _language_pdf(scan_dir / "es.pdf", SPANISH, pages=2)
    scanned = read_pdf(image_only_pdf(source, scan_dir / "es-scan.pdf", [1, 2]))
    assert scanned.ocr_pages == [1, 2]
    assert scanned.ocr[-1].language.startswith("spa")  # detected from the first page's words
    text = " ".join(b.text for b in scanned.blocks)
    for word in ("cooperación", "prevención", "policías", "Centroamérica", "México"):
        assert word in text


@needs_tesseract
def test_a_scan_that_says_it_is_spanish_is_read_in_spanish_from_its_first_page(scan_dir: Path) -> None:
    """The catalog's /Lang decides the language before any word is read (a short scan gives
    the detector too few words)."""
    source = _language_pdf(scan_dir / "es-short.pdf", SPANISH[:300], pages=1)
    scan = declare_language(image_only_pdf(source, scan_dir / "es-short-scan.pdf", [1]), "es-MX")
    scanned = read_pdf(scan)
    assert [p.language for p in scanned.ocr] == ["spa+eng"]
    text = " ".join(b.text for b in scanned.blocks)
    assert "cooperación" in text and "última" in text


def test_without_the_engine_a_scan_keeps_e108_and_says_ocr_is_missing(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    document = read_pdf(shared_dir / "corpus" / "bad" / "neighborhood-scanned-p1-4.pdf")
    codes = [e.code for e in document.errors]
    assert document.status == Status.FAILURE and codes == ["E108", "W209"]
    assert "OCR is not installed" in document.errors[1].message
    assert "apt-get install tesseract-ocr" in document.errors[1].message


def test_ocr_never_reads_a_scan_as_before(shared_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["parse", str(shared_dir / "corpus" / "bad" / "neighborhood-scanned-p1-4.pdf"), "--ocr", "never"]
    )
    assert "failure" in result.output and "E108" in result.output and "W209" not in result.output


def test_a_born_digital_report_never_asks_the_engine_for_its_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asking starts a process: only a page OCR reads needs the answer
    def asked() -> frozenset[str]:
        raise AssertionError("Tesseract was asked for its languages")

    monkeypatch.setattr(ocr, "installed_languages", asked)
    pdf = make_pdf(tmp_path / "digital.pdf", ["The programme trains police officers in Honduras."])
    document = read_pdf(pdf)
    assert document.status == Status.SUCCESS and document.errors == [] and document.ocr == []


def test_ocr_mode_is_checked() -> None:
    with pytest.raises(ValueError, match=r"reading\.ocr"):
        ReadingSettings(ocr="sometimes")
    result = CliRunner().invoke(app, ["parse", "nothing.pdf", "--ocr", "sometimes"])
    assert result.exit_code != 0


def test_rules_drawn_in_an_image_are_found() -> None:
    """A footnote rule and a table rule in a page image become thin rectangles in points."""
    gray = np.full((1000, 800), 255, dtype=np.uint8)
    gray[700:702, 100:300] = 0  # a short rule, 2 px thick
    gray[100:400, 600:603] = 0  # a vertical rule
    gray[500:540, 100:700] = 0  # a filled bar: no rule
    gray[300:330, 100:130] = 0  # a letter-sized blot: no rule
    rules = ocr.image_rules(gray, sx=0.5, sy=0.5, page_height=500, resolution=150)
    boxes = sorted((r["x0"], r["top"], r["x1"], r["bottom"]) for r in rules)
    assert boxes == [(50.0, 350.0, 150.0, 351.0), (300.0, 50.0, 301.5, 200.0)]


# ----------------------------------------------------------------------------- slow


@needs_tesseract
@pytest.mark.slow
@pytest.mark.parametrize("rendering", ["1col", "2col"])
def test_seed_scans_body_recall(rendering: str, seed_scans: dict[str, SeedScan]) -> None:
    """Eight scanned pages of each rendering: body words in order against the truth."""
    document, expected = seed_scans[rendering].document, seed_scans[rendering].expected
    recall, _ = body_recall(document, expected)
    assert document.ocr_pages == SEED_PAGES
    assert recall >= RECALL_BAR, recall
    assert statistics.fmean(p.confidence for p in document.ocr) >= 85
    assert any(f.kind == "header" for f in document.furniture)  # running headers found on scans too


@needs_tesseract
@pytest.mark.slow
def test_notes_at_the_foot_of_two_column_scans_are_split_from_the_body(
    seed_scans: dict[str, SeedScan],
) -> None:
    """Each column's notes, under its short rule and in smaller type, are notes on a scan too."""
    seed = seed_scans["2col"]
    notes = {n.n: n.text for n in seed.document.footnotes}
    assert len(seed.notes) >= 30
    assert len(notes.keys() & seed.notes.keys()) >= 0.9 * len(seed.notes)
    expected = [w for n in sorted(seed.notes) for w in normalized_words(seed.notes[n])]
    got = [w for n in sorted(notes) for w in normalized_words(notes[n])]
    assert min(word_scores(expected, got)) >= RECALL_BAR
    _, precision = body_recall(seed.document, seed.expected)
    assert precision >= 0.99  # no note left in the body


@needs_tesseract
@pytest.mark.slow
def test_a_two_column_field_report_scanned(two_column_field_scan: tuple[Document, Truth]) -> None:
    """Columns under a full-width title, and notes across the page's foot, read from a scan."""
    document, truth = two_column_field_scan
    result = score(document, truth)
    assert document.ocr_pages == list(range(1, document.pages + 1))
    assert result.recall >= RECALL_BAR and result.precision >= RECALL_BAR, result.row()
    assert result.notes_found == result.notes_expected, result.row()
    assert any(f.kind == "page_number" for f in document.furniture)


def test_a_paragraph_sets_its_lines_in_one_size() -> None:
    """A line of capitals in a note (an address) reads too big alone; at its paragraph's line
    spacing it takes the paragraph's size. A heading run into the text under it keeps its own."""

    def line(baseline: float, words: list[str], height: float, paragraph: str) -> ocr._Line:
        top = baseline - height
        placed = [(100.0 + 60 * n, top, 150.0 + 60 * n, baseline, w, 95.0) for n, w in enumerate(words)]
        return ocr._Line(placed, paragraph=("1", paragraph))

    # a note's lines 40 px apart, the third all capitals (its ink reads a size too big)
    note = [line(1000 + 40 * n, ["see", "the", "lesson", "online"], 24, "1") for n in range(5)]
    note[2] = line(1080, ["WWW.EXAMPLE.GOV", "HTML"], 40, "1")
    # a heading run into the paragraph under it: further from it than its lines are apart
    heading = line(500, ["Program", "Results"], 50, "2")
    text = [line(580 + 45 * n, ["the", "state", "has", "trained"], 30, "2") for n in range(4)]
    sizes = dict((id(ln), size) for ln, size in ocr._paragraph_sizes([*note, heading, *text]))
    assert len({round(sizes[id(ln)], 3) for ln in note}) == 1
    assert len({round(sizes[id(ln)], 3) for ln in text}) == 1
    assert sizes[id(heading)] > 1.2 * sizes[id(text[0])]


@needs_tesseract
@pytest.mark.slow
def test_portuguese_scan_is_read_in_portuguese(scan_dir: Path) -> None:
    source = _language_pdf(scan_dir / "pt.pdf", PORTUGUESE, pages=2)
    scanned = read_pdf(image_only_pdf(source, scan_dir / "pt-scan.pdf", [1, 2]))
    assert scanned.ocr[-1].language.startswith("por")
    text = " ".join(b.text for b in scanned.blocks)
    for word in ("cooperação", "segurança", "cidadã", "justiça", "países"):
        assert word in text


@needs_tesseract
@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "neighborhood-scanned-p1-4.pdf",
        "camelot__image-scanned-no-text-layer.pdf",
        "pdfminer__pdf-with-jbig2-image-only.pdf",
    ],
)
def test_bad_scans_get_text_or_a_low_quality_status(name: str, shared_dir: Path) -> None:
    document = read_pdf(shared_dir / "corpus" / "bad" / name)
    codes = {e.code for e in document.errors}
    assert document.ocr_pages == list(range(1, document.pages + 1))
    assert "E108" not in codes and "W202" not in codes
    assert document.blocks or "W210" in codes
    if not codes & {"W210"}:
        assert all(p.confidence >= 60 for p in document.ocr)


@needs_tesseract
def test_a_page_drawn_for_ocr_leaves_no_fonts_behind(shared_dir: Path) -> None:
    """Two damaged copies of the seed whose broken fonts share names: drawing a page of one for
    OCR must not change the characters PDFium gives for the other afterwards (the fonts PDFium
    loads to draw live as long as the process that draws)."""
    from pipeline.reading.pdfium_pages import PdfiumPages

    hostile = shared_dir / "corpus" / "hostile"
    read_later, drawn = hostile / "A_flip10_2col.pdf", hostile / "A_flip100_2col.pdf"
    if not (read_later.exists() and drawn.exists()):
        pytest.skip("the damaged copies of the seed are not in shared/corpus/hostile")

    def characters() -> list[tuple[str, float, float]]:
        with PdfiumPages(read_later) as pages:
            return [(c["text"], c["x0"], c["x1"]) for i in range(len(pages)) for c in pages.content(i).chars]

    before = characters()
    with PdfiumPages(drawn) as pages:
        content = pages.content(19)  # a page whose text layer is garbage: OCR reads it
    reader = ocr.PageOcr(drawn, None, ReadingSettings())
    try:
        assert reader.read(content, 19).content.chars
    finally:
        reader.close()
    assert characters() == before
