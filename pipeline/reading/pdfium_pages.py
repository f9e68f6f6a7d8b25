"""Page content read through PDFium (pypdfium2): several times faster than pdfminer.

pdfminer interprets every content stream in Python (most of the reading time); PDFium does
it in C, and the few values the reader needs per character cost three ctypes calls. The
records come out in pdfplumber's shape and frame (see :mod:`pipeline.reading.content`),
made to agree with what pdfminer gives for the same page:

* A character's box is pdfminer's: from its origin to the end of its advance width, one em
  tall above the font's descent line (the AFM descent for the 14 standard fonts, as pdfminer
  takes it). PDFium's own "loose" box widens to the glyph where a glyph overhangs ("f", "(",
  italics), and its tight box makes "a" shorter than "d": either would unsettle word gaps and
  baseline grouping.
* ``size`` is the font size times the text matrix's vertical scale, as pdfminer measures it.
* Characters PDFium invents (spaces where it sees a gap, line breaks) are dropped; a line-end
  hyphen that PDFium marks with ``\\x02`` is a hyphen again; the pieces PDFium makes of a
  ligature glyph ("ﬁ" as "f" + "i" at one origin) are one character again, so they are not
  mistaken for a glyph printed twice.
* A character with no Unicode mapping becomes U+FFFD (pdfminer writes "(cid:N)"), so the
  text-layer check still counts it as garbage.
* A figure drawn with a font's own superscript glyph (a note marker set at full size, with no
  rise) is marked ``raised``: its ink is small and clear of the baseline. pdfminer cannot
  tell, and gives no such key.
* Lines, rectangles and curves are told apart from path segments the way pdfminer does it,
  with Form XObjects flattened and /Rotate and the MediaBox origin applied like pdfplumber.

Known differences: font names come without the subset prefix ("ABCDEF+"); PDFium drops a text
object drawn again at the same place (fake bold) and some real spaces (a run of several, or
one narrower than a normal word gap), where pdfminer keeps them; a glyph without a mapping in
a font whose first character has one is only caught if it decodes to a control or
private-use code.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import re
import sys
import threading
from collections.abc import Callable
from ctypes import POINTER, byref, c_char_p, c_double, c_float, c_int, c_size_t, c_uint, c_ulong, c_void_p
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.fontmetrics import FONT_METRICS

from .content import Affine, Obj, PageContent

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
SAME_POINT = 1e-3
"""Path points closer than this (pt) are one point: PDFium keeps them as 32-bit floats."""


def _bind(name: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
    """PDFium's C function ``name`` with plain argument types.

    pypdfium2's own bindings wrap every handle in a typed pointer object; in a loop over
    thousands of characters, passing handles as plain integers halves the cost of a call.
    """
    address = ctypes.cast(getattr(pdfium_c, name), c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_Rect = pdfium_c.FS_RECTF
_MatrixStruct = pdfium_c.FS_MATRIX

_count_chars = _bind("FPDFText_CountChars", c_int, c_void_p)
_get_text = _bind("FPDFText_GetText", c_int, c_void_p, c_int, c_int, c_void_p)
_get_unicode = _bind("FPDFText_GetUnicode", c_uint, c_void_p, c_int)
_is_generated = _bind("FPDFText_IsGenerated", c_int, c_void_p, c_int)
_has_map_error = _bind("FPDFText_HasUnicodeMapError", c_int, c_void_p, c_int)
_char_box = _bind("FPDFText_GetCharBox", c_int, c_void_p, c_int, *[POINTER(c_double)] * 4)
_loose_box = _bind("FPDFText_GetLooseCharBox", c_int, c_void_p, c_int, POINTER(_Rect))
_text_object = _bind("FPDFText_GetTextObject", c_void_p, c_void_p, c_int)
_char_matrix = _bind("FPDFText_GetMatrix", c_int, c_void_p, c_int, POINTER(_MatrixStruct))
_font_size = _bind("FPDFText_GetFontSize", c_double, c_void_p, c_int)
_char_origin = _bind("FPDFText_GetCharOrigin", c_int, c_void_p, c_int, c_void_p, c_void_p)
"""Takes the addresses of two doubles: plain integers pass faster than ``byref`` objects."""
_glyph_width = _bind("FPDFFont_GetGlyphWidth", c_int, c_void_p, c_uint, c_float, POINTER(c_float))
_font_is_embedded = _bind("FPDFFont_GetIsEmbedded", c_int, c_void_p)
_font_descent = _bind("FPDFFont_GetDescent", c_int, c_void_p, c_float, POINTER(c_float))
_text_font = _bind("FPDFTextObj_GetFont", c_void_p, c_void_p)
_base_font_name = _bind("FPDFFont_GetBaseFontName", c_size_t, c_void_p, c_char_p, c_size_t)

_count_objects = _bind("FPDFPage_CountObjects", c_int, c_void_p)
_get_object = _bind("FPDFPage_GetObject", c_void_p, c_void_p, c_int)
_count_form_objects = _bind("FPDFFormObj_CountObjects", c_int, c_void_p)
_get_form_object = _bind("FPDFFormObj_GetObject", c_void_p, c_void_p, c_ulong)
_object_type = _bind("FPDFPageObj_GetType", c_int, c_void_p)
_object_matrix = _bind("FPDFPageObj_GetMatrix", c_int, c_void_p, POINTER(_MatrixStruct))
_count_segments = _bind("FPDFPath_CountSegments", c_int, c_void_p)
_get_segment = _bind("FPDFPath_GetPathSegment", c_void_p, c_void_p, c_int)
_segment_point = _bind("FPDFPathSegment_GetPoint", c_int, c_void_p, POINTER(c_float), POINTER(c_float))
_segment_type = _bind("FPDFPathSegment_GetType", c_int, c_void_p)
_segment_closes = _bind("FPDFPathSegment_GetClose", c_int, c_void_p)

_PATH, _IMAGE, _FORM = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM
_MOVE, _BEZIER = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_BEZIERTO
_MAX_FORM_DEPTH = 15
"""Form XObjects nested deeper than this are not looked into (a loop guard, as in pypdfium2)."""
_MAY_BE_GENERATED = frozenset(" \r\n\t\x00")
_SURROGATE = re.compile("[\ud800-\udfff]")
_HYPHEN_MARKS = frozenset("\x02\ufffe")
"""How PDFium marks a hyphen at the end of a line (per character, and in bulk text)."""
_DIGITS = frozenset("0123456789")


def _handle(obj: Any) -> int:
    """The address behind a pypdfium2 handle object."""
    return int(ctypes.cast(obj.raw, c_void_p).value or 0)


PDFIUM_LOCK = threading.RLock()
"""PDFium is not thread-safe, not even across documents, and the threads of a Dask worker may
read documents at once: every call into it from here is made holding this lock."""


class PdfiumPages:
    """An open PDF whose pages are read with PDFium; use as a context manager.

    Raises what pypdfium2 raises (``PdfiumError``) when the file cannot be opened.
    """

    def __init__(self, path: str | Path, password: str | None = None) -> None:
        with PDFIUM_LOCK:
            self._pdf = pdfium.PdfDocument(str(path), password=password or None)

    def __len__(self) -> int:
        with PDFIUM_LOCK:
            return len(self._pdf)

    def content(self, index: int, turn: int = 0) -> PageContent:
        """Characters, strokes and pictures of page ``index`` (0-based), the page turned by
        ``turn`` degrees clockwise beyond its own /Rotate (see :meth:`upright_content`)."""
        with PDFIUM_LOCK:
            page = self._pdf[index]
            try:
                frame = _Frame.of(page, turn)
                content = PageContent(index + 1, frame.width, frame.height)
                if turn % 360:
                    content.turn = turn % 360
                    content.to_page = frame.map_to(_Frame.of(page))
                textpage = page.get_textpage()
                try:
                    content.chars = _CharReader(_handle(textpage), frame).chars()
                finally:
                    textpage.close()
                _walk_objects(_handle(page), frame, content)
                return content
            finally:
                page.close()

    def upright_content(self, index: int) -> PageContent:
        """:meth:`content`, turned a quarter where most of the page's text runs sideways.

        A table set sideways on an upright page (or a landscape page whose /Rotate leaves its
        text running down the page) is read as a person reads it, the page turned so its text
        stands upright: otherwise its words, all sideways, would not be read at all. Of the two
        quarter turns that make the text upright, the one in which it runs left to right.
        """
        content = self.content(index)
        if sum(not c["upright"] for c in content.chars) < SIDEWAYS_MIN_CHARS:
            return content  # nearly every page: no text, or hardly any, runs sideways
        visible = [c for c in content.chars if c["text"].strip()]
        sideways = sum(not c["upright"] for c in visible)
        if sideways < SIDEWAYS_MIN_CHARS or sideways <= len(visible) / 2:
            return content
        turned = [self.content(index, turn) for turn in (90, 270)]
        best = max(turned, key=_reads_left_to_right)
        upright = sum(c["upright"] for c in best.chars if c["text"].strip())
        return best if upright > len(visible) - sideways else content

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._pdf.close()

    def __enter__(self) -> PdfiumPages:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------- page frame


class _Frame:
    """PDF user space → pdfplumber's page frame.

    pdfminer turns the page by /Rotate and moves the MediaBox corner to the origin; pdfplumber
    then measures ``top`` down from the top and adds the MediaBox's x0 back. Reproduced here
    so boxes from both backends coincide (and debug images line up).
    """

    def __init__(self, rotation: int, mediabox: tuple[float, float, float, float]) -> None:
        x0, y0, x1, y1 = mediabox
        # pdfminer's device transform for each /Rotate
        turns: dict[int, Matrix] = {
            0: (1, 0, 0, 1, -x0, -y0),
            90: (0, -1, 1, 0, -y0, x1),
            180: (-1, 0, 0, -1, x1, y1),
            270: (0, 1, -1, 0, y1, -x0),
        }
        self.rotation: Matrix = turns.get(rotation % 360, turns[0])
        sideways = rotation % 180 == 90
        self.width = float(y1 - y0 if sideways else x1 - x0)
        self.height = float(x1 - x0 if sideways else y1 - y0)
        shift_x, shift_top = (y0, -x0) if sideways else (x0, -y0)
        a, b, c, d, e, f = self.rotation
        # x = dev_x + shift_x; top = height - dev_y + shift_top, folded into one affine map
        self.xx, self.xy, self.x_off = float(a), float(c), e + shift_x
        self.tx, self.ty, self.t_off = float(-b), float(-d), self.height - f + shift_top

    @classmethod
    def of(cls, page: pdfium.PdfPage, turn: int = 0) -> _Frame:
        left, bottom, right, top = page.get_mediabox()
        box = (min(left, right), min(bottom, top), max(left, right), max(bottom, top))
        return cls((page.get_rotation() + turn) % 360, box)

    def point(self, x: float, y: float) -> tuple[float, float]:
        """(x, top) in pdfplumber's frame."""
        return self.xx * x + self.xy * y + self.x_off, self.tx * x + self.ty * y + self.t_off

    def map_to(self, other: _Frame) -> Affine:
        """The affine map (a, b, c, d, e, f) of :attr:`PageContent.to_page` from this frame's
        (x, top) to ``other``'s: back to user space through this frame, then into the other."""
        det = self.xx * self.ty - self.xy * self.tx
        # user space from (x, top): the inverse of this frame's 2×2 part, after its offsets
        ia, ib = self.ty / det, -self.xy / det
        ic, id_ = -self.tx / det, self.xx / det
        ue, uf = -(ia * self.x_off + ib * self.t_off), -(ic * self.x_off + id_ * self.t_off)
        a = other.xx * ia + other.xy * ic
        b = other.xx * ib + other.xy * id_
        c = other.tx * ia + other.ty * ic
        d = other.tx * ib + other.ty * id_
        e = other.xx * ue + other.xy * uf + other.x_off
        f = other.tx * ue + other.ty * uf + other.t_off
        return (a, b, c, d, e, f)


