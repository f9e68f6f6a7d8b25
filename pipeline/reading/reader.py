"""PDF → :class:`~pipeline.document.Document`: the reading stage's one entry point.

Every document gets an outcome (success / partial / failure with coded problems); no
exception escapes to the caller. Pages are closed as soon as their words, rules and tables
are taken, so memory stays flat however long the report.
"""

from __future__ import annotations

import itertools
import re
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

from ..config import ReadingSettings
from ..document import BBox, Block, Document, Furniture, Problem, Status, Table
from ..errors import ErrorCode, is_fatal, problem
from .blocks import RawBlock, Style, assemble, group_blocks, statistics_size
from .content import Affine, PageContent, box_on_page, from_pdfplumber
from .layout import (
    Line,
    PageLayout,
    body_style,
    column_spans,
    find_boxes,
    find_gutters,
    furniture_key,
    margin_zone,
    mark_boxed,
    median_gap,
    merge_number_lines,
    reading_order,
    split_footnote_zone,
    split_lines,
)
from .notes import NOTES_HEADING, REFERENCES_HEADING, leading_number, split_notes
from .ocr import OcrPass, declared_language
from .opening import OpenedPdf, PageTextInfo, open_pdf, text_layer_problems, text_layer_report
from .pdfium_pages import PdfiumPages
from .tables import find_tables, table_regions
from .words import build_rows, page_words

UNICODE_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")
PAGE_NUMBER = re.compile(r"^(page\s*)?#(\s*(of|/)\s*#)?$|^[-–]\s*#\s*[-–]$", re.I)


@dataclass
class PageData:
    """What is kept of a page once it is closed."""

    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    rules: list[BBox] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    gutters: list[tuple[float, float]] = field(default_factory=list)
    boxes: list[BBox] = field(default_factory=list)
    """Closed shapes that may hold a sidebar (see :func:`~pipeline.reading.layout.mark_boxed`)."""


def read_pdf(
    path: str | Path, settings: ReadingSettings | None = None, password: str | None = None
) -> Document:
    """Read one PDF into a document model; never raises for a bad or broken file."""
    settings = settings or ReadingSettings()
    path = Path(path)
    document = Document(doc=path.stem, path=str(path))
    password = password if password is not None else settings.password
    try:
        with open_pdf(path, password) as opened:
            document.sha256 = opened.sha256
            document.errors.extend(opened.problems)
            if opened.pdf is not None:
                _read(opened, document, settings, password)
    except Exception as exc:  # the batch must go on: report, never propagate
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        detail = f"{type(exc).__name__}: {exc} ({Path(frame.filename).name}:{frame.lineno})"
        document.errors.append(problem(ErrorCode.INTERNAL, detail=detail))
    document.status = outcome(document.errors)
    return document


def outcome(errors: list[Problem]) -> Status:
    if any(is_fatal(e.code) for e in errors):
        return Status.FAILURE
    return Status.PARTIAL if errors else Status.SUCCESS


class _PdfminerPages:
    """Page content parsed by pdfminer, through the pdfplumber document the opener holds."""

    def __init__(self, pdf: pdfplumber.PDF) -> None:
        self.pdf = pdf

    def content(self, index: int) -> PageContent:
        page = self.pdf.pages[index]
        try:
            return from_pdfplumber(page)
        finally:
            page.close()  # the content keeps what it needs; the page's caches go

    def close(self) -> None:
        """The document belongs to the opener, which closes it."""


