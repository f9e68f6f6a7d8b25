"""Ordered lines → blocks (paragraphs, headings, captions, list items) with clean text.

Text assembly is where the reader earns its keep: footnote markers are lifted out of the
words they follow (``2009⁴³`` → "2009" + note 43), hyphenation at line ends is joined unless
the document itself spells the word with a hyphen, and every line keeps its page and box as
a fragment so any later span can be traced back.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from ..document import BlockKind, Fragment
from ..nlp.word_frequencies import LANGUAGES, is_frequent
from .layout import TERMINAL, Line, font_family

CAPTION_START = re.compile(
    r"^(figure|fig\.|table|box|chart|graph|map|graphic|exhibit)\s*[0-9IVX]+[.:]?", re.I
)
ASIDE_START = re.compile(r"^(sources?|notes?|credits?|photo)\s*:|^\*\s*\w", re.I)
BULLET = re.compile(r"^[•●▪◦‣∙·]$")
LIST_START = re.compile(r"^([•●▪◦‣∙·–—-]|\(?\d{1,2}[.)]|\(?[a-z][.)]|\([ivx]+\))$")
INLINE_ENUMERATOR = re.compile(r"^\((?:[ivx]+|[a-h]|\d{1,2})\)$")
URL_START = re.compile(r"https?://|^<?www\.|^<http")
URL_CHARS = re.compile(r"[/_%=&?~#>]|\.\w")
MARKER = re.compile(r"^\d{1,3}(,\d{1,3})*$")
HYPHENS = "-\u2010\u2011"
"""Hyphen-minus, Unicode hyphen and non-breaking hyphen: typesetters break words with any."""
SOFT_HYPHEN = "\u00ad"
"""Shown only where a word is broken at a line end: always a break, never part of the word."""


@dataclass
class RawBlock:
    lines: list[Line]
    kind: BlockKind | Literal["aside"] = "paragraph"
    """"aside": sources, notes and credits of figures, kept out of the body text."""

    @property
    def first(self) -> Line:
        return self.lines[0]

    @property
    def boxed(self) -> bool:
        """A sidebar's block (its lines never share a block with the body's)."""
        return self.lines[0].boxed

    @property
    def last(self) -> Line:
        return self.lines[-1]


@dataclass
class AssembledText:
    text: str
    notes: list[int] = field(default_factory=list)
    note_offsets: list[int] = field(default_factory=list)
    fragments: list[Fragment] = field(default_factory=list)
    emphasis: list[tuple[int, int]] = field(default_factory=list)
    """(start, end) of each run of words set in italics."""


@dataclass
class Style:
    """The document's body style, the yardstick for headings, captions and paragraph breaks."""

    size: float
    family: str
    gap: float


def group_blocks(
    lines: list[Line],
    columns: dict[tuple[int, int], tuple[float, float]],
    style: Style,
    paragraph_gap_factor: float,
) -> list[RawBlock]:
    """Cut the ordered line stream of a document into blocks, then classify them."""
    blocks: list[RawBlock] = []
    for i, line in enumerate(lines):
        prev = lines[i - 1] if i else None
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if prev is None or _breaks(prev, line, nxt, columns, style, paragraph_gap_factor):
            blocks.append(RawBlock([line]))
        else:
            blocks[-1].lines.append(line)
    for block in blocks:
        block.kind = classify(block, style)
    return join_continued(blocks, columns)


def _column_span(line: Line, columns: dict[tuple[int, int], tuple[float, float]]) -> tuple[float, float]:
    if line.spanning:
        spans = [v for k, v in columns.items() if k[0] == line.page]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else (line.x0, line.x1)
    return columns.get((line.page, line.column), (line.x0, line.x1))


def _same_flow(a: Line, b: Line) -> bool:
    return a.page == b.page and a.column == b.column and a.spanning == b.spanning and b.top >= a.top


