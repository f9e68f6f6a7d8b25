"""Reading measured against a truth text: word recall and precision in reading order.

The truth files of the field reports are the text each PDF was typeset from: the body, then
a "Notes" line and one note a line, each led by its number ("¹ https://…", "1. Source: …").
The reader lifts note markers out of the text and keeps a note's number apart from its text,
so the truth is compared without them: raised digits and leading note numbers are dropped.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.document import Block, Document

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
NOTE_LINE = re.compile(rf"^\s*(?:[{SUPERSCRIPTS}]+|\d{{1,3}}[.)]?)\s+(.*)$")


def normalized_words(text: str) -> list[str]:
    """Words as compared: NFKC, case-folded, runs of letters and digits only."""
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


@dataclass
class Truth:
    body: str
    notes: dict[int, str]
    markers: int
    """How many note markers the body carries."""

    @property
    def words(self) -> list[str]:
        return normalized_words(self.body) + [
            w for n in sorted(self.notes) for w in normalized_words(self.notes[n])
        ]


def read_truth(path: Path) -> Truth:
    """A truth text split into body and numbered notes (after its last "Notes" line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = max((i for i, ln in enumerate(lines) if ln.strip().casefold() == "notes"), default=len(lines))
    body = "\n".join(lines[:cut])
    notes: dict[int, str] = {}
    for ln in lines[cut + 1 :]:
        match = NOTE_LINE.match(ln)
        if match:
            number = ln.strip().split()[0].rstrip(".)")
            n = int(unicodedata.normalize("NFKC", number))
            notes[n] = match.group(1)
        elif ln.strip() and notes:
            notes[max(notes)] += " " + ln.strip()
    markers = len(re.findall(rf"[{SUPERSCRIPTS}]+", body))
    return Truth(re.sub(rf"[{SUPERSCRIPTS}]+", "", body), notes, markers)


@dataclass
class Score:
    recall: float
    precision: float
    notes_found: int
    notes_expected: int
    markers_linked: int
    markers_found: int
    markers_expected: int

    def row(self) -> str:
        return (
            f"{self.recall:.3f}  {self.precision:.3f}  notes {self.notes_found}/{self.notes_expected}"
            f"  markers linked {self.markers_linked}/{self.markers_found} (truth {self.markers_expected})"
        )


def word_scores(expected: list[str], got: list[str]) -> tuple[float, float]:
    """Recall and precision of ``got`` against ``expected``, words matched in order."""
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return same / max(1, len(expected)), same / max(1, len(got))


def in_page_order(document: Document) -> list[Block]:
    """Body blocks with the asides (sidebars) put back where they stand on their pages.

    The reader keeps a sidebar out of the body, while the text a report was typeset from
    holds it in the flow at its place: an aside goes before the first body block on its page
    that starts below it and shares its width, or after the page's last block.
    """
    units = list(document.blocks)
    for aside in sorted(document.asides, key=lambda a: (a.page, a.bbox[1])):
        at = next(
            (
                i
                for i, b in enumerate(units)
                if b.page > aside.page
                or (
                    b.page == aside.page
                    and b.bbox[1] >= aside.bbox[3] - 1
                    and b.bbox[0] < aside.bbox[2]
                    and aside.bbox[0] < b.bbox[2]
                )
            ),
            len(units),
        )
        units.insert(at, aside)
    return units


def document_words(document: Document) -> list[str]:
    """The document's text as the truth is laid out: blocks (asides in place), then notes."""
    return [w for b in in_page_order(document) for w in normalized_words(b.text)] + [
        w for n in document.footnotes for w in normalized_words(n.text)
    ]


def score(document: Document, truth: Truth) -> Score:
    recall, precision = word_scores(truth.words, document_words(document))
    numbers = {n.n for n in document.footnotes}
    cited = [n for b in [*document.blocks, *document.asides] for n in b.notes]
    return Score(
        recall=recall,
        precision=precision,
        notes_found=len(numbers & set(truth.notes)),
        notes_expected=len(truth.notes),
        markers_linked=sum(1 for n in cited if n in numbers),
        markers_found=len(cited),
        markers_expected=truth.markers,
    )
