"""Pages with no usable text layer, read by OCR (Tesseract) into the same page content.

A scanned page is drawn with PDFium at ``reading.ocr_dpi`` and given to the ``tesseract``
program, whose TSV output lists every word with its box and confidence. The words become
characters in pdfplumber's shape and in the page's own frame (PDF points from the top-left),
so the rest of the reader (words, rows, columns, furniture, footnote zones, tables, blocks)
reads a scan exactly as it reads born-digital text, and evidence spans keep their page boxes.

* Sizes: a word's box spans its ink, so a line's font size is estimated from its words'
  heights, each scaled by the letters it holds (capitals and ascenders, descenders), and then
  snapped to the sizes already seen in the document: body lines of a scan come out at one size,
  as they do in a typeset PDF, and headings and notes stand apart by size as they do there.
* Characters share their line's em box (baseline plus descent, one size tall), as pdfminer's do.
* Rules: long thin runs of ink in the image become rectangles, so a short rule above footnotes
  and a ruled table's lines are seen as they are in born-digital pages.
* Language: ``ocr_languages="auto"`` reads the first pages with English, Spanish and Portuguese
  together (those installed), then the rest with the language the text read so far is in.

The engine is the ``tesseract`` program on PATH (Debian: ``tesseract-ocr``, plus
``tesseract-ocr-spa`` and ``tesseract-ocr-por`` for Spanish and Portuguese).
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import os
import re
import shutil
import statistics
import struct
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
from PIL import Image

from ..config import ReadingSettings
from ..document import OcrPage, Problem
from ..errors import ErrorCode, problem
from .content import Obj, PageContent
from .opening import GARBLED_PAGE_SHARE, PageTextInfo, page_ranges, text_layer_report
from .pdfium_pages import PDFIUM_LOCK, stroke_record

OCR_FONT = "OCR"
AUTO_LANGUAGES = ("eng", "spa", "por")
"""Read together until the document's language is known: the region's languages and its donors'."""
TESSERACT_CODES = {"en": "eng", "es": "spa", "pt": "por", "fr": "fra", "de": "deu", "it": "ita", "nl": "nld"}
"""ISO 639-1 (what :func:`pipeline.nlp.language.detect_language` gives) → Tesseract's names."""
DETECT_WORDS = 150
"""Words read before the document's language is decided (the detector wants 50 at least)."""
INSTALL_HINT = (
    "install Tesseract (Debian/Ubuntu: apt-get install tesseract-ocr tesseract-ocr-spa "
    "tesseract-ocr-por; macOS: brew install tesseract tesseract-lang) and run again"
)
MAX_PIXELS = 25_000_000
"""A page is drawn at a lower resolution rather than over this many pixels (a poster, a map)."""
MIN_WORD_CONFIDENCE = 10.0
"""Words Tesseract is less sure of than this are specks and picture texture, not text."""
# Height of a word's ink as a share of its font size, by what its letters reach (typical
# proportions of text faces): up to the cap/ascender line or only the x-height, and down to
# the descender line or only the baseline.
ASCENT, X_HEIGHT, DESCENT = 0.70, 0.47, 0.21
ASCENDERS = frozenset("bdfhklt0123456789ßð()[]{}/\\|!?'\"#$%&@")
DESCENDERS = frozenset("gjpqy,;()[]{}|/\\")
MARK_SIZE = 0.65
"""A raised note number's size as a share of its line's (typesetters use 0.6-0.7)."""
NOTE_NUMBER = re.compile(r"^[0-9]{1,3}$")
MAX_MARKS = 60
"""Pieces read as possible note numbers per page, at most (each is one short engine call)."""
TRAILING_JUNK = re.compile(r"[^\w.,;:)\]”’\"'%]+$")
"""What is left of a raised number read into its word ("America.!®" → "America.")."""
SIZE_SNAP = 0.08
"""A line within this share of a size already seen in the document takes the nearest such size."""
PARAGRAPH_SPREAD = 0.15
"""A line within this share of its paragraph's size is set in the paragraph's type."""


@functools.cache
def tesseract_path() -> str | None:
    """The ``tesseract`` program on PATH, if any."""
    return shutil.which("tesseract")


@functools.cache
def installed_languages() -> frozenset[str]:
    """The languages the installed Tesseract has data for (empty without Tesseract)."""
    exe = tesseract_path()
    if exe is None:
        return frozenset()
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(ln.strip() for ln in out.splitlines()[1:] if ln.strip() and ln.strip() != "osd")


