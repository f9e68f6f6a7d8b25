"""Which language a document is written in, from its most common words.

Each candidate language's hundred most frequent words (wordfreq's lists, the same package the
reader uses for line-end hyphens) are its profile; the language whose profile covers most of
the document's words wins. Function words dominate any running text, so a few hundred words
decide reliably between English, Spanish, Portuguese, French and the others listed, with no
model to load.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from wordfreq import top_n_list

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


@lru_cache(maxsize=1)
def _profiles() -> dict[str, frozenset[str]]:
    return {code: frozenset(top_n_list(code, PROFILE_WORDS)) for code in LANGUAGES}


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
