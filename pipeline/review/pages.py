"""Page images and page text for the review app, through PDFium.

Only documents the inventory holds are rendered, addressed by their doc id: the file's path comes
from the inventory, never from a request.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path

import pypdfium2 as pdfium

SCALE = 1.5
"""Render scale (108 dpi): sharp enough to read 8-point footnotes, small enough to send fast."""

_LOCK = threading.Lock()
"""PDFium is not thread-safe, and the server answers requests from a thread pool."""


class PageCache:
    """Open PDFs and rendered pages, least recently used dropped first."""

    def __init__(self, images: int = 48, documents: int = 4) -> None:
        self.images: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self.pdfs: OrderedDict[str, pdfium.PdfDocument] = OrderedDict()
        self.sizes: dict[str, list[tuple[float, float]]] = {}
        self.max_images, self.max_documents = images, documents

    def _pdf(self, path: Path) -> pdfium.PdfDocument:
        key = str(path)
        if key in self.pdfs:
            self.pdfs.move_to_end(key)
            return self.pdfs[key]
        pdf = pdfium.PdfDocument(str(path))
        self.pdfs[key] = pdf
        while len(self.pdfs) > self.max_documents:
            _, old = self.pdfs.popitem(last=False)
            old.close()
        return pdf

    def page_sizes(self, path: Path) -> list[tuple[float, float]]:
        """Width and height in points of every page (evidence boxes are in points, top-left origin)."""
        key = str(path)
        with _LOCK:
            if key not in self.sizes:
                pdf = self._pdf(path)
                self.sizes[key] = [tuple(pdf.get_page_size(i)) for i in range(len(pdf))]  # type: ignore[misc]
            return self.sizes[key]

    def image(self, path: Path, page: int) -> bytes:
        """PNG of a page (1-based)."""
        key = (str(path), page)
        with _LOCK:
            if key in self.images:
                self.images.move_to_end(key)
                return self.images[key]
            pdf = self._pdf(path)
            if not 1 <= page <= len(pdf):
                raise IndexError(page)
            bitmap = pdf[page - 1].render(scale=SCALE)
            buffer = io.BytesIO()
            # compress_level 1: a page image is sent once per view; speed matters more than bytes.
            bitmap.to_pil().save(buffer, format="PNG", compress_level=1)
            data = buffer.getvalue()
            self.images[key] = data
            while len(self.images) > self.max_images:
                self.images.popitem(last=False)
            return data

    def text_in(self, path: Path, page: int, box: tuple[float, float, float, float]) -> str:
        """The text inside ``box`` (x0, top, x1, bottom in points, top-left origin) of a page."""
        with _LOCK:
            pdf = self._pdf(path)
            if not 1 <= page <= len(pdf):
                raise IndexError(page)
            handle = pdf[page - 1]
            height = handle.get_height()
            x0, top, x1, bottom = box
            textpage = handle.get_textpage()
            # PDFium's rectangle is bottom-left origin.
            text = textpage.get_text_bounded(left=x0, bottom=height - bottom, right=x1, top=height - top)
            return " ".join(text.split())

    def close(self) -> None:
        with _LOCK:
            for pdf in self.pdfs.values():
                pdf.close()
            self.pdfs.clear()