SIDEWAYS_MIN_CHARS = 20
"""A page turns only when most of its text runs sideways, and at least this many characters do
(a rotated axis label or a margin note turns no page)."""


def _reads_left_to_right(content: PageContent) -> int:
    """How many more neighbouring characters of a line follow each other rightwards than
    leftwards: text turned the right way round reads left to right, upside down it does not."""
    balance = 0
    chars = [c for c in content.chars if c["upright"] and c["text"].strip()]
    for before, after in itertools.pairwise(chars):
        size = max(before["size"], 1.0)
        step = after["x0"] - before["x0"]
        if abs(after["top"] - before["top"]) < 0.5 * size and 0 < abs(step) < 2 * size:
            balance += 1 if step > 0 else -1
    return balance


# --------------------------------------------------------------------------- characters


def _page_text(textpage: int, count: int) -> str | None:
    """All characters' text in one call; None if it does not map one-to-one onto characters."""
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    _get_text(textpage, 0, count, buffer)
    text = buffer.raw[: count * 2].decode("utf-16-le", errors="surrogatepass")
    # a character beyond the BMP is two UTF-16 units here but one character to PDFium
    return text if len(text) == count and not _SURROGATE.search(text) else None


class _Style:
    """What all characters of one text object share."""

    __slots__ = ("advance_scale", "descent", "font", "fontname", "size", "unmapped", "upright")

    def __init__(
        self,
        font: int,
        fontname: str,
        size: float,
        upright: bool,
        descent: float,
        advance_scale: float,
        unmapped: bool = False,
    ) -> None:
        self.font, self.fontname, self.size, self.upright = font, fontname, size, upright
        self.unmapped = unmapped
        """The object's first character has no Unicode mapping: check every character."""
        self.descent = descent
        """Points from the baseline down to the font's descent line, at this size."""
        self.advance_scale = advance_scale
        """A glyph width in 1/1000 em → its advance across the page as shown, in points."""