class _PdfiumPages(_PdfminerPages):
    """Page content read by PDFium; pdfminer reads what PDFium cannot.

    PDFium opens nearly everything pdfminer opens, but not quite (and may count pages
    differently in a broken page tree): then the whole document, or the one page it failed
    on, is read with pdfminer, so the backend never makes a readable document less readable.
    """

    def __init__(
        self, pdf: pdfplumber.PDF, path: Path, password: str | None, turn_sideways: bool = True
    ) -> None:
        super().__init__(pdf)
        self.turn_sideways = turn_sideways
        self.pdfium: PdfiumPages | None = None
        try:
            self.pdfium = PdfiumPages(path, password)
        except Exception:  # pdfminer opened it; let pdfminer read it
            return
        if len(self.pdfium) != len(pdf.pages):
            self.close()

    def content(self, index: int) -> PageContent:
        if self.pdfium is not None:
            try:
                if self.turn_sideways:
                    return self.pdfium.upright_content(index)
                return self.pdfium.content(index)
            except Exception:  # PDFium failed on this page: pdfminer may not
                pass
        return super().content(index)

    def close(self) -> None:
        if self.pdfium is not None:
            self.pdfium.close()
            self.pdfium = None


def _page_source(opened: OpenedPdf, settings: ReadingSettings, password: str | None) -> _PdfminerPages:
    assert opened.pdf is not None and opened.path is not None
    if settings.backend == "pdfium":
        return _PdfiumPages(opened.pdf, opened.path, password, settings.turn_sideways_pages)
    return _PdfminerPages(opened.pdf)


def _read(opened: OpenedPdf, document: Document, settings: ReadingSettings, password: str | None) -> None:
    pages: list[PageData] = []
    infos: list[PageTextInfo] = []
    to_page: dict[int, Affine] = {}  # the pages read turned: their frame → the page as shown
    total = opened.pages
    document.pages = total
    limit = min(total, settings.max_pages or total)
    source = _page_source(opened, settings, password)
    ocr = OcrPass(opened.path, password, settings, declared_language(opened.pdf))
    try:
        for index in range(limit):
            number = index + 1
            try:
                content = source.content(index)
                info = text_layer_report(content)
                # a scan (or an unreadable text layer) is read by OCR into the same content
                content, info = ocr.page(content, info, index)
                infos.append(info)
                if not info.needs_ocr:
                    pages.append(_take_page(content, settings))
                    if content.to_page is not None:
                        document.turned[number] = content.turn
                        to_page[number] = content.to_page
            except Exception as exc:  # one bad page makes the document partial, not failed
                document.errors.append(
                    problem(ErrorCode.PAGE_UNREADABLE, page=number, detail=f"{type(exc).__name__}: {exc}")
                )
    finally:
        source.close()
        ocr.close()
    document.ocr = ocr.pages
    document.errors.extend(text_layer_problems(infos))
    document.errors.extend(ocr.problems())
    document.errors.extend(opened.drain_recoveries())
    if not pages:
        return
    layouts = _lay_out(pages, document, settings)
    tables = [t for data in pages for t in data.tables]
    pages.clear()  # the layouts hold every line now: what else was kept of the pages can go
    _build(layouts, tables, document, settings)
    if to_page:
        _boxes_on_pages(document, to_page)


def _boxes_on_pages(document: Document, to_page: dict[int, Affine]) -> None:
    """Every box of a page read turned, moved from the turned frame to the page as shown, so
    evidence, debug images and the review app find it where it is printed."""
    for block in [*document.blocks, *document.references, *document.asides]:
        block.bbox = box_on_page(block.bbox, to_page.get(block.page))
        for fragment in block.fragments:
            fragment.bbox = box_on_page(fragment.bbox, to_page.get(fragment.page))
    for note in document.footnotes:
        note.bbox = box_on_page(note.bbox, to_page.get(note.page))
        for fragment in note.fragments:
            fragment.bbox = box_on_page(fragment.bbox, to_page.get(fragment.page))
    for table in document.tables:
        table.bbox = box_on_page(table.bbox, to_page.get(table.page))
        if table.caption_bbox is not None:
            table.caption_bbox = box_on_page(table.caption_bbox, to_page.get(table.page))
    for item in document.furniture:
        item.bbox = box_on_page(item.bbox, to_page.get(item.page))


