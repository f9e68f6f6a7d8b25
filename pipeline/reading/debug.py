"""Draw what the reader saw on a page, the way pdfplumber's visual debugging does.

Body blocks, notes, furniture, tables and asides each get their own colour, with the reading
order number of each block written beside it, so a wrong column order or a footnote read as
body shows at a glance.
"""

from __future__ import annotations

import math
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from ..document import BBox, Document, Problem
from ..errors import ErrorCode, problem
from .pdfium_pages import PDFIUM_LOCK

COLOURS: dict[str, tuple[int, int, int]] = {
    "paragraph": (31, 119, 180),
    "heading": (214, 39, 40),
    "caption": (148, 103, 189),
    "list_item": (23, 190, 207),
    "note": (44, 160, 44),
    "furniture": (127, 127, 127),
    "table": (255, 127, 14),
    "aside": (188, 189, 34),
    "reference": (140, 86, 75),
}


def page_boxes(document: Document, page: int) -> list[tuple[str, BBox, str]]:
    """(category, box, label) for everything the reader placed on one page."""
    boxes: list[tuple[str, BBox, str]] = []
    for index, block in enumerate(document.blocks):
        for frag in block.fragments:
            if frag.page == page:
                boxes.append((block.kind, frag.bbox, str(index)))
    for note in document.footnotes:
        boxes.extend(("note", f.bbox, str(note.n)) for f in note.fragments if f.page == page)
    for ref in document.references:
        boxes.extend(("reference", f.bbox, "") for f in ref.fragments if f.page == page)
    for aside in document.asides:
        boxes.extend(("aside", f.bbox, "") for f in aside.fragments if f.page == page)
    boxes.extend(("furniture", f.bbox, f.kind) for f in document.furniture if f.page == page)
    boxes.extend(("table", t.bbox, "table") for t in document.tables if t.page == page)
    return boxes


MAX_PIXELS = 40_000_000
"""Largest image drawn (about 160 MB of RGBA): a legal 14,400 pt page at 110 ppi would be 7 GB."""
MIN_RESOLUTION = 1.0
"""Below this a page is too large to draw anything useful of it."""


class RenderError(Exception):
    """The page cannot be drawn; carries the coded problem to show."""

    def __init__(self, issue: Problem) -> None:
        super().__init__(issue.message)
        self.problem = issue


def capped_resolution(width: float, height: float, resolution: float, max_pixels: int = MAX_PIXELS) -> float:
    """The resolution at which a ``width`` × ``height`` pt page stays within ``max_pixels``."""
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        return 0.0
    pixels = (width * resolution / 72) * (height * resolution / 72)
    if pixels <= max_pixels:
        return float(resolution)
    return resolution * math.sqrt(max_pixels / pixels)


def render_page(
    pdf_path: str | Path,
    document: Document,
    page: int,
    out: str | Path,
    resolution: int = 110,
    password: str | None = None,
    max_pixels: int = MAX_PIXELS,
) -> list[Problem]:
    """Write a PNG of ``page`` (1-based) with the reader's boxes drawn over it.

    PDFium draws the page (it reads what pdfminer cannot open), at a resolution lowered so the
    image holds at most ``max_pixels``; the returned warnings say when it was lowered. Raises
    :class:`RenderError` for a page that cannot be drawn.
    """
    out = Path(out)
    notes: list[Problem] = []
    with PDFIUM_LOCK:  # PDFium is shared with the reader
        try:
            pdf = pdfium.PdfDocument(str(pdf_path), password=password or None)
        except Exception as exc:
            raise RenderError(problem(ErrorCode.MALFORMED, detail=f"PDFium cannot draw it: {exc}")) from exc
        try:
            if not 1 <= page <= len(pdf):
                raise ValueError(f"page {page} is out of range 1-{len(pdf)}")
            pdf_page = pdf[page - 1]
            width, height = pdf_page.get_size()
            scaled = capped_resolution(width, height, resolution, max_pixels)
            if scaled < MIN_RESOLUTION:
                detail = f"too large to draw within {max_pixels:,} pixels"
                raise RenderError(
                    problem(ErrorCode.IMAGE_TOO_LARGE, page=page, width=width, height=height, detail=detail)
                )
            if scaled < resolution:
                notes.append(
                    problem(
                        ErrorCode.IMAGE_SCALED,
                        page=page,
                        width=width,
                        height=height,
                        resolution=scaled,
                        pixels=max_pixels,
                    )
                )
            scale = scaled / 72
            try:
                image = pdf_page.render(scale=scale).to_pil().convert("RGBA")
            except Exception as exc:
                detail = f"PDFium cannot draw it: {exc}"
                raise RenderError(
                    problem(ErrorCode.IMAGE_TOO_LARGE, page=page, width=width, height=height, detail=detail)
                ) from exc
        finally:
            pdf.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    first_seen: set[str] = set()
    for category, bbox, label in page_boxes(document, page):
        colour = COLOURS[category]
        box = [v * scale for v in bbox]
        if not all(math.isfinite(v) and abs(v) < 1e7 for v in box):
            continue
        x0, y0, x1, y1 = box
        draw.rectangle(
            (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), fill=(*colour, 40), outline=(*colour, 220)
        )
        if label and category in {"paragraph", "heading", "caption", "list_item"} and label not in first_seen:
            first_seen.add(label)
            draw.text((x0 - 14, y0), label, fill=(*colour, 255))
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG")
    return notes