def _style(textpage: int, index: int, text_object: int, frame: _Frame) -> _Style:
    m = _MatrixStruct()
    _char_matrix(textpage, index, byref(m))
    ra, rb, rc, rd = frame.rotation[:4]
    # the character's matrix as the page is shown (pdfminer composes it with the rotation)
    a, b = m.a * ra + m.b * rc, m.a * rb + m.b * rd
    c, d = m.c * ra + m.d * rc, m.c * rb + m.d * rd
    upright = a * d > 0 and b * c <= 0
    em = _font_size(textpage, index)
    size = round(em * abs(d) if upright else em * math.hypot(b, d), 4)
    font = (_text_font(text_object) if text_object else None) or 0
    name, descent = "", 0.0
    if font:
        buffer = ctypes.create_string_buffer(256)
        length = _base_font_name(font, buffer, 256)
        # one string per font for the whole document: every word keeps its font's name
        name = sys.intern(buffer.raw[: max(0, min(length, 256) - 1)].decode("utf-8", errors="replace"))
        standard = None if _font_is_embedded(font) else FONT_METRICS.get(name)
        value = c_float()
        if standard is not None:  # pdfminer measures the 14 standard fonts by their AFM files
            descent = -abs(float(standard[0].get("Descent", 0))) * size / 1000
        elif _font_descent(font, c_float(size), byref(value)):
            descent = -abs(value.value)
    return _Style(font, name, size, upright, descent, em * a / 1000, bool(_has_map_error(textpage, index)))