def _breaks(
    prev: Line,
    line: Line,
    nxt: Line | None,
    columns: dict[tuple[int, int], tuple[float, float]],
    style: Style,
    factor: float,
) -> bool:
    if not _same_flow(prev, line) or prev.boxed != line.boxed:
        return True
    if _ends_with_hyphen(prev.words[-1].text) and line.plain_text[:1].islower():
        return False  # a word broken across the two lines
    if abs(prev.size - line.size) > 0.6:
        return True
    # a line in bold opens or closes a block; a run-in bold label ("Job Creation: In 2021 …")
    # goes on in regular type on the next line
    bold = (prev.share("bold"), line.share("bold"))
    if abs(bold[0] - bold[1]) > 0.5 and max(bold) >= 0.9:
        return True
    # an italic line opens a block (a run-in subheading, a quote) only after a finished line:
    # mid-sentence, a whole italic line is a title set in italics ("… launched a / *Declaration
    # on Citizen Security in South America* / in 2005.")
    if abs(prev.share("italic") - line.share("italic")) > 0.9 and prev.plain_text.endswith(TERMINAL):
        return True
    if line.top - prev.bottom > style.gap + factor * line.size:
        return True
    cx0, cx1 = _column_span(line, columns)
    indent = 0.8 * line.size
    indented = line.x0 - cx0 > indent
    # an indented line alone opens a paragraph (its first-line indent), but after an item's
    # unfinished first line it is the item's hanging indent ("• Training Police: … for up to /
    # 18,000 civilian police …")
    if (
        indented
        and prev.x0 - cx0 <= indent
        and (nxt is None or not _same_flow(line, nxt) or nxt.x0 - cx0 <= indent)
        and not (_opens_item(prev) and not prev.plain_text.endswith(TERMINAL))
    ):
        return True
    prev_short = cx1 - prev.x1 > 0.15 * (cx1 - cx0)
    if prev_short and prev.plain_text.endswith(TERMINAL) and not indented:
        return True
    if BULLET.match(line.words[0].text) and len(line.words) > 1:
        return True
    # "1." or "-" opens an item only after a finished line; mid-sentence it is just a dash. A
    # line going on to the next enumerator ("(i) …; (ii) …") runs an enumeration inline
    return (
        bool(LIST_START.match(line.words[0].text))
        and prev.plain_text.endswith((*TERMINAL, ";"))
        and not _inline_enumeration([line, nxt] if nxt is not None and _same_flow(line, nxt) else [line])
    )


def _opens_item(line: Line) -> bool:
    """A line opening on a bullet or an enumerator ("•", "1.", "(a)")."""
    first = line.words[0].text
    return bool(BULLET.match(first) or LIST_START.match(first))


def _inline_enumeration(lines: list[Line]) -> bool:
    """Lines opening on an enumerator that go on to the next one: "(i) …; (ii) …"."""
    words = [w.text for ln in lines for w in ln.words]
    return any(INLINE_ENUMERATOR.match(w) for w in words[1:])


def classify(block: RawBlock, style: Style) -> BlockKind | Literal["aside"]:
    text = " ".join(ln.plain_text for ln in block.lines).strip()
    first = block.first
    size = statistics_size(block)
    if ASIDE_START.match(text) and size < style.size * 0.98:
        return "aside"
    letters = [c for c in text if c.isalpha()]
    if (
        len(block.lines) <= 2
        and size <= style.size * 0.8
        and sum(c.isupper() for c in letters) > 0.7 * len(letters)
    ):
        return "aside"  # photo credits and figure labels
    if CAPTION_START.match(text):
        return "caption"
    words = text.split()
    if BULLET.match(first.words[0].text) and len(first.words) > 1:
        return "list_item"  # a bulleted item cut by a page break, its run-in label in bold
    short = len(block.lines) <= 3 and len(words) <= 25
    if short and not text.endswith((".", ",", ";")):
        bigger = size >= style.size * 1.12
        bold = first.share("bold") > 0.6
        caps = sum(c.isupper() for c in text) > 0.7 * max(1, sum(c.isalpha() for c in text))
        other_face = font_family(first.words[0].font) != style.family and size >= style.size * 0.85
        if bigger or bold or (caps and len(words) >= 1) or other_face:
            return "heading"
    if first.share("italic") > 0.9 and size < style.size * 0.95 and len(words) < 80:
        return "caption"
    opens_item = LIST_START.match(first.words[0].text) and len(first.words) > 1
    if opens_item and not _inline_enumeration(block.lines):
        return "list_item"
    return "paragraph"