def _take_page(page: PageContent, settings: ReadingSettings) -> PageData:
    number = page.page_number
    data = PageData(number, page.width, page.height)
    words = page_words(page, settings)
    rows = build_rows(words, settings)
    tables = find_tables(page, words=words)
    regions = [r for t in tables for r in table_regions(t)]
    if regions:  # table cells are the table's, not the prose's
        for row in rows:
            row.words = [w for w in row.words if not any(w.inside(r) for r in regions)]
        rows = [row for row in rows if row.words]
    data.gutters = find_gutters(
        [
            r
            for r in rows
            if data.height * settings.furniture_margin < r.top < data.height * (1 - settings.furniture_margin)
        ],
        data.width,
        settings.min_gutter,
    )
    data.lines = split_lines(rows, data.gutters, number, settings.line_gap_factor * 2.5)
    data.rules = _horizontal_rules(page)
    data.boxes = find_boxes(page.lines, page.rects, page.curves)
    for table in tables:
        table.page = number
    data.tables = tables
    return data


def _horizontal_rules(page: PageContent) -> list[BBox]:
    rules = []
    for edge in [*page.lines, *page.rects]:
        if abs(edge["bottom"] - edge["top"]) <= 1.5 and edge["x1"] - edge["x0"] > 5:
            rules.append((float(edge["x0"]), float(edge["top"]), float(edge["x1"]), float(edge["bottom"])))
    return rules


def _lay_out(pages: list[PageData], document: Document, settings: ReadingSettings) -> list[PageLayout]:
    """Furniture out (by repetition across pages), then columns, footnote zones, order."""
    counts: Counter[str] = Counter()
    for data in pages:
        keys = {
            furniture_key(ln.text)
            for ln in data.lines
            if margin_zone(ln, data.height, settings.furniture_margin)
        }
        counts.update(keys)
    needed = max(2, int(settings.furniture_min_share * len(pages)))
    all_lines = [ln for data in pages for ln in data.lines]
    size, _family = body_style(all_lines)
    layouts = []
    for data in pages:
        layout = PageLayout(data.number, data.width, data.height)
        candidates = [
            ln
            for ln in data.lines
            if margin_zone(ln, data.height, settings.furniture_margin)
            and (counts[furniture_key(ln.text)] >= needed or PAGE_NUMBER.match(furniture_key(ln.text)))
        ]
        # A note number at the foot of a column repeats like a page number does; furniture
        # stands alone on its baseline, a note number has its note's text beside it.
        others = [ln for ln in data.lines if ln not in candidates]
        furniture = [ln for ln in candidates if not any(_beside(ln, o) for o in others)]
        for ln in furniture:
            key = furniture_key(ln.text)
            kind = (
                "page_number"
                if PAGE_NUMBER.match(key)
                else margin_zone(ln, data.height, settings.furniture_margin)
            )
            document.furniture.append(Furniture(data.number, ln.text, ln.bbox, kind))  # type: ignore[arg-type]
        layout.furniture = furniture
        kept = [ln for ln in data.lines if ln not in furniture]
        layout.columns = column_spans(kept, data.gutters, data.width)
        body, notes = split_footnote_zone(kept, data.rules, layout.columns, size)
        mark_boxed(body, data.boxes, size)
        layout.lines = reading_order(body)
        layout.footnote_lines = merge_number_lines(notes)
        layouts.append(layout)
    return layouts


def _beside(line: Line, other: Line) -> bool:
    return (
        other.top < line.bottom
        and other.bottom > line.top
        and min(abs(other.x0 - line.x1), abs(line.x0 - other.x1)) < 3 * line.size
    )