class _CharReader:
    """Reads the characters of one text page; keeps what is shared across them."""

    def __init__(self, textpage: int, frame: _Frame) -> None:
        self.textpage = textpage
        self.frame = frame
        self.styles: dict[int, _Style] = {}
        self.advances: dict[int, dict[str, float]] = {}
        """Advance width (1/1000 em) per font and character; 0 where the loose box is to be used."""
        self._box = _Rect()
        self._glyph = (c_double(), c_double(), c_double(), c_double())

    def style(self, index: int, text_object: int) -> _Style:
        style = self.styles.get(text_object)
        if style is None:
            style = self.styles[text_object] = _style(self.textpage, index, text_object, self.frame)
        return style

    def loose_box(self, index: int) -> tuple[float, float, float, float]:
        """PDFium's loose box as the page is shown (x0, top, x1, bottom).

        PDFium widens it to the glyph where the glyph overhangs its advance ("f", "(", most
        italics), which pdfminer's box does not.
        """
        box = self._box
        _loose_box(self.textpage, index, byref(box))
        return self._shown(box.left, box.bottom, box.right, box.top)

    def _shown(self, left: float, low: float, right: float, high: float) -> tuple[float, float, float, float]:
        (xa, ta), (xb, tb) = self.frame.point(left, low), self.frame.point(right, high)
        return min(xa, xb), min(ta, tb), max(xa, xb), max(ta, tb)

    def advance(self, index: int, style: _Style, ch: str, x0: float) -> float:
        """The advance width (1/1000 em) of ``ch`` in this style's font, or 0: use the loose box.

        Looked up once per font and character and checked against the loose box:
        ``FPDFFont_GetGlyphWidth`` maps the character back to a code of the font, which can be
        another code than the one printed (TeX fonts have two hyphens); a width that disagrees
        with the loose box is only trusted where the glyph itself overhangs that box.
        """
        widths = self.advances.setdefault(style.font, {})
        width = widths.get(ch)
        if width is None:
            if self._ligature_piece(index):
                return 0.0  # its box is the whole ligature's: no measure of this character
            width = 0.0
            value = c_float()
            found = style.font and len(ch) == 1 and _glyph_width(style.font, ord(ch), 1000.0, byref(value))
            if found:
                loose_x1 = self.loose_box(index)[2]
                advance_x1 = x0 + value.value * style.advance_scale
                if value.value > 0 and abs(advance_x1 - loose_x1) <= 0.05:
                    width = value.value
                elif value.value > 0 and x0 < advance_x1 < loose_x1:
                    left, right, low, high = self._glyph
                    _char_box(self.textpage, index, byref(left), byref(right), byref(low), byref(high))
                    if self._shown(left.value, low.value, right.value, high.value)[2] >= loose_x1 - 0.01:
                        width = value.value
            widths[ch] = width
        return width

    def raised_glyph(self, index: int, baseline: float, size: float) -> bool:
        """Is the glyph a superscript form (a font's own raised figure, "Strategy,¹" set as
        "Strategy,1" at full size)? Its ink is small and stands clear of the baseline."""
        left, right, low, high = self._glyph
        _char_box(self.textpage, index, byref(left), byref(right), byref(low), byref(high))
        _x0, top, _x1, bottom = self._shown(left.value, low.value, right.value, high.value)
        return baseline - bottom > 0.2 * size and 0 < bottom - top < 0.5 * size

    def _ligature_piece(self, index: int) -> bool:
        """Does the next character come from the same glyph (PDFium splits "ﬁ" into "f" + "i")?"""
        if index + 1 >= _count_chars(self.textpage):
            return False
        here, after = (c_double * 2)(), (c_double * 2)()
        _char_origin(self.textpage, index, ctypes.addressof(here), ctypes.addressof(here) + 8)
        _char_origin(self.textpage, index + 1, ctypes.addressof(after), ctypes.addressof(after) + 8)
        same_object = _text_object(self.textpage, index) == _text_object(self.textpage, index + 1)
        return same_object and tuple(here) == tuple(after)

    def chars(self) -> list[Obj]:
        textpage = self.textpage
        count = _count_chars(textpage)
        if count <= 0:
            return []
        text = _page_text(textpage, count) or [chr(_get_unicode(textpage, i)) for i in range(count)]
        frame = self.frame
        origin = (c_double * 2)()
        ox_address = ctypes.addressof(origin)
        oy_address = ox_address + ctypes.sizeof(c_double)
        # the two doubles read through a memoryview: unpacking the ctypes array itself costs
        # several times more, once per character
        origin_xy = memoryview(origin).cast("B").cast("d")
        xx, xy, x_off, tx, ty, t_off = frame.xx, frame.xy, frame.x_off, frame.tx, frame.ty, frame.t_off
        has_map_error, text_object_of, origin_of = _has_map_error, _text_object, _char_origin
        may_be_generated, hyphen_marks = _MAY_BE_GENERATED, _HYPHEN_MARKS
        chars: list[Obj] = []
        last: Obj | None = None
        last_x = last_y = 0.0
        # the hot loop of the reading stage: a few C calls and one dict per character; what a
        # text object's characters share is held in locals while its characters come in a row
        current = -1
        style = _Style(0, "", 0.0, True, 0.0, 0.0)
        widths: dict[str, float] = {}
        upright, size, descent, fontname, advance_scale = True, 0.0, 0.0, "", 0.0
        unmapped_font = True
        for i, ch in enumerate(text):
            if ch in may_be_generated and _is_generated(textpage, i):
                continue
            text_object = text_object_of(textpage, i) or 0
            origin_of(textpage, i, ox_address, oy_address)
            x, y = origin_xy
            if text_object != current:
                style = self.style(i, text_object)
                widths = self.advances.setdefault(style.font, {})
                upright, size, descent = style.upright, style.size, style.descent
                fontname, advance_scale = style.fontname, style.advance_scale
                unmapped_font = style.unmapped
            if ch in hyphen_marks:
                ch = "-"
            # a character without a Unicode mapping: looked for wherever the font's first
            # character lacked one, and wherever the text is a control or private-use code
            elif (unmapped_font or ch < " " or "\ue000" <= ch <= "\uf8ff") and has_map_error(textpage, i):
                ch = "\ufffd"
            if text_object == current and x == last_x and y == last_y and last is not None:
                last["text"] += ch  # another piece of one ligature glyph
                last["x1"] = self.loose_box(i)[2]
                continue
            current, last_x, last_y = text_object, x, y
            if upright:
                # pdfminer's box: origin to advance, one em tall above the font's descent line
                x0 = xx * x + xy * y + x_off
                bottom = tx * x + ty * y + t_off - descent
                width = widths.get(ch)
                if width is None:
                    width = self.advance(i, style, ch, x0)
                x1 = x0 + width * advance_scale if width else self.loose_box(i)[2]
                top = bottom - size
                last = {
                    "text": ch,
                    "x0": x0,
                    "x1": x1,
                    "top": top,
                    "bottom": bottom,
                    "doctop": top,
                    "size": size,
                    "fontname": fontname,
                    "upright": True,
                    "raised": ch in _DIGITS and self.raised_glyph(i, bottom + descent, size),
                }
            else:  # turned text: pdfminer's "size" is then the box's height on the page
                x0, top, x1, bottom = self.loose_box(i)
                last = {
                    "text": ch,
                    "x0": x0,
                    "x1": x1,
                    "top": top,
                    "bottom": bottom,
                    "doctop": top,
                    "size": round(bottom - top, 4),
                    "fontname": fontname,
                    "upright": False,
                    "raised": False,
                }
            chars.append(last)
        return chars