def statistics_size(block: RawBlock) -> float:
    sizes: Counter[float] = Counter()
    for ln in block.lines:
        sizes[ln.size] += len(ln.plain_text)
    return sizes.most_common(1)[0][0]


def join_continued(
    blocks: list[RawBlock], columns: dict[tuple[int, int], tuple[float, float]]
) -> list[RawBlock]:
    """Merge a paragraph cut by a column or page break with its continuation.

    The cue is typographic, not lexical: the cut paragraph does not end a sentence, or its
    last line runs to the column's right edge (a paragraph's own last line rarely does), and
    the continuation is not indented. Captions, photo credits and figure labels between the two
    are skipped.
    """
    out: list[RawBlock] = []
    for block in blocks:
        target = _continuation_target(out, block, columns)
        if target is not None:
            target.lines.extend(block.lines)
        else:
            out.append(block)
    return out


def _continuation_target(
    out: list[RawBlock], block: RawBlock, columns: dict[tuple[int, int], tuple[float, float]]
) -> RawBlock | None:
    if block.kind != "paragraph" or not out:
        return None
    # a sidebar set between a paragraph's two parts is passed over, and a sidebar's own
    # paragraphs join only each other
    earlier = itertools.islice((b for b in reversed(out) if b.boxed == block.boxed), 3)
    for prev in earlier:
        if prev.kind in ("paragraph", "list_item"):
            break
        if prev.kind not in ("caption", "aside"):  # a figure's caption and its photo credit
            return None
    else:
        return None
    last, first = prev.last, block.first
    if _same_flow(last, first) or abs(last.size - first.size) > 0.6:
        return None
    if _ends_with_hyphen(last.words[-1].text) and first.plain_text[:1].islower():
        return prev  # a word broken across the break, whatever the indent (a list's hanging one)
    if prev.kind == "list_item":
        # an item goes on after the break in its hanging indent, mid-sentence
        unfinished = not last.plain_text.endswith((*TERMINAL, ";"))
        goes_on = first.plain_text.lstrip("(“\"‘'")[:1].islower()  # "(such as …)" too
        return prev if unfinished and goes_on else None
    cx0, _cx1 = _column_span(first, columns)
    if first.x0 - cx0 > 0.8 * first.size:
        return None
    text = last.plain_text
    _, lx1 = _column_span(last, columns)
    full = lx1 - last.x1 < 0.03 * (lx1 - _column_span(last, columns)[0])
    starts_lower = first.plain_text[:1].islower()
    # a colon announces what follows ("three departments: (i) …; (ii) …"), whatever it opens with
    if not text.endswith(TERMINAL) or text.endswith(":") or full or starts_lower:
        return prev
    return None


