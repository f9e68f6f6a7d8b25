"""How common a word is in English, Spanish, Portuguese and French: wordfreq's Zipf frequencies
from a compact table shipped in ``data/word_frequencies.npz``.

The mining code only asks whether a word's frequency reaches a threshold (1.5 and 2.0 in any of
the languages for a line-end hyphen, 2.5 and 3.0 in English for a common word), never below
:data:`FLOOR`. So the table keeps the words at or above FLOOR in one of the languages (about half
a million), each with its frequency band in every language, and the expression wordfreq splits
text into tokens with: a word is read as wordfreq reads it (NFC, case-folded, split into tokens,
curly apostrophes straightened, digit runs counted as numbers) and a word of several tokens
("anti-corruption", "covid-19") gets the combined frequency wordfreq gives it. Asking wordfreq
itself reads each language's whole list (about 30 MB each) and keeps it for the life of the
process; the table takes about 12 MB.

:func:`write_table` writes the file from the installed wordfreq (imported there only); a test
checks that it still agrees with wordfreq.
"""

from __future__ import annotations

import math
import unicodedata
import zipfile
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
import regex

TABLE = Path(__file__).resolve().parent / "data" / "word_frequencies.npz"

LANGUAGES = ("en", "es", "pt", "fr")
"""The table's languages: those the reports are written in."""
ENGLISH = ("en",)
FLOOR = 1.5
"""The lowest Zipf frequency the table tells exactly: below it every word is 0."""
UNLISTED = 0xFFFF
"""The band of a word below FLOOR in a language, or not in its list."""

# wordfreq's reading of curly quotes (ftfy's uncurl_quotes) and of numbers (wordfreq.numbers):
# a run of digits is looked up with its digits as zeros, at the share of such runs it estimates
SINGLE_QUOTES = regex.compile("[\u02bc\u2018-\u201b]")
DOUBLE_QUOTES = regex.compile("[\u201c-\u201f]")
DIGIT = regex.compile(r"\d")
DIGIT_RUN = regex.compile(r"\d[\d.,]+")
DIGITS = regex.compile(r"\d+")
LEADING_DIGIT_SHARES = (0.009, 0.300, 0.175, 0.124, 0.096, 0.078, 0.066, 0.057, 0.050, 0.045)
YEAR_LOG_PEAK = -1.9185
NOT_YEAR_SHARE = 0.1
REFERENCE_YEAR = 2019
PLATEAU_YEARS = 20


@dataclass(frozen=True)
class WordTable:
    """Words sorted by their UTF-8 bytes, each ended by a newline, and their frequency bands."""

    text: memoryview
    ends: np.ndarray
    """Where each word's newline is in ``text``."""
    centibels: np.ndarray
    """(language, word) → the word's band: frequency ``10 ** (-band / 100)``, or UNLISTED."""
    languages: tuple[str, ...]
    floor: float
    tokens: regex.Pattern[str]
    """wordfreq's token expression."""

    @classmethod
    def load(cls, path: Path = TABLE) -> WordTable:
        with np.load(path, allow_pickle=False) as data:
            words = data["words"]
            return cls(
                text=memoryview(words),
                ends=np.flatnonzero(words == ord("\n")).astype(np.uint32),
                centibels=data["centibels"],
                languages=tuple(str(code) for code in data["languages"]),
                floor=float(data["floor"]),
                tokens=regex.compile(str(data["token_pattern"]), int(data["token_flags"])),
            )

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> bytes:
        start = self.ends[index - 1] + 1 if index else 0
        return self.text[start : self.ends[index]].tobytes()

    def row(self, token: str) -> int | None:
        """The token's place in the table, None when it is below FLOOR in every language."""
        key = token.encode()
        index = bisect_left(self, key)
        return index if index < len(self) and self[index] == key else None

    def zipf_frequency(self, word: str, language: str) -> float:
        """wordfreq's ``zipf_frequency(word, language)`` when it is at least :attr:`floor`, else 0."""
        line = self.languages.index(language)
        one_over = 0.0
        tokens = lossy_tokens(word, self.tokens)
        for token in tokens:
            smashed = DIGIT_RUN.sub(lambda run: DIGIT.sub("0", run.group(0)), token)
            row = self.row(smashed)
            band = UNLISTED if row is None else int(self.centibels[line, row])
            if band == UNLISTED:
                return 0.0
            frequency = 10 ** (-band / 100)
            if smashed != token:
                frequency *= digit_share(token)
            one_over += 1.0 / frequency
        zipf = zipf_of(1.0 / one_over) if tokens else 0.0
        return zipf if zipf >= self.floor else 0.0