def _build(
    layouts: list[PageLayout], tables: list[Table], document: Document, settings: ReadingSettings
) -> None:
    """The document's blocks, notes and title from the laid-out pages.

    ``layouts`` is emptied: a long document's lines, with their words, are let go as soon as
    what they make is built (each block's as it is assembled), not held beside the whole text.
    """
    stream = [ln for layout in layouts for ln in layout.lines]
    note_lines = [ln for layout in layouts for ln in layout.footnote_lines]
    size, family = body_style(stream)
    style = Style(size=size, family=family, gap=median_gap(stream))
    columns = {(lay.page, i): span for lay in layouts for i, span in enumerate(lay.columns)}
    layouts.clear()  # the furniture's lines: the document has their text and boxes already
    raw_blocks = group_blocks(stream, columns, style, settings.paragraph_gap_factor)
    vocabulary = _vocabulary(stream + note_lines)
    del stream  # every body line is in a raw block now
    for kicker in _kickers(raw_blocks):
        raw_blocks.remove(kicker)
        text = " ".join(ln.text for ln in kicker.lines)
        document.furniture.append(Furniture(kicker.first.page, text, _box(kicker.lines), "header"))
    document.furniture.sort(key=lambda f: f.page)

    # figure sources and credits, and sidebars: kept, but not the body's text
    asides = [rb for rb in raw_blocks if rb.kind == "aside" or rb.boxed]
    aside_ids = {id(rb) for rb in asides}
    body_raw, endnote_lines, reference_raw = _sections([rb for rb in raw_blocks if id(rb) not in aside_ids])
    del raw_blocks  # the notes section's blocks: their lines are in endnote_lines
    footnotes = split_notes(note_lines, vocabulary, "footnote")
    first = footnotes[-1].n + 1 if footnotes else 1
    endnotes = split_notes(endnote_lines, vocabulary, "endnote", first_expected=first)
    del note_lines, endnote_lines
    document.footnotes = footnotes + endnotes
    document.blocks = _to_blocks(body_raw, vocabulary)
    document.references = _to_blocks(reference_raw, vocabulary)
    document.asides = _to_blocks(asides, vocabulary)
    document.tables = tables
    _link_markers(document)
    headings = [b for b in document.blocks if b.kind == "heading" and b.page == 1]
    if headings:  # the largest type on the first page, however many lines it was cut into
        biggest = max(b.font_size for b in headings)
        document.title = " ".join(b.text for b in headings if b.font_size >= biggest - 0.5)
    document.assign_offsets()


def _kickers(blocks: list[RawBlock]) -> list[RawBlock]:
    """The label lines set just above a report's title on its first page (a kicker: the
    house, the series, "Fact sheet"): they label the publication, as its running headers
    do on the pages after, and are not a heading of its text.

    The title is the first page's largest heading; a kicker is a short single line right
    above it (less than the title's size apart, overlapping it across the page), in type
    well under the title's size. Stacked kickers are taken from the title upwards.
    """
    if not blocks:
        return []
    first_page = blocks[0].first.page
    opening = list(itertools.takewhile(lambda b: b.first.page == first_page, blocks))
    headings = [i for i, b in enumerate(opening) if b.kind == "heading"]
    if not headings:
        return []
    at = max(headings, key=lambda i: (statistics_size(opening[i]), -i))
    title = opening[at]
    size = statistics_size(title)
    kickers: list[RawBlock] = []
    below = title.first
    for block in reversed(opening[:at]):
        line = block.first
        text = line.plain_text
        if not (
            len(block.lines) == 1
            and statistics_size(block) <= 0.75 * size
            and 0 <= below.top - line.bottom <= size
            and line.x0 < below.x1
            and below.x0 < line.x1
            and 0 < len(text.split()) <= 12
            and not text.endswith((".", ",", ";"))
        ):
            break
        kickers.append(block)
        below = line
    return kickers


def _box(lines: list[Line]) -> BBox:
    """The box around lines of one page."""
    return (
        min(ln.x0 for ln in lines),
        min(ln.bbox[1] for ln in lines),
        max(ln.x1 for ln in lines),
        max(ln.bottom for ln in lines),
    )