# --------------------------------------------------------------------------- strokes and pictures


def _matrix_of(obj: int) -> Matrix:
    m = _MatrixStruct()
    if not _object_matrix(obj, byref(m)):
        return IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _then(first: Matrix, second: Matrix) -> Matrix:
    """Apply ``first``, then ``second`` (PDF's row-vector order)."""
    a, b, c, d, e, f = first
    p, q, r, s, t, u = second
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _walk_objects(page: int, frame: _Frame, content: PageContent) -> None:
    """Paths become lines, rectangles or curves; any image anywhere marks the page as pictured."""
    stack: list[tuple[int, bool, Matrix, int]] = [(page, False, IDENTITY, 0)]
    while stack:
        container, is_form, outer, depth = stack.pop()
        count = _count_form_objects(container) if is_form else _count_objects(container)
        for i in range(count):
            obj = _get_form_object(container, i) if is_form else _get_object(container, i)
            if not obj:
                continue
            kind = _object_type(obj)
            if kind == _PATH:
                _add_path(obj, _then(_matrix_of(obj), outer), frame, content)
            elif kind == _IMAGE:
                content.has_images = True
            elif kind == _FORM and depth < _MAX_FORM_DEPTH:
                stack.append((obj, True, _then(_matrix_of(obj), outer), depth + 1))