def lossy_tokens(word: str, tokens: regex.Pattern[str]) -> list[str]:
    """``word``'s tokens as wordfreq looks them up in these languages (``lossy_tokenize``): NFC
    before and after case folding, as it does."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", word).casefold())
    return [
        SINGLE_QUOTES.sub("'", DOUBLE_QUOTES.sub('"', token.strip("'").casefold()))
        for token in tokens.findall(text)
    ]


def zipf_of(frequency: float) -> float:
    """A frequency on the Zipf scale, rounded as wordfreq rounds it (3 significant digits, then
    2 decimals)."""
    rounded = round(frequency, math.floor(-math.log(frequency, 10)) + 3)
    return round(math.log(rounded, 10) + 9, 2)


def digit_share(token: str) -> float:
    """How often wordfreq reckons a token's digit runs are these digits: a year by its distance
    from the present, any other number by Benford's law."""
    share = 1.0
    for run in DIGIT_RUN.findall(token):
        for digits in DIGITS.findall(run):
            share *= year_share(digits) if len(digits) == 4 else benford_share(digits)
    return share


def benford_share(digits: str) -> float:
    return LEADING_DIGIT_SHARES[int(digits[0])] / 10 ** (len(digits) - 1)


def year_share(digits: str) -> float:
    year = int(digits)
    if year <= REFERENCE_YEAR:
        log_share = YEAR_LOG_PEAK - 0.0083 * (REFERENCE_YEAR - year)
    elif year <= REFERENCE_YEAR + PLATEAU_YEARS:
        log_share = YEAR_LOG_PEAK
    else:
        log_share = YEAR_LOG_PEAK - 0.2 * (year - (REFERENCE_YEAR + PLATEAU_YEARS))
    return 10.0**log_share + NOT_YEAR_SHARE * benford_share(digits)


@lru_cache(maxsize=1)
def word_table() -> WordTable:
    """The shipped table, read once per process."""
    return WordTable.load()


@lru_cache(maxsize=65536)
def zipf_frequency(word: str, language: str) -> float:
    """wordfreq's Zipf frequency of ``word`` in ``language`` when at least FLOOR, else 0."""
    return word_table().zipf_frequency(word, language)


def is_frequent(word: str, zipf: float, languages: Iterable[str]) -> bool:
    """Whether ``word``'s Zipf frequency reaches ``zipf`` in one of ``languages``."""
    if zipf < FLOOR:
        raise ValueError(f"the word table tells frequencies of {FLOOR} and more, not {zipf}")
    return any(zipf_frequency(word, language) >= zipf for language in languages)


def wordfreq_table(languages: tuple[str, ...] = LANGUAGES, floor: float = FLOOR) -> dict[str, np.ndarray]:
    """The table's arrays, from the installed wordfreq: every word at or above ``floor`` in one of
    ``languages``, with its band in each (a word listed twice keeps its later band, as in
    wordfreq's ``get_frequency_dict``)."""
    from wordfreq import get_frequency_list
    from wordfreq.language_info import get_language_info
    from wordfreq.tokens import TOKEN_RE

    for language in languages:
        info = get_language_info(language)
        steps = ("tokenizer", "normal_form", "transliteration", "lookup_transliteration")
        marks = ("remove_marks", "dotless_i", "diacritics_under")
        if [info[key] for key in steps] != ["regex", "NFC", None, None] or any(info[key] for key in marks):
            raise ValueError(f"wordfreq reads {language} otherwise than the table does: {info}")
    lowest = max(band for band in range(1000) if zipf_of(10 ** (-band / 100)) >= floor)
    listed: list[dict[str, int]] = []
    for language in languages:
        bands = {word: band for band, words in enumerate(get_frequency_list(language)) for word in words}
        listed.append({word: band for word, band in bands.items() if band <= lowest})
    words = sorted(set().union(*listed))  # code point order is UTF-8 byte order
    if any("\n" in word for word in words):
        raise ValueError("a listed word holds a newline")
    centibels = np.array([[bands.get(word, UNLISTED) for word in words] for bands in listed], dtype=np.uint16)
    return {
        "words": np.frombuffer("".join(f"{word}\n" for word in words).encode(), dtype=np.uint8),
        "centibels": centibels,
        "languages": np.array(languages),
        "floor": np.array(floor),
        "token_pattern": np.array(TOKEN_RE.pattern),
        "token_flags": np.array(TOKEN_RE.flags),
        "wordfreq": np.array(metadata.version("wordfreq")),
    }


def write_table(path: Path = TABLE) -> None:
    """Write the table from the installed wordfreq (after upgrading it); the same wordfreq writes
    the same bytes (the archive's entries carry a fixed date)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in wordfreq_table().items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w") as out:
                np.lib.format.write_array(out, array, allow_pickle=False)
