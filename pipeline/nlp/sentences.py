"""Sentences with provenance: the unit that later stages classify, cite and ground.

Records are built from *evidence sentences*, so every sentence keeps where it came from: its
exact offsets into :attr:`Document.text`, the block or note it sits in, the pages and boxes it
covers, the footnote markers it carries and the heading it falls under. Footnote sentences
know which body sentences cite them (``cited_by``), so a note's amount or year can be tied
back to the sentence it qualifies.

Splitting is rule-based on a blank English tokenizer (:func:`sentence_splitter`): the
pretrained parser is slow and was not trained on policy reports full of "U.S.", "e.g.",
"et al.", "P.L. 110-457" and numbered figures. The rules, in the order they are applied:

1. A sentence can end only at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes and
   brackets glued to it) followed by white space. "U.S.-led" or "2.5" never split.
2. Never before a lower-case word ("etc.) and", "dismantling ... cartels").
3. Never after an abbreviation that introduces what follows (``[never]`` in
   ``data/abbreviations.txt``: "e.g.", "No.", "p.", "Dr.", "Fig." ...).
4. Never after a label or enumerator that opens the sentence ("Figure 6. US aid",
   "1. The first", "(ii). Second").
5. After an abbreviation that may also end a sentence (``[ambiguous]``: "U.S.", "et al.",
   "Inc.", "D.C."; any dotted initialism such as "P.L." or "U.K."; single capital initials
   such as "F."), the sentence ends only if the next word is a capitalised function word
   listed under ``[starters]`` ("... from the U.S. The program ..." splits; "the U.S. Congress",
   "P.L. 110-457", "Robert F. Kennedy" do not). This misses a sentence that ends in "U.S."
   and goes on with a proper noun ("... the U.S. Brazil, in turn, ..."): a missed split keeps
   a marker and its text together, which is the cheaper error for evidence.
6. Otherwise (ordinary words, "etc.", "Ibid.", acronyms like "OAS."), the sentence ends.

Headings are one sentence each whatever their punctuation, and sentences never cross block or
note boundaries (each block and note is split on its own).
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.document import BBox, Block, Document, Note, Table

from .english import blank_english

SentenceSource = Literal["body", "footnote", "caption", "table_caption", "table_row"]
COMPONENT = "csminer_sentences"

_CLOSERS = frozenset({")", "]", "}", "”", "’", '"', "'", "»", "›"})
_OPENERS = "([{“‘\"'«‹"
_OPENER_TOKENS = frozenset(_OPENERS)
_END = re.compile(r"(?:.*\.|[.!?…]+)\Z", re.DOTALL)
_INITIALISM = re.compile(r"(?:[^\W\d_]\.)+")
""""J.", "P.L.", "U.K.", "a.m.": letters each followed by a period."""


@dataclass(frozen=True, slots=True)  # thousands a report, kept all through the mining
class Sentence:
    """One sentence of a document, grounded in the text, the pages and the note apparatus."""

    index: int
    """Position in the document's sentence list: body (reading order), footnotes, table captions."""
    text: str
    """Exactly ``Document.text[start:end]`` for body, caption and footnote sentences."""
    start: int
    end: int
    """Offsets into :attr:`Document.text`; -1/-1 for table captions, which are not in it."""
    source: SentenceSource
    block: int | None
    """Index into :attr:`Document.blocks` (body and caption sentences), else None."""
    note: int | None
    """The note number of a footnote sentence, else None."""
    notes: tuple[int, ...]
    """Note numbers whose markers stand inside (or right at the end of) this sentence."""
    cited_by: tuple[int, ...]
    """For a footnote sentence: indexes of the sentences that carry its note's marker."""
    pages: tuple[int, ...]
    section: str | None
    """Text of the nearest heading above (a heading's own text for a heading); body only."""
    boxes: tuple[tuple[int, BBox], ...] = ()
    """(page, box) of every line the sentence touches, as :meth:`Document.locate` gives them."""
    emphasis: tuple[tuple[int, int], ...] = ()
    """(start, end) in ``text`` of its runs of italics (body and caption sentences)."""

    @property
    def is_heading(self) -> bool:
        """A heading's text (a title, "Box 3: The X Initiative") names a topic, states nothing."""
        return self.source == "body" and self.section == self.text


@dataclass(frozen=True)
class SplitRules:
    """The word lists of ``data/abbreviations.txt`` (see its header for what each one does)."""

    never: frozenset[str]
    ambiguous: frozenset[str]
    terminal: frozenset[str]
    starters: frozenset[str]
    labels: tuple[str, ...]