def _subpaths(path: int, matrix: Matrix, frame: _Frame) -> list[tuple[str, list[tuple[float, float]]]]:
    """(operators, points) per subpath, in pdfminer's notation: m, l, c and h for a close.

    A Bézier curve is three PDFium segments but one ``c`` whose point is its end point.
    Points are in pdfplumber's frame.
    """
    a, b, c, d, e, f = matrix
    x_ref, y_ref = c_float(), c_float()
    x_ptr, y_ptr = byref(x_ref), byref(y_ref)
    out: list[tuple[str, list[tuple[float, float]]]] = []
    ops: list[str] = []
    pts: list[tuple[float, float]] = []
    pending_curve = 0
    for i in range(_count_segments(path)):
        segment = _get_segment(path, i)
        if not segment:
            continue
        kind = _segment_type(segment)
        _segment_point(segment, x_ptr, y_ptr)
        x, y = x_ref.value, y_ref.value
        point = frame.point(a * x + c * y + e, b * x + d * y + f)
        if kind == _MOVE:
            if ops:
                out.append(("".join(ops), pts))
            ops, pts, pending_curve = ["m"], [point], 0
            if _segment_closes(segment):  # a dot: pdfminer keeps it as a curve of one point twice
                ops, pts = ["m", "h"], [point, point]
            continue
        if not ops:  # a path must start with a move; pdfminer ignores one that does not
            continue
        if kind == _BEZIER:
            pending_curve += 1
            if pending_curve < 3:
                continue  # control points: pdfminer keeps only the end point
            pending_curve = 0
            ops.append("c")
        else:
            ops.append("l")
        pts.append(point)
        if _segment_closes(segment):
            if ops[-1] == "l" and _same(pts[-1], pts[0]):
                ops[-1] = "h"  # PDFium closes with a line back to the start: pdfminer's "h"
            else:
                ops.append("h")
                pts.append(pts[0])
    if ops:
        out.append(("".join(ops), pts))
    return out


