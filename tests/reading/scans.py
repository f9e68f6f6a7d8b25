"""Image-only PDFs made from born-digital pages, and OCR measured against the reading truth.

A scan is simulated by drawing pages with PDFium and rebuilding a PDF of the pictures alone (no
text layer, as a scanner makes it). The truth of the seed report (``truth/neighborhood/body.jsonl``)
covers the whole report; the stretch of it a few pages hold is found by aligning the truth with
what the reader reads from the same pages of the born-digital file, so a page cut anywhere is
measured fairly.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.document import Document

from .measure import normalized_words, word_scores


def image_only_pdf(source: Path, out: Path, pages: Sequence[int], dpi: int = 300) -> Path:
    """Draw ``pages`` (1-based) of ``source`` at ``dpi`` and write them as a picture-only PDF."""
    pdf = pdfium.PdfDocument(str(source))
    try:
        images = []
        for number in pages:
            page = pdf[number - 1]
            try:
                images.append(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
            finally:
                page.close()
    finally:
        pdf.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return out


def declare_language(pdf: Path, tag: str) -> Path:
    """Write ``tag`` ("es-MX") into the PDF's catalog as its ``/Lang``, as word processors do."""
    import ctypes

    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(str(pdf))
    try:
        text = ctypes.create_string_buffer((tag + "\0").encode("utf-16-le"))
        raw.FPDFCatalog_SetLanguage(document.raw, ctypes.cast(text, ctypes.POINTER(ctypes.c_ushort)))
        out = pdf.with_name(f"{pdf.stem}-{tag}.pdf")
        document.save(str(out))
    finally:
        document.close()
    return out


def truth_body_words(truth_dir: Path) -> list[str]:
    """The seed report's body words in reading order (headings, paragraphs, captions)."""
    lines = (truth_dir / "body.jsonl").read_text(encoding="utf-8").splitlines()
    return [w for ln in lines if ln.strip() for w in normalized_words(json.loads(ln)["text"])]


def body_words(document: Document) -> list[str]:
    return [w for b in document.blocks for w in normalized_words(b.text)]


def truth_window(truth: list[str], reference: list[str]) -> list[str]:
    """The stretch of ``truth`` that ``reference`` (a born-digital reading of some pages) covers."""
    matcher = difflib.SequenceMatcher(None, truth, reference, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= 5]
    if not blocks:
        return []
    return truth[blocks[0].a : blocks[-1].a + blocks[-1].size]


def body_recall(document: Document, expected: list[str]) -> tuple[float, float]:
    """Recall and precision of the document's body words against ``expected``, in order."""
    return word_scores(expected, body_words(document))
