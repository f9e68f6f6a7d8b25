"""The document model: what the reading stage hands to every later stage.

Plain dataclasses, one way: ``reading`` builds a :class:`Document`; ``nlp`` and later stages
read it and never reach back into the PDF. Every piece of text keeps where it came from
(page, box, character offsets into :attr:`Document.text`) so any later span can be shown on
its page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

BBox = tuple[float, float, float, float]
"""(x0, top, x1, bottom) in PDF points, origin at the page's top-left (pdfplumber's frame)."""

BlockKind = Literal["heading", "paragraph", "caption", "list_item"]


class Status(StrEnum):
    """Per-document outcome, as Docling reports it: nothing escapes as an exception."""

    SUCCESS = "success"
    PARTIAL = "partial"
    FAILURE = "failure"


@dataclass(frozen=True)
class Problem:
    """One coded error or warning about one document (see :mod:`pipeline.errors`)."""

    code: str
    message: str
    page: int | None = None


@dataclass(slots=True)  # one per line of text: many, kept all through the mining
class Fragment:
    """A run of a block's text that sits in one box on one page (usually one line).

    ``start``/``end`` are offsets into the owning block's or note's ``text``.
    """

    page: int
    bbox: BBox
    start: int
    end: int


@dataclass
class Block:
    kind: BlockKind
    page: int
    text: str
    bbox: BBox
    notes: list[int] = field(default_factory=list)
    note_offsets: list[int] = field(default_factory=list)
    fragments: list[Fragment] = field(default_factory=list)
    emphasis: list[tuple[int, int]] = field(default_factory=list)
    """(start, end) in ``text`` of each run of words set in italics: reports italicise the
    titles of programs, treaties and publications, and foreign terms."""
    font_size: float = 0.0
    column: int = 0
    start: int = 0
    end: int = 0

    @property
    def pages(self) -> list[int]:
        return sorted({f.page for f in self.fragments} or {self.page})


@dataclass
class Note:
    """A footnote (foot of a page or column) or an endnote (under a "Notes" heading)."""

    n: int
    text: str
    page: int
    bbox: BBox
    kind: Literal["footnote", "endnote"] = "footnote"
    fragments: list[Fragment] = field(default_factory=list)
    referenced_by: list[int] = field(default_factory=list)
    """Indexes into :attr:`Document.blocks` of the blocks whose markers point here."""
    start: int = 0
    end: int = 0


@dataclass
class Table:
    page: int
    bbox: BBox
    caption: str | None
    header: list[str]
    rows: list[list[str]]
    header_rows: list[list[str]] = field(default_factory=list)
    note: str | None = None
    source: str | None = None
    caption_bbox: BBox | None = None


@dataclass
class Furniture:
    """Running headers, footers and page numbers: kept for debugging, never in the body."""

    page: int
    text: str
    bbox: BBox
    kind: Literal["header", "footer", "page_number"]


@dataclass
class OcrPage:
    """A page whose text was read by OCR (no usable text layer, or ``reading.ocr=always``)."""

    page: int
    confidence: float
    """Mean word confidence, 0-100, as the OCR engine gives it."""
    words: int
    language: str
    """The engine's language(s) the page was read with ("eng", "spa+eng" …)."""
    seconds: float = 0.0
    """Time spent drawing and reading the page (kept out of :meth:`Document.to_dict`, which is
    the same for the same file)."""


@dataclass
class Document:
    doc: str
    path: str
    pages: int = 0
    status: Status = Status.SUCCESS
    errors: list[Problem] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    footnotes: list[Note] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    furniture: list[Furniture] = field(default_factory=list)
    references: list[Block] = field(default_factory=list)
    """Bibliography entries, kept apart from the body."""
    asides: list[Block] = field(default_factory=list)
    """Figure sources, notes and photo credits: kept, but not body text."""
    ocr: list[OcrPage] = field(default_factory=list)
    """The pages read by OCR; their text is in blocks and notes like any other page's."""
    sha256: str = ""
    title: str | None = None
    text: str = ""
    """Blocks then notes, each separated by a blank line; the offsets above point here."""
    turned: dict[int, int] = field(default_factory=dict)
    """Pages whose text runs sideways, and the degrees (clockwise) each was turned to be read;
    their boxes, like every page's, are on the page as shown."""

    def assign_offsets(self) -> None:
        """Lay blocks then notes end to end in :attr:`text` and record where each one sits."""
        parts: list[str] = []
        pos = 0
        for unit in [*self.blocks, *self.footnotes]:
            if parts:
                parts.append("\n\n")
                pos += 2
            unit.start, unit.end = pos, pos + len(unit.text)
            parts.append(unit.text)
            pos = unit.end
        self.text = "".join(parts)

    @property
    def ocr_pages(self) -> list[int]:
        return [p.page for p in self.ocr]

    @property
    def ocr_seconds(self) -> float:
        return sum(p.seconds for p in self.ocr)

    def locate(self, start: int, end: int) -> list[tuple[int, BBox]]:
        """Pages and boxes of the document text ``[start, end)``: grounding for any span."""
        hits: list[tuple[int, BBox]] = []
        for unit in [*self.blocks, *self.footnotes]:
            if unit.end <= start or unit.start >= end:
                continue
            lo, hi = start - unit.start, end - unit.start
            for frag in unit.fragments:
                if frag.end > lo and frag.start < hi and (frag.page, frag.bbox) not in hits:
                    hits.append((frag.page, frag.bbox))
        return hits

    def to_dict(self, fragments: bool = False) -> dict[str, Any]:
        def unit(obj: Block | Note) -> dict[str, Any]:
            data = asdict(obj)
            if not fragments:
                data.pop("fragments")
            return data

        return {
            "doc": self.doc,
            "path": self.path,
            "sha256": self.sha256,
            "pages": self.pages,
            "status": self.status.value,
            "errors": [asdict(e) for e in self.errors],
            "title": self.title,
            "blocks": [unit(b) for b in self.blocks],
            "footnotes": [unit(n) for n in self.footnotes],
            "tables": [asdict(t) for t in self.tables],
            "furniture": [asdict(f) for f in self.furniture],
            "references": [unit(b) for b in self.references],
            "asides": [unit(b) for b in self.asides],
            "ocr": [{k: v for k, v in asdict(p).items() if k != "seconds"} for p in self.ocr],
            **({"turned": {str(page): turn for page, turn in self.turned.items()}} if self.turned else {}),
        }