def ocr_available() -> bool:
    return tesseract_path() is not None and bool(installed_languages())


@dataclass(frozen=True)
class OcrResult:
    """One page read by OCR: its content (words as characters) and how well it was read."""

    content: PageContent
    confidence: float
    """Mean word confidence, 0-100 (Tesseract's own measure)."""
    words: int
    language: str
    seconds: float


class OcrPass:
    """Decides, page by page, what OCR reads in one document, and what to report about it.

    ``auto`` reads a page with no text layer but a picture (a scan), and a page whose text
    layer is mostly unreadable glyphs when OCR reads it better; ``always`` reads every page;
    ``never`` none. A page OCR cannot read keeps what it had, with a W201.
    """

    def __init__(
        self,
        path: str | Path | None,
        password: str | None,
        settings: ReadingSettings,
        declared: str | None = None,
    ) -> None:
        self.settings = settings
        self.mode = settings.ocr if path is not None else "never"
        self.pages: list[OcrPage] = []
        self._path = path if self.mode != "never" else None
        self._password = password
        self._declared = declared
        # made for the first page OCR reads: making it asks Tesseract for its languages (a
        # process started), which a document with a text layer on every page never needs
        self._engine: PageOcr | None = None
        self._missing: list[int] = []
        self._problems: list[Problem] = []

    def wanted(self, info: PageTextInfo) -> bool:
        if self.mode == "always":
            return True
        return self.mode == "auto" and (
            info.needs_ocr or (info.chars > 0 and info.garbled_share >= GARBLED_PAGE_SHARE)
        )

    def page(self, content: PageContent, info: PageTextInfo, index: int) -> tuple[PageContent, PageTextInfo]:
        """The page's content and text report, OCR'd when it needs it and OCR can read it."""
        if self._path is None or not self.wanted(info):
            return content, info
        if not ocr_available():
            self._missing.append(info.page)
            return content, info
        if self._engine is None:
            self._engine = PageOcr(self._path, self._password, self.settings, self._declared)
        try:
            result = self._engine.read(content, index)
        except Exception as exc:  # the page keeps its own text layer (or none); the batch goes on
            detail = (
                f"OCR failed ({type(exc).__name__}: {exc}), so the page keeps only the text it had; "
                + (
                    "give a slow page more time with --set reading.ocr_page_seconds=120"
                    if isinstance(exc, subprocess.TimeoutExpired)
                    else "check that the page opens and shows in a PDF viewer, and report it with the PDF"
                )
            )
            self._problems.append(problem(ErrorCode.PAGE_UNREADABLE, page=info.page, detail=detail))
            return content, info
        read = text_layer_report(result.content)
        self.pages.append(
            OcrPage(info.page, round(result.confidence, 1), result.words, result.language, result.seconds)
        )
        if not result.words:  # nothing legible: the page is reported as it was
            return content, info
        if self.mode == "auto" and info.chars and read.garbled_share >= info.garbled_share:
            self.pages.pop()  # OCR reads a garbled page no better than its own text layer
            return content, info
        return result.content, read

    def problems(self) -> list[Problem]:
        problems = list(self._problems)
        if self._missing:
            problems.append(
                problem(
                    ErrorCode.OCR_UNAVAILABLE,
                    count=len(self._missing),
                    pages=page_ranges(self._missing),
                    hint=INSTALL_HINT,
                )
            )
        low = [p for p in self.pages if p.confidence < self.settings.ocr_min_confidence]
        if low:
            problems.append(
                problem(
                    ErrorCode.OCR_LOW_CONFIDENCE,
                    count=len(low),
                    pages=page_ranges(p.page for p in low),
                    confidence=statistics.fmean(p.confidence for p in low),
                )
            )
        return problems

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()


OcrWord = tuple[float, float, float, float, str, float]
"""(left, top, right, bottom, text, confidence), in pixels."""


@dataclass
class _Line:
    words: list[OcrWord] = field(default_factory=list)
    paragraph: tuple[str, str] = ("", "")
    """The engine's block and paragraph the line is in: lines set in one type."""
    marks: list[OcrWord] = field(default_factory=list)
    """Raised note numbers found beside the words (see :func:`_find_marks`)."""