def _same(p: tuple[float, float], q: tuple[float, float]) -> bool:
    return abs(p[0] - q[0]) <= SAME_POINT and abs(p[1] - q[1]) <= SAME_POINT


def _add_path(path: int, matrix: Matrix, frame: _Frame, content: PageContent) -> None:
    """One painted path → pdfminer's LTLine / LTRect / LTCurve records, subpath by subpath."""
    for shape, pts in _subpaths(path, matrix, frame):
        if len(shape) > 3 and shape.endswith("lh") and _same(pts[-2], pts[0]):
            shape = shape[:-2] + "h"  # a redundant line back to the start before the close
            pts = pts[:-2] + pts[-1:]
        if shape in ("ml", "mlh"):
            content.lines.append(stroke_record("line", pts[:2], content.height))
        elif shape in ("mlllh", "mllll") and _is_box(pts):
            content.rects.append(stroke_record("rect", pts[:4], content.height))
        elif len(pts) >= 2:
            content.curves.append(stroke_record("curve", pts, content.height))


def _is_box(pts: list[tuple[float, float]]) -> bool:
    """Four sides, closed, each parallel to an axis: a rectangle to pdfminer."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3), last = pts

    def eq(u: float, v: float) -> bool:
        return abs(u - v) <= SAME_POINT

    closed = _same(pts[0], last)
    square = (eq(x0, x1) and eq(y1, y2) and eq(x2, x3) and eq(y3, y0)) or (
        eq(y0, y1) and eq(x1, x2) and eq(y2, y3) and eq(x3, x0)
    )
    return closed and square


def stroke_record(kind: str, pts: list[tuple[float, float]], page_height: float) -> Obj:
    """A pdfplumber-style stroke record; coordinates snapped so a level line has top == bottom."""
    snapped = [(round(x, 3), round(top, 3)) for x, top in pts]
    xs = [p[0] for p in snapped]
    tops = [p[1] for p in snapped]
    x0, x1, top, bottom = min(xs), max(xs), min(tops), max(tops)
    return {
        "object_type": kind,
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "y0": page_height - bottom,
        "y1": page_height - top,
        "width": x1 - x0,
        "height": bottom - top,
        "pts": snapped,
    }