def load_rules(text: str | None = None) -> SplitRules:
    """Read the abbreviation lists; ``text`` overrides the shipped file (for tests)."""
    if text is None:
        text = (resources.files("pipeline.nlp") / "data" / "abbreviations.txt").read_text(encoding="utf-8")
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), set())
        elif current is not None:
            current.add(line)

    def with_capitals(name: str) -> frozenset[str]:
        # "approx." also stands first in a sentence as "Approx."; "No." must not become "no."
        words = sections.get(name, set())
        return frozenset(words | {w[0].upper() + w[1:] for w in words if w[0].islower()})

    labels = {w.rstrip(".") for w in sections.get("labels", set())}
    return SplitRules(
        never=with_capitals("never"),
        ambiguous=with_capitals("ambiguous"),
        terminal=with_capitals("terminal"),
        starters=frozenset(sections.get("starters", set())),
        labels=tuple(sorted(labels, key=len, reverse=True)),
    )


class SentenceBoundaries:
    """The spaCy component: marks ``is_sent_start`` on every token by the module's rules."""

    def __init__(self, rules: SplitRules) -> None:
        self.rules = rules
        labels = "|".join(re.escape(w) for w in rules.labels)
        # "1", "2.3", "a", "iv", "(ii)", "Figure 6", "Table A.1": what may stand before a label's period
        self._enumerator = re.compile(
            rf"(?:(?i:{labels})\.?\s*)?[(\[]?(?:\d{{1,3}}(?:\.\d{{1,3}})*|[^\W\d_]|[ivx]{{1,5}}|[IVX]{{1,5}})"
            rf"(?:\.\d{{1,3}})*[)\]]?"
        )

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) == 0:
            return doc
        flags = [False] * len(doc)
        for k in self.starts(doc):
            flags[k] = True
        for token, flag in zip(doc, flags, strict=True):
            token.is_sent_start = flag
        return doc

    def starts(self, doc: Doc) -> list[int]:
        """The tokens that begin a sentence (the first token always does)."""
        n = len(doc)
        if n == 0:
            return []
        text = doc.text  # built from every token on each access: read it once
        starts = [0]
        sent_start = 0
        i = 0
        while i < n:
            if not _END.match(doc[i].text):
                i += 1
                continue
            # the end punctuation with everything glued to it: 'practices.”', 'etc.).', 'end!)'
            j = last = i
            while (
                j + 1 < n
                and not doc[j].whitespace_
                and (doc[j + 1].text in _CLOSERS or _END.match(doc[j + 1].text))
            ):
                j += 1
                if _END.match(doc[j].text):
                    last = j
            spaced = bool(doc[j].whitespace_) or (j + 1 < n and doc[j + 1].is_space)
            k = j + 1
            while k < n and doc[k].is_space:
                k += 1
            if spaced and k < n and self._boundary(doc, text, sent_start, last, k):
                starts.append(k)
                sent_start = k
            i = j + 1
        return starts

    def kind(self, doc: Doc, text: str, p: int) -> Literal["never", "ambiguous", "terminal"]:
        """How the end punctuation at token ``p`` is read: an abbreviation's period or a stop.

        The word is read from the characters (the last white-space-delimited chunk, opening
        brackets and quotes dropped), not from spaCy's tokens, so "etc." is the same word
        whether the tokenizer kept its period or split it off.
        """
        token = doc[p]
        if not token.text.endswith(".") or token.text.endswith(".."):
            return "terminal"
        end = token.idx + len(token.text)
        chunks = text[max(0, end - 40) : end].split()
        word = chunks[-1].lstrip(_OPENERS) if chunks else ""
        pair = f"{chunks[-2].lstrip(_OPENERS)} {word}" if len(chunks) >= 2 else None
        for candidate in (pair, word):
            if candidate is None:
                continue
            if candidate in self.rules.never:
                return "never"
            if candidate in self.rules.ambiguous:
                return "ambiguous"
            if candidate in self.rules.terminal:
                return "terminal"
        return "ambiguous" if _INITIALISM.fullmatch(word) else "terminal"

    def _boundary(self, doc: Doc, text: str, sent_start: int, p: int, k: int) -> bool:
        """Does a new sentence start at token ``k``, after the end punctuation at token ``p``?"""
        w = k
        while w < len(doc) - 1 and doc[w].text in _OPENER_TOKENS:
            w += 1
        word = doc[w].text
        if word[:1].islower():
            return False
        kind = self.kind(doc, text, p)
        if kind == "never":
            return False
        period = doc[p].idx + len(doc[p].text) - 1
        if self._enumerator.fullmatch(text[doc[sent_start].idx : period].strip()):
            return False
        if kind == "ambiguous":
            if word not in self.rules.starters:
                return False
            # "J. A. Smith": a one-letter "starter" glued to a period is one more initial
            glued = w + 1 < len(doc) and not doc[w].whitespace_ and doc[w + 1].text == "."
            return not (len(word) == 1 and glued)
        return True


