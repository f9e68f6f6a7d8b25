"""Draw what the reader saw on a page, the way pdfplumber's visual debugging does.

Body blocks, notes, furniture, tables and asides each get their own colour, with the reading
order number of each block written beside it, so a wrong column order or a footnote read as
body shows at a glance.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber

from ..document import BBox, Document
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


def render_page(
    pdf_path: str | Path,
    document: Document,
    page: int,
    out: str | Path,
    resolution: int = 110,
    password: str | None = None,
) -> Path:
    """Write a PNG of ``page`` (1-based) with the reader's boxes drawn over it."""
    out = Path(out)
    with pdfplumber.open(pdf_path, password=password or "") as pdf:
        if not 1 <= page <= len(pdf.pages):
            raise ValueError(f"page {page} is out of range 1-{len(pdf.pages)}")
        with PDFIUM_LOCK:  # pdfplumber renders through PDFium, which the reader may be using
            image = pdf.pages[page - 1].to_image(resolution=resolution)
        first_seen: set[str] = set()
        for category, bbox, label in page_boxes(document, page):
            colour = COLOURS[category]
            image.draw_rect(bbox, fill=(*colour, 40), stroke=(*colour, 220), stroke_width=1)
            if (
                label
                and category in {"paragraph", "heading", "caption", "list_item"}
                and label not in first_seen
            ):
                first_seen.add(label)
                image.draw.text(
                    (bbox[0] * image.scale - 14, bbox[1] * image.scale), label, fill=(*colour, 255)
                )
        image.save(out, format="PNG")
    return out
