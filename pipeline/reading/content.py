"""What the reader takes from one page, whichever library read it: characters, strokes, pictures.

Records are dicts in pdfplumber's shape and frame (origin at the top-left, ``top``/``bottom``
measured down from the page top), so words, tables and the text-layer check are written once
and fed by either backend: pdfplumber (pdfminer) through :func:`from_pdfplumber`, or PDFium
through :mod:`pipeline.reading.pdfium_pages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from pdfplumber.page import Page
from pdfplumber.utils import curve_to_edges, line_to_edge, rect_to_edges

from ..document import BBox

Affine = tuple[float, float, float, float, float, float]
"""(a, b, c, d, e, f): (x, top) → (a·x + b·top + e, c·x + d·top + f)."""

Obj = dict[str, Any]
"""One character, line, rectangle or curve, with pdfplumber's keys."""


@dataclass(eq=False)
class PageContent:
    """One page's characters (in content-stream order), drawn strokes and whether it has pictures.

    ``chars`` hold at least text, x0, x1, top, bottom, size, fontname and upright; ``lines``,
    ``rects`` and ``curves`` hold x0, x1, top, bottom, width, height (curves also ``pts``).
    """

    page_number: int
    width: float
    height: float
    chars: list[Obj] = field(default_factory=list)
    lines: list[Obj] = field(default_factory=list)
    rects: list[Obj] = field(default_factory=list)
    curves: list[Obj] = field(default_factory=list)
    has_images: bool = False
    turn: int = 0
    """Degrees (clockwise) the page was turned to read text that runs sideways on it upright;
    every position above is in the turned page's frame (see :attr:`to_page`)."""
    to_page: Affine | None = None
    """For a turned page, the map from its frame back to the page as shown: (x, top) →
    (a·x + b·top + e, c·x + d·top + f) for (a, b, c, d, e, f)."""

    @property
    def bbox(self) -> BBox:
        return (0.0, 0.0, self.width, self.height)

    @property
    def edges(self) -> list[Obj]:
        """Every stroke as horizontal/vertical edges, as pdfplumber's table finder wants them."""
        return [
            *map(line_to_edge, self.lines),
            *chain.from_iterable(map(rect_to_edges, self.rects)),
            *chain.from_iterable(map(curve_to_edges, self.curves)),
        ]


def from_pdfplumber(page: Page) -> PageContent:
    """The content of a pdfplumber page (parses it with pdfminer if not yet parsed)."""
    return PageContent(
        page_number=page.page_number,
        width=float(page.width),
        height=float(page.height),
        chars=page.chars,
        lines=page.lines,
        rects=page.rects,
        curves=page.curves,
        has_images=bool(page.images),
    )


def as_content(page: Page | PageContent) -> PageContent:
    return page if isinstance(page, PageContent) else from_pdfplumber(page)


def box_on_page(box: BBox, to_page: Affine | None) -> BBox:
    """``box`` in a turned page's frame as a box on the page as shown (itself when not turned)."""
    if to_page is None:
        return box
    a, b, c, d, e, f = to_page
    x0, top, x1, bottom = box
    xs = (a * x0 + b * top + e, a * x1 + b * bottom + e)
    ys = (c * x0 + d * top + f, c * x1 + d * bottom + f)
    return (min(xs), min(ys), max(xs), max(ys))