@Language.factory(COMPONENT)
def _make_sentence_boundaries(nlp: Language, name: str) -> SentenceBoundaries:
    return SentenceBoundaries(load_rules())


@lru_cache(maxsize=1)
def sentence_splitter() -> Language:
    """The blank English pipeline (its tokenizer shared with the actor matcher) with one
    component, which sets sentence starts by the rules above.

    Built once per process (cached): the tokenizer and the word lists are the costly part.
    """
    nlp = blank_english()
    if COMPONENT not in nlp.pipe_names:
        nlp.add_pipe(COMPONENT)
    return nlp


def sentence_spans(texts: Iterable[str], nlp: Language | None = None) -> list[list[tuple[int, int]]]:
    """For each text, the (start, end) of its sentences, white space stripped from both ends."""
    if nlp is None:
        nlp = sentence_splitter()
    if nlp.pipe_names == [COMPONENT]:
        return _spans_by_rules(texts, nlp)
    spans: list[list[tuple[int, int]]] = []
    for doc in nlp.pipe(texts):
        text = doc.text
        found: list[tuple[int, int]] = []
        for sent in doc.sents:
            if (span := _trimmed(text, sent.start_char, sent.end_char)) is not None:
                found.append(span)
        spans.append(found)
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``start:end`` without the white space at either end; None when nothing else is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _spans_by_rules(texts: Iterable[str], nlp: Language) -> list[list[tuple[int, int]]]:
    """:func:`sentence_spans` for the splitter's own pipeline, read from the rules' sentence
    starts: setting ``is_sent_start`` on every token and walking ``doc.sents`` back costs
    more than finding the boundaries."""
    rules: SentenceBoundaries = nlp.get_pipe(COMPONENT)
    spans: list[list[tuple[int, int]]] = []
    for text in texts:
        doc = nlp.make_doc(text)
        n = len(doc)
        found: list[tuple[int, int]] = []
        starts = rules.starts(doc)
        ends = [*starts[1:], n] if starts else []
        for first, after in zip(starts, ends, strict=True):
            last = doc[after - 1]
            if (span := _trimmed(text, doc[first].idx, last.idx + len(last.text))) is not None:
                found.append(span)
        spans.append(found)
    return spans


def split_text(text: str, nlp: Language | None = None) -> list[str]:
    """The sentences of a plain string (handy for tests and for text outside a document)."""
    return [text[s:e] for s, e in sentence_spans([text], nlp)[0]]


def _whole(text: str) -> list[tuple[int, int]]:
    stripped = text.strip()
    if not stripped:
        return []
    s = text.index(stripped)
    return [(s, s + len(stripped))]


def _ground(unit: Block | Note, lo: int, hi: int) -> tuple[tuple[int, ...], tuple[tuple[int, BBox], ...]]:
    """Pages and boxes of ``unit.text[lo:hi]``: :meth:`Document.locate` limited to its unit.

    A sentence never leaves its block or note, so looking at that unit's fragments alone gives
    the same answer as ``locate`` without scanning every unit of the document per sentence.
    """
    boxes: list[tuple[int, BBox]] = []
    for frag in unit.fragments:
        if frag.end > lo and frag.start < hi and (frag.page, frag.bbox) not in boxes:
            boxes.append((frag.page, frag.bbox))
    pages = tuple(sorted({page for page, _ in boxes})) or (unit.page,)
    return pages, tuple(boxes)


def _assign_markers(spans: Sequence[tuple[int, int]], block: Block) -> list[list[int]]:
    """Which sentence carries each of the block's note markers.

    A marker belongs to the sentence it stands in or right at the end of (after its final
    period: "States.²⁴⁴"); a marker in the white space between two sentences goes to the one
    before, and one before the first sentence to the first.
    """
    carried: list[list[int]] = [[] for _ in spans]
    if not spans:
        return carried
    for number, offset in zip(block.notes, block.note_offsets, strict=False):
        target = 0
        for k, (s, _) in enumerate(spans):
            if s <= offset:
                target = k
            else:
                break
        carried[target].append(number)
    return carried