def _sections(blocks: list[RawBlock]) -> tuple[list[RawBlock], list[Line], list[RawBlock]]:
    """Body blocks, endnote lines (under a "Notes" heading) and reference blocks.

    A section ends at the next heading, or at a block that is not of its kind: for notes, a
    block that neither starts with a number nor continues one (same size, hanging indent);
    for references, a long block with no year and no address in it (prose).
    """
    body: list[RawBlock] = []
    notes: list[Line] = []
    references: list[RawBlock] = []
    mode = "body"
    for block in blocks:
        text = " ".join(ln.plain_text for ln in block.lines).strip()
        if block.kind == "heading" and NOTES_HEADING.match(text):
            mode = "notes"
            continue
        if block.kind == "heading" and REFERENCES_HEADING.match(text):
            mode = "references"
            body.append(block)
            continue
        if mode == "notes" and block.kind != "heading" and _continues_notes(block, notes):
            notes.extend(block.lines)
            continue
        if mode == "references" and block.kind != "heading" and not _is_prose(text):
            references.append(block)
            continue
        mode = "body"
        body.append(block)
    return body, notes, references


def _continues_notes(block: RawBlock, notes: list[Line]) -> bool:
    if leading_number(block.first) is not None:
        return True
    numbered = [ln for ln in notes if leading_number(ln) is not None]
    if not numbered:
        return False
    left = min(ln.x0 for ln in numbered)
    if abs(block.first.size - numbered[-1].size) >= 0.3:
        return False
    hanging = any(ln.x0 > left + 3 for ln in notes if leading_number(ln) is None)
    return not (hanging and block.first.x0 <= left + 2)


def _is_prose(text: str) -> bool:
    """Running text rather than a bibliography entry: long, with no year and no address."""
    return len(text.split()) >= 30 and not re.search(r"\b(1[89]|20)\d\d\b|https?://|www\.", text)


def _to_blocks(raws: list[RawBlock], vocabulary: Counter[str]) -> list[Block]:
    """The blocks of ``raws``, each raw block's lines (and their words) let go once it is built."""
    blocks: list[Block] = []
    for raw in raws:
        blocks.append(_to_block(raw, vocabulary))
        raw.lines = []
    return blocks


def _to_block(raw: RawBlock, vocabulary: Counter[str]) -> Block:
    text = assemble(raw.lines, vocabulary)
    first = raw.first
    bbox = _box([ln for ln in raw.lines if ln.page == first.page])
    return Block(
        kind=raw.kind if raw.kind != "aside" else "caption",
        page=first.page,
        text=text.text,
        bbox=bbox,
        notes=text.notes,
        note_offsets=text.note_offsets,
        fragments=text.fragments,
        emphasis=text.emphasis,
        font_size=first.size,
        column=first.column,
    )


def _vocabulary(lines: list[Line]) -> Counter[str]:
    """Words as the document spells them inside lines: evidence for resolving hyphens."""
    vocabulary: Counter[str] = Counter()
    for ln in lines:
        for w in ln.words[:-1]:
            # a Unicode hyphen inside a word is the hyphen line-end breaks are compared with
            text = w.text.translate(UNICODE_HYPHENS)
            vocabulary[_EDGE_PUNCTUATION.sub("", text).casefold()] += 1
    return vocabulary


def _link_markers(document: Document) -> None:
    """Tie each body block's markers to their notes; a marker in an aside (a sidebar's
    heading) is checked against the notes too, though only body blocks are indexed."""
    by_number = {n.n: n for n in document.footnotes}
    missing: list[int] = []
    first_page: int | None = None
    cited = [(index, block) for index, block in enumerate(document.blocks)]
    cited += [(None, aside) for aside in document.asides]
    for index, block in sorted(cited, key=lambda item: item[1].page):
        for number in block.notes:
            note = by_number.get(number)
            if note is None:
                missing.append(number)
                if first_page is None:
                    first_page = block.page
            elif index is not None and index not in note.referenced_by:
                note.referenced_by.append(index)
    if missing:
        document.errors.append(problem(ErrorCode.NOTE_UNRESOLVED, count=len(missing), first_page=first_page))