def assemble(lines: list[Line], vocabulary: Counter[str], skip_first_word: bool = False) -> AssembledText:
    """Join lines into text: markers lifted out, line-end hyphens resolved, fragments kept."""
    out = AssembledText("")
    parts: list[str] = []
    length = 0
    glue_next = False
    in_url = False
    for li, line in enumerate(lines):
        line_start: int | None = None
        last_index = len(line.words) - 1
        for wi, word in enumerate(line.words):
            token = word.text
            if skip_first_word and li == 0 and wi == 0:
                continue
            if word.superscript and MARKER.match(token):
                for number in token.split(","):
                    out.notes.append(int(number))
                    out.note_offsets.append(length)
                continue
            if parts and not glue_next and not word.superscript:
                parts.append(" ")
                length += 1
            continuing_url = glue_next and in_url
            glue_next = False
            in_url = continuing_url or bool(URL_START.search(token))
            if wi == last_index and li + 1 < len(lines):
                if in_url and token[-1] in "\u2010\u2011" + SOFT_HYPHEN:
                    glue_next = True  # a URL holds ASCII hyphens only: this one is the break's
                    token = token[:-1]
                elif in_url and _url_goes_on(token, lines[li + 1]):
                    glue_next = True  # a URL broken across lines: no space, keep its hyphens
                elif _ends_with_hyphen(token):
                    glue_next = True
                    if token.endswith(SOFT_HYPHEN) or _hyphen_joins(token, lines[li + 1], vocabulary):
                        token = token[:-1]
                    elif token[-1] != "-":
                        token = token[:-1] + "-"  # one spelling of a kept hyphen, whichever was set
            if ">" in token:
                in_url = False
            if line_start is None:
                line_start = length
            if word.italic and token:
                _emphasise(out.emphasis, length, length + len(token))
            parts.append(token)
            length += len(token)
        if line_start is not None and length > line_start:
            out.fragments.append(Fragment(line.page, line.bbox, line_start, length))
    out.text = "".join(parts)
    out.emphasis = [_trimmed(out.text, s, e) for s, e in out.emphasis]
    return out


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A run without the punctuation its words carry at its ends ("Persons,", "Plan)",
    "(plan de barrio)", "“Safe City”")."""
    while end > start:
        opens, closes = text.count("(", start, end), text.count(")", start, end)
        first, last = text[start], text[end - 1]
        if first in "“‘\"'" or (first == "(" and opens > closes):
            start += 1
        elif last in ",.;:”’\"'" or (last == ")" and opens < closes):
            end -= 1
        elif first == "(" and last == ")" and end - start > 1:
            start, end = start + 1, end - 1
        else:
            break
    return start, end


def _emphasise(runs: list[tuple[int, int]], start: int, end: int) -> None:
    """Add an italic word at ``start:end``: it extends the run it follows across a space or a
    joined line-end hyphen, else starts a run."""
    if runs and start - runs[-1][1] <= 1:
        runs[-1] = (runs[-1][0], end)
    else:
        runs.append((start, end))


def _url_goes_on(token: str, next_line: Line) -> bool:
    """A URL cut at a line end: it stops mid-path, or the next line carries on with URL text."""
    if ">" in token:
        return False
    if token.endswith(("/", "_", "-", ".", "?", "=", "&", "~", "%", "#", ":")):
        return True
    return bool(URL_CHARS.search(next_line.words[0].text))


def _ends_with_hyphen(token: str) -> bool:
    return token[-1:] in (*HYPHENS, SOFT_HYPHEN) and len(token) > 1 and token[-2].isalpha()


def _hyphen_joins(token: str, next_line: Line, vocabulary: Counter[str]) -> bool:
    """True when a line-final hyphen is typesetting, not part of the word.

    The document is its own dictionary: a spelling seen elsewhere in it decides. Without
    that, a general word list does: "modali-" + "ties" is a known word once joined, while
    "security-" + "oriented" is two known words and keeps its hyphen.
    """
    nxt = next(iter(w.text for w in next_line.words if not w.superscript), "")
    head = re.sub(r"^\W+", "", token[:-1]).casefold()
    tail = re.sub(r"\W+$", "", nxt).casefold()
    if not tail[:1].isalpha():
        return False
    hyphenated = vocabulary.get(f"{head}-{tail}", 0)
    joined = vocabulary.get(f"{head}{tail}", 0)
    if hyphenated or joined:
        return joined >= hyphenated
    if nxt[:1].isupper() and not token[:-1].isupper():
        return False
    # a compound ("state-of-" + "the-art") is broken at one of its own hyphens when the pieces
    # that meet at the break are words ("of", "the"), whatever their run-together spelling
    compound = "-" in head or "-" in tail
    head, tail = head.rsplit("-", 1)[-1], tail.split("-", 1)[0]
    if not compound and is_frequent(head + tail, 1.5, LANGUAGES):
        return True
    return not (is_frequent(head, 2.0, LANGUAGES) and is_frequent(tail, 2.0, LANGUAGES))