def split_sentences(document: Document, nlp: Language | None = None) -> list[Sentence]:
    """Every sentence of the document: body blocks, then footnotes, then table captions.

    ``nlp`` defaults to :func:`sentence_splitter`; any pipeline that sets sentence boundaries
    will do. Headings are kept whole. Body and caption sentences carry the note numbers whose
    markers they hold; footnote sentences list the sentences that cite them.

    A table caption that the reader also kept as a caption block (the report's "Figure 6."
    to "Figure 8.") appears twice: once as a ``caption`` sentence with offsets, once as a
    ``table_caption`` sentence tied to its table. Both are kept so that each path stays whole;
    a consumer counting evidence should compare texts.
    """
    if nlp is None:
        nlp = sentence_splitter()
    blocks = document.blocks
    to_split = [b.text for b in blocks if b.kind != "heading"]
    split_iter = iter(sentence_spans(to_split, nlp))
    block_spans = [_whole(b.text) if b.kind == "heading" else next(split_iter) for b in blocks]

    sentences: list[Sentence] = []
    section: str | None = None
    for b_index, (block, spans) in enumerate(zip(blocks, block_spans, strict=True)):
        if block.kind == "heading":
            section = block.text.strip() or section
        source: SentenceSource = "caption" if block.kind == "caption" else "body"
        for (s, e), notes in zip(spans, _assign_markers(spans, block), strict=True):
            pages, boxes = _ground(block, s, e)
            sentences.append(
                Sentence(
                    index=len(sentences),
                    text=block.text[s:e],
                    start=block.start + s,
                    end=block.start + e,
                    source=source,
                    block=b_index,
                    note=None,
                    notes=tuple(notes),
                    cited_by=(),
                    pages=pages,
                    section=section if source == "body" else None,
                    boxes=boxes,
                    emphasis=tuple(
                        (max(a, s) - s, min(b, e) - s) for a, b in block.emphasis if a < e and b > s
                    ),
                )
            )

    citing: dict[int, list[int]] = {}
    for sentence in sentences:
        for number in dict.fromkeys(sentence.notes):
            citing.setdefault(number, []).append(sentence.index)

    notes = document.footnotes
    for note, spans in zip(notes, sentence_spans([n.text for n in notes], nlp), strict=True):
        cited_by = tuple(citing.get(note.n, ()))
        for s, e in spans:
            pages, boxes = _ground(note, s, e)
            sentences.append(
                Sentence(
                    index=len(sentences),
                    text=note.text[s:e],
                    start=note.start + s,
                    end=note.start + e,
                    source="footnote",
                    block=None,
                    note=note.n,
                    notes=(),
                    cited_by=cited_by,
                    pages=pages,
                    section=None,
                    boxes=boxes,
                )
            )

    captioned = [t for t in document.tables if t.caption and t.caption.strip()]
    for table, spans in zip(
        captioned, sentence_spans([t.caption or "" for t in captioned], nlp), strict=True
    ):
        box = table.caption_bbox or table.bbox
        for s, e in spans:
            text = (table.caption or "")[s:e]
            sentences.append(table_sentence(len(sentences), text, table, "table_caption", box))
    return sentences


def table_sentence(
    index: int, text: str, table: Table, source: SentenceSource, box: BBox, section: str | None = None
) -> Sentence:
    """A sentence of a table (its caption, or a row read as one): not in the document's text,
    grounded in the table's page and ``box``."""
    return Sentence(
        index=index,
        text=text,
        start=-1,
        end=-1,
        source=source,
        block=None,
        note=None,
        notes=(),
        cited_by=(),
        pages=(table.page,),
        section=section,
        boxes=((table.page, box),),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m pipeline.nlp.sentences REPORT.pdf``: sentence counts and splitting speed."""
    from pipeline.reading.reader import read_pdf

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--show", type=int, default=0, help="print the first N sentences")
    args = parser.parse_args(argv)
    document = read_pdf(args.pdf)
    nlp = sentence_splitter()
    began = time.perf_counter()
    sentences = split_sentences(document, nlp)
    seconds = time.perf_counter() - began
    words = sum(len(s.text.split()) for s in sentences)
    counts = Counter(s.source for s in sentences)
    print(f"{document.doc}: {len(sentences)} sentences ({dict(counts)}), {words} words")
    rate = f"{len(sentences) / seconds:,.0f} sentences/s, {words / seconds:,.0f} words/s"
    print(f"split in {seconds:.3f} s: {rate}")
    for sentence in sentences[: args.show]:
        print(
            f"{sentence.index:5d} {sentence.source:13} p{','.join(map(str, sentence.pages))} {sentence.text}"
        )


if __name__ == "__main__":
    main()
