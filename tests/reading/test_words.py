"""Words of a page: what is kept of them while a document is laid out."""

from __future__ import annotations

import math

from pipeline.config import ReadingSettings
from pipeline.reading.content import Obj, PageContent
from pipeline.reading.words import page_words


def _chars(text: str, x: float, top: float, size: float = 10.0) -> list[Obj]:
    chars = []
    for ch in text:
        # a new float object per character, as a backend makes them
        chars.append(
            {
                "text": ch,
                "x0": x,
                "x1": x + 5.0,
                "top": float(str(top)),
                "bottom": float(str(top + size)),
                "size": float(str(size)),
                "fontname": "Times-Roman",
                "upright": True,
            }
        )
        x += 5.0
    return chars


def test_words_of_a_line_share_their_top_bottom_and_size() -> None:
    chars = _chars("one two", 10.0, 100.0)
    page = PageContent(1, 600.0, 800.0, chars=[c for c in chars if c["text"] != " "])
    first, second = page_words(page, ReadingSettings())
    assert (first.text, second.text) == ("one", "two")
    assert first.top is second.top and first.bottom is second.bottom and first.size is second.size


def test_a_shared_zero_keeps_its_sign() -> None:
    # 0.0 == -0.0: a word at -0.0 must not take the 0.0 of another (or print as 0.0)
    chars = [*_chars("ab", 10.0, 0.0), *_chars("cd", 100.0, -0.0)]
    words = page_words(PageContent(1, 600.0, 800.0, chars=chars), ReadingSettings())
    signs = {w.text: math.copysign(1.0, w.top) for w in words}
    assert signs == {"ab": 1.0, "cd": -1.0}