class PageOcr:
    """OCR for the pages of one document; renders from its own PDFium handle, opened on first use."""

    def __init__(
        self, path: str | Path, password: str | None, settings: ReadingSettings, declared: str | None = None
    ) -> None:
        self.path = Path(path)
        self.password = password
        self.settings = settings
        self._pdf: pdfium.PdfDocument | None = None
        self._sizes: list[float] = []
        self._seen_text: list[str] = []
        self.language = self._initial_languages()
        self._decided = settings.ocr_languages != "auto"
        code = tesseract_language(declared)
        if not self._decided and code is not None:  # the document says which language it is in
            self.language, self._decided = code, True

    # ------------------------------------------------------------------ public

    def read(self, content: PageContent, index: int) -> OcrResult:
        """OCR page ``index`` (0-based) into a copy of ``content`` with the OCR'd characters.

        The page's strokes are kept and rules found in the image added. Raises ``OSError`` /
        ``subprocess`` errors / ``PdfiumError`` when the page cannot be drawn or read.
        """
        start = time.perf_counter()
        image, resolution = self._render(index)
        gray = np.asarray(image)
        language = self.language
        lines = _lines(_tsv(self._tesseract(image, resolution, language, "tsv")))
        self._find_marks(gray, lines, resolution)
        sx, sy = content.width / image.width, content.height / image.height
        chars, confidences = self._chars(lines, sx, sy, content.page_number)
        # rules drawn in the picture, unless the page draws its own (``always`` on a typeset page)
        drawn = (
            [] if content.lines or content.rects else image_rules(gray, sx, sy, content.height, resolution)
        )
        ocr = PageContent(
            page_number=content.page_number,
            width=content.width,
            height=content.height,
            chars=chars,
            lines=list(content.lines),
            rects=[*content.rects, *drawn],
            curves=list(content.curves),
            has_images=content.has_images,
        )
        self._learn_language(" ".join(w[4] for line in lines for w in line.words))
        confidence = statistics.fmean(confidences) if confidences else 0.0
        return OcrResult(ocr, confidence, len(confidences), language, time.perf_counter() - start)

    def close(self) -> None:
        if self._pdf is not None:
            with PDFIUM_LOCK:
                self._pdf.close()
            self._pdf = None

    # ------------------------------------------------------------------ steps

    def _initial_languages(self) -> str:
        wanted = self.settings.ocr_languages
        installed = installed_languages()
        if wanted != "auto":
            return wanted
        chosen = [lang for lang in AUTO_LANGUAGES if lang in installed]
        return "+".join(chosen) or "+".join(sorted(installed)[:1]) or "eng"

    def _render(self, index: int) -> tuple[Image.Image, float]:
        """Page ``index`` drawn at the OCR resolution, in a child process where ``fork`` exists.

        Drawing loads a page's fonts into PDFium's caches, which live as long as the process: a
        broken font program drawn for one document changed the glyph widths PDFium then gave for
        the broken fonts of another document read after it in the same worker (a damaged copy
        of the seed split words at 368 hyphens and gave 25 other records, depending on what its
        worker had read before). Drawn in a child, the fonts go with the child.
        """
        with PDFIUM_LOCK:
            if self._pdf is None:
                self._pdf = pdfium.PdfDocument(str(self.path), password=self.password or None)
            if not hasattr(os, "fork"):
                return self._draw(index)
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: draw, send the pixels (or what went wrong), and go
                code = 0
                try:
                    os.close(read_end)
                    try:
                        image, resolution = self._draw(index)
                        message = b"I" + struct.pack("<dII", resolution, image.width, image.height)
                        message += image.tobytes()
                    except Exception as exc:
                        message = b"E" + f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")
                    with os.fdopen(write_end, "wb") as out:
                        out.write(message)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as inp:
            message = inp.read()
        os.waitpid(pid, 0)
        if message[:1] == b"I" and len(message) >= 17:
            resolution, width, height = struct.unpack("<dII", message[1:17])
            return Image.frombytes("L", (width, height), message[17:]), resolution
        failed = message[:1] == b"E"
        detail = message[1:].decode("utf-8", "replace") if failed else "the drawing process failed"
        raise pdfium.PdfiumError(f"page {index + 1} could not be drawn: {detail}")

    def _draw(self, index: int) -> tuple[Image.Image, float]:
        assert self._pdf is not None
        page = self._pdf[index]
        try:
            width, height = page.get_size()
            resolution = float(self.settings.ocr_dpi)
            pixels = (width * resolution / 72) * (height * resolution / 72)
            if pixels > MAX_PIXELS:
                resolution *= (MAX_PIXELS / pixels) ** 0.5
            bitmap = page.render(scale=resolution / 72, grayscale=True)
            return bitmap.to_pil().convert("L"), resolution
        finally:
            page.close()

    def _tesseract(self, image: Image.Image, resolution: float, language: str, *options: str) -> str:
        exe = tesseract_path()
        if exe is None:
            raise OSError("tesseract is not installed")
        buffer = io.BytesIO()
        image.save(buffer, format="PPM")  # uncompressed: nothing to spend on encoding
        # Tesseract's OpenMP threads fight each other (and the other workers) for the cores;
        # one thread per page is faster in wall time on a shared machine.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        command = [exe, "stdin", "stdout", "--dpi", str(round(resolution)), "-l", language, *options]
        done = subprocess.run(
            command,
            input=buffer.getvalue(),
            capture_output=True,
            env=env,
            timeout=self.settings.ocr_page_seconds,
            check=False,
        )
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise OSError(f"tesseract exited with {done.returncode}: {message[-1] if message else ''}")
        return done.stdout.decode("utf-8", "replace")

    def _find_marks(self, gray: np.ndarray, lines: list[_Line], resolution: float) -> None:
        """Raised note numbers, read on their own and put on their lines as marks.

        Tesseract drops most superscript figures (small, raised, beside a word), or reads them
        into the word as junk ("safety.'+"), yet they are what ties a note to its text. Ink
        that stands wholly above the baseline, small, just before a line or at a word's end, is
        cut out; all such pieces of a page are read in one call, stacked on one sheet; those
        that read as a number become marks, and the word they were read into is cut short.
        """
        dark = gray < 128
        covered = np.zeros(gray.shape, dtype=bool)
        for line in lines:
            for left, top, right, bottom, _, _ in line.words:
                covered[int(top) : int(bottom) + 1, int(left) : int(right) + 1] = True
        loose = dark & ~covered
        pieces: list[tuple[_Line, int | None, tuple[int, int, int, int]]] = []
        for line in lines:
            size = _line_size(line)
            baseline = _baseline(line)
            top, low = max(0, int(baseline - 0.95 * size)), int(baseline - 0.15 * size)
            foot = int(baseline + 0.05 * size)
            spots: list[tuple[int | None, float, float]] = [
                (None, line.words[0][0] - 2.0 * size, line.words[0][0])
            ]
            spots += [
                (None, w[2], min(w[2] + 0.8 * size, nxt[0]))
                for w, nxt in zip(line.words, [*line.words[1:], (gray.shape[1],) * 6], strict=True)
            ]
            for x0, x1 in ((max(0, int(a)), int(b)) for _, a, b in spots):
                box = _ink_box(loose, x0, x1, top, foot)
                if box is not None and _is_mark(box, low, size):
                    pieces.append((line, None, box))
            for n, w in enumerate(line.words):
                box = _raised_tail(dark, int(w[0]), int(w[2]) + 1, top, low, foot)
                if box is not None and _is_mark(box, low, size):
                    pieces.append((line, n, box))
        if not pieces:
            return
        texts = self._read_pieces(gray, [b for _, _, b in pieces], resolution)
        for (line, n, box), text in zip(pieces, texts, strict=True):
            if text is None:
                continue
            line.marks.append((*map(float, box), text, 50.0))  # type: ignore[arg-type]
            if n is not None:  # the word read the mark in: cut it back to its own letters
                left, top_, right, bottom, word, confidence = line.words[n]
                cut = max(1, round(len(word) * (right - box[0]) / max(1.0, right - left)))
                kept = TRAILING_JUNK.sub("", word[:-cut]) or word
                line.words[n] = (left, top_, min(right, float(box[0])), bottom, kept, confidence)

    def _read_pieces(
        self, gray: np.ndarray, boxes: list[tuple[int, int, int, int]], resolution: float
    ) -> list[str | None]:
        """Read small pieces of a page at once: enlarged, side by side on one line, as digits.

        Tesseract reads a lone glyph poorly but a line of them well; each character it reads
        is given back to the piece its box starts in (the pieces stand far apart). A piece
        that holds no digit (the hook of an "f", a quote) reads as nothing: None.
        """
        margin, scale = 6, 3
        crops = []
        for x0, top, x1, bottom in boxes[:MAX_MARKS]:
            crop = Image.fromarray(
                gray[max(0, top - margin) : bottom + margin, max(0, x0 - margin) : x1 + margin]
            )
            crops.append(crop.resize((crop.width * scale, crop.height * scale), Image.Resampling.LANCZOS))
        gap = max(120, 2 * max(c.width for c in crops))
        height = max(c.height for c in crops) + 40
        sheet = Image.new("L", (sum(c.width for c in crops) + gap * (len(crops) + 1), height), 255)
        spans: list[tuple[float, float]] = []
        x = gap
        for crop in crops:
            sheet.paste(crop, (x, height - 20 - crop.height))  # feet on one line: they are raised alike
            spans.append((x - gap / 2, x + crop.width + gap / 2))
            x += crop.width + gap
        digits = ("--psm", "7", "-c", "tessedit_char_whitelist=0123456789", "makebox")
        found: list[str] = [""] * len(boxes)
        for row in self._tesseract(sheet, resolution * scale, "eng", *digits).splitlines():
            parts = row.split()
            if len(parts) < 2 or not parts[0].isdigit():
                continue
            left = float(parts[1])
            for i, (a, b) in enumerate(spans):
                if a <= left < b:
                    found[i] += parts[0]
        return [text if NOTE_NUMBER.match(text) else None for text in found]

    def _chars(
        self, lines: list[_Line], sx: float, sy: float, page_number: int
    ) -> tuple[list[Obj], list[float]]:
        chars: list[Obj] = []
        confidences: list[float] = []
        measured = [(line, size * sy) for line, size in _paragraph_sizes(lines)]
        # the most common sizes settle first, so the body fixes the sizes others snap to
        for size in sorted({s for _, s in measured}, key=lambda s: _count_near(s, measured), reverse=True):
            self._snap(size)
        for line, size in measured:
            size = self._snap(size)
            baseline = _baseline(line) * sy
            bottom = baseline + DESCENT * size
            top = bottom - size
            for n, (left, _, right, _, text, confidence) in enumerate(line.words):
                confidences.append(confidence)
                if n:  # a real space, so word cuts do not hang on the gap tolerance
                    gap_x0 = line.words[n - 1][2] * sx
                    chars.append(_char(" ", gap_x0, max(gap_x0, left * sx), top, bottom, size, page_number))
                chars.extend(_spread(text, left * sx, right * sx, top, bottom, size, page_number))
            mark_size = self._snap(MARK_SIZE * size)
            for left, _, right, mark_bottom, text, _ in line.marks:
                low = mark_bottom * sy + DESCENT * mark_size
                chars.extend(
                    _spread(text, left * sx, right * sx, low - mark_size, low, mark_size, page_number)
                )
        return chars, confidences

    def _snap(self, size: float) -> float:
        near = [known for known in self._sizes if abs(size - known) <= SIZE_SNAP * known]
        if near:
            return min(near, key=lambda known: abs(size - known))
        size = round(size * 4) / 4  # quarter points: typeset sizes are round
        self._sizes.append(size)
        return size

    def _learn_language(self, text: str) -> None:
        """Once enough words are read, the rest of the document is read in their language."""
        if self._decided:
            return
        self._seen_text.append(text)
        text = " ".join(self._seen_text)
        if len(text.split()) < DETECT_WORDS:
            return
        self._decided = True
        try:
            from ..nlp.language import detect_language
        except ImportError:  # no detector: keep reading with every language
            return
        code = tesseract_language(detect_language(text).code)
        if code is not None:
            self.language = code


