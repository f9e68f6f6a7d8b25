"""Which language a document is written in, from its most common words.

Each candidate language's hundred most frequent words (from wordfreq's lists, as is the word
table the reader judges line-end hyphens by) are its profile; the language whose profile covers
most of the document's words wins. Function words dominate any running text, so a few hundred
words decide reliably between English, Spanish, Portuguese, French and the others listed, with no
model to load.

The profiles are read from ``data/language_profiles.json``, written from wordfreq by
:func:`write_profiles`: asking wordfreq for a hundred words reads the language's whole list
(hundreds of thousands of words) and keeps it for the life of the process — about 150 MB and
half a second for the six languages besides English, in every worker.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from itertools import islice
from pathlib import Path

PROFILES = Path(__file__).resolve().parent / "data" / "language_profiles.json"

LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "pt": "Portuguese",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "nl": "Dutch",
}
"""The languages told apart (ISO 639-1 → name): the region's and its donors'."""
PROFILE_WORDS = 100
MIN_WORDS = 50
"""Below this many words, no language is decided."""
MIN_SHARE = 0.15
"""Below this share of common words (lorem ipsum, tables of figures), no language is decided:
running text in any of the languages has well over a quarter."""
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class LanguageGuess:
    code: str | None
    """ISO 639-1 code, or None when the text is too short to tell."""
    share: float
    """Share of the text's words in that language's profile."""

    @property
    def name(self) -> str:
        return LANGUAGES.get(self.code or "", "unknown")


def wordfreq_profiles() -> dict[str, list[str]]:
    """Each language's :data:`PROFILE_WORDS` most frequent words, from wordfreq itself."""
    from wordfreq import top_n_list

    return {code: top_n_list(code, PROFILE_WORDS) for code in LANGUAGES}


def write_profiles(path: Path = PROFILES) -> None:
    """Write the profiles file from the installed wordfreq (after upgrading it)."""
    lines = [
        f"  {json.dumps(code)}: {json.dumps(words, ensure_ascii=False)}"
        for code, words in wordfreq_profiles().items()
    ]
    version = json.dumps(metadata.version("wordfreq"))
    path.write_text(
        f'{{"wordfreq": {version}, "words": {{\n' + ",\n".join(lines) + "\n}}\n", encoding="utf-8"
    )


@lru_cache(maxsize=1)
def _profiles() -> dict[str, frozenset[str]]:
    words = json.loads(PROFILES.read_text(encoding="utf-8"))["words"]
    return {code: frozenset(words[code]) for code in LANGUAGES}


def detect_language(text: str, sample_words: int = 5000) -> LanguageGuess:
    """The language most of ``text``'s words belong to (the first ``sample_words`` suffice)."""
    words = Counter(m.group(0).casefold() for m in islice(WORD.finditer(text), sample_words))
    total = sum(words.values())
    if total < MIN_WORDS:
        return LanguageGuess(None, 0.0)
    profiles = _profiles()
    scores = {code: sum(n for w, n in words.items() if w in profiles[code]) / total for code in profiles}
    best = max(scores, key=lambda code: scores[code])
    return LanguageGuess(best if scores[best] >= MIN_SHARE else None, round(scores[best], 3))