def tesseract_language(code: str | None) -> str | None:
    """Tesseract's language(s) for a language tag ("es", "es-MX", "pt_BR"), when installed:
    the language itself, with English beside it for the names and quotes reports carry."""
    if not code:
        return None
    tesseract = TESSERACT_CODES.get(re.split(r"[-_]", code.strip())[0].casefold())
    installed = installed_languages()
    if tesseract is None or tesseract not in installed:
        return None
    return tesseract if tesseract == "eng" or "eng" not in installed else f"{tesseract}+eng"


def declared_language(pdf: pdfplumber.PDF | None) -> str | None:
    """The language a PDF says it is in: its catalog's ``/Lang`` entry ("es-MX"), if any."""
    try:
        from pdfminer.pdftypes import resolve1

        value = resolve1(pdf.doc.catalog.get("Lang")) if pdf is not None else None
    except Exception:  # no catalog, a broken entry: the language is detected instead
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif value is not None and not isinstance(value, str):
        value = getattr(value, "name", None)
    return value.strip() or None if isinstance(value, str) else None


def _tsv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))


def _lines(table: Iterable[dict[str, str]]) -> list[_Line]:
    """Tesseract's TSV rows → its lines of words (legible ones only)."""
    lines: dict[tuple[str, str, str], _Line] = {}
    for row in table:
        if row.get("level") != "5":
            continue
        text = (row.get("text") or "").strip()
        confidence = float(row.get("conf") or -1)
        if not text or confidence < MIN_WORD_CONFIDENCE:
            continue
        left, top = float(row["left"]), float(row["top"])
        right, bottom = left + float(row["width"]), top + float(row["height"])
        key = (row["block_num"], row["par_num"], row["line_num"])
        line = lines.setdefault(key, _Line(paragraph=(row["block_num"], row["par_num"])))
        line.words.append((left, top, right, bottom, text, confidence))
    return list(lines.values())


def _ink_box(ink: np.ndarray, x0: int, x1: int, top: int, bottom: int) -> tuple[int, int, int, int] | None:
    """The box around the ink in a region of the page, or None when it is blank."""
    region = ink[top:bottom, x0:x1]
    if region.size == 0 or not region.any():
        return None
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    return x0 + int(cols[0]), top + int(rows[0]), x0 + int(cols[-1]) + 1, top + int(rows[-1]) + 1


def _is_mark(box: tuple[int, int, int, int], low: int, size: float) -> bool:
    """Ink the size of a raised note number: clear of the baseline, half a letter high or so."""
    height = box[3] - box[1]
    return box[3] <= low and 0.36 * size <= height <= 0.75 * size and box[2] - box[0] <= 2.0 * size


def _raised_tail(
    dark: np.ndarray, x0: int, x1: int, top: int, low: int, foot: int
) -> tuple[int, int, int, int] | None:
    """The ink at a word's right end that stands wholly above the baseline (a superscript).

    Columns are walked from the word's right edge leftwards while none of them has ink near
    the baseline; the tail is what those columns hold.
    """
    near_base = dark[low:foot, x0:x1].any(axis=0)
    grounded = np.flatnonzero(near_base)
    if grounded.size == 0:
        return None
    start = x0 + int(grounded[-1]) + 1
    if start >= x1:
        return None
    return _ink_box(dark, start, x1, top, low)


def _spread(text: str, x0: float, x1: float, top: float, bottom: float, size: float, page: int) -> list[Obj]:
    """A word's characters, its box shared out evenly among them."""
    step = (x1 - x0) / len(text)
    return [
        _char(ch, x0 + i * step, x0 + (i + 1) * step, top, bottom, size, page) for i, ch in enumerate(text)
    ]


def _char(text: str, x0: float, x1: float, top: float, bottom: float, size: float, page: int) -> Obj:
    return {
        "text": text,
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "size": size,
        "fontname": OCR_FONT,
        "upright": True,
        "page_number": page,
        "width": x1 - x0,
        "height": bottom - top,
    }


def _word_size(top: float, bottom: float, text: str) -> float | None:
    """Font size (pixels) a word's ink height implies, given the letters it holds."""
    letters = [c for c in text if c.isalnum()]
    if not letters:
        return None
    up = ASCENT if any(c.isupper() or c in ASCENDERS for c in letters) else X_HEIGHT
    down = DESCENT if any(c in DESCENDERS for c in text) else 0.0
    return (bottom - top) / (up + down)


def _line_size(line: _Line) -> float:
    sizes = [s for w in line.words if (s := _word_size(w[1], w[3], w[4])) is not None]
    if not sizes:
        return statistics.median(w[3] - w[1] for w in line.words)
    return statistics.median(sizes)


def _paragraph_sizes(lines: list[_Line]) -> list[tuple[_Line, float]]:
    """Each line's size in pixels, measured over its whole paragraph.

    One line's words are few, and their ink heights vary with the letters they hold (an
    address of slashes and capitals reads a size too big); a paragraph is set in one type,
    so its lines take the size all its words give together. A line is in its paragraph's type
    when its own size is near it, or when it stands from the line above at the paragraph's
    line spacing. A first line far from the paragraph's size and spacing (a heading the engine
    ran into the text below it) keeps its own: that is what sets notes apart from the body.
    """
    by_paragraph: dict[tuple[str, str], list[_Line]] = {}
    for line in lines:
        by_paragraph.setdefault(line.paragraph, []).append(line)
    sized: dict[int, float] = {}
    for members in by_paragraph.values():
        members.sort(key=_baseline)
        sizes = [s for line in members for w in line.words if (s := _word_size(w[1], w[3], w[4])) is not None]
        common = statistics.median(sizes) if sizes else None
        baselines = [_baseline(line) for line in members]
        steps = [b - a for a, b in itertools.pairwise(baselines)]
        pitch = statistics.median(steps[1:] or steps) if steps else None
        for n, line in enumerate(members):
            own = _line_size(line)
            sized[id(line)] = own
            if common is None or pitch is None:
                continue
            if n == 0 and len(steps) > 1 and steps[0] > (1 + PARAGRAPH_SPREAD) * pitch:
                continue  # set apart from the lines under it: a heading, in a type of its own
            near = abs(own - common) <= PARAGRAPH_SPREAD * common
            spaced = n > 0 and abs(steps[n - 1] - pitch) <= PARAGRAPH_SPREAD * pitch
            if near or spaced:
                sized[id(line)] = common
    return [(line, sized[id(line)]) for line in lines]


def _baseline(line: _Line) -> float:
    """Pixels: where the words without descenders stand (else the descenders' foot less one)."""
    standing = [w[3] for w in line.words if not any(c in DESCENDERS for c in w[4])]
    if standing:
        return statistics.median(standing)
    size = _line_size(line)
    return statistics.median(w[3] for w in line.words) - DESCENT * size


def _count_near(size: float, measured: list[tuple[_Line, float]]) -> int:
    return sum(
        sum(len(w[4]) for w in line.words) for line, s in measured if abs(s - size) <= SIZE_SNAP * size
    )


def image_rules(gray: np.ndarray, sx: float, sy: float, page_height: float, resolution: float) -> list[Obj]:
    """Horizontal and vertical rules drawn in a page image, as pdfplumber-style rectangles.

    A rule is a run of dark pixels at least 36 pt long and at most 3 pt thick: text never
    makes one (letters are short runs); footnote rules, table rules and underlines do.
    """
    dark = gray < 128
    min_len = int(36 * resolution / 72)
    max_thick = max(2, int(3 * resolution / 72))
    rules: list[Obj] = []
    for vertical in (False, True):
        grid = dark.T if vertical else dark
        runs = _long_runs(grid, min_len)
        for a, b, first, last in _stack_runs(runs, max_thick):
            if vertical:
                x0, x1, top, bottom = first * sx, (last + 1) * sx, a * sy, b * sy
            else:
                x0, x1, top, bottom = a * sx, b * sx, first * sy, (last + 1) * sy
            corners = [(x0, top), (x1, top), (x1, bottom), (x0, bottom)]
            rules.append(stroke_record("rect", corners, page_height))
    return rules


def _long_runs(grid: np.ndarray, min_len: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of every run of True at least ``min_len`` long."""
    padded = np.zeros((grid.shape[0], grid.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = grid
    edges = np.diff(padded, axis=1)
    starts = np.argwhere(edges == 1)
    ends = np.argwhere(edges == -1)
    lengths = ends[:, 1] - starts[:, 1]
    keep = lengths >= min_len
    return [(int(r), int(s), int(e)) for (r, s), (_, e) in zip(starts[keep], ends[keep], strict=True)]


def _stack_runs(runs: list[tuple[int, int, int]], max_thick: int) -> list[tuple[int, int, int, int]]:
    """Runs on consecutive rows that overlap are one rule: (start, end, first row, last row).

    A stack thicker than ``max_thick`` rows is a filled area (a picture, a shaded box), not a rule.
    """
    open_: list[list[int]] = []  # [start, end, first, last]
    done: list[list[int]] = []
    for row, s, e in runs:
        for item in open_:
            if item[3] == row - 1 and s < item[1] and e > item[0]:
                item[0], item[1], item[3] = min(item[0], s), max(item[1], e), row
                break
        else:
            open_.append([s, e, row, row])
        still = []
        for item in open_:
            (still if item[3] >= row - 1 else done).append(item)
        open_ = still
    done.extend(open_)
    return [(s, e, f, la) for s, e, f, la in done if la - f + 1 <= max_thick]


