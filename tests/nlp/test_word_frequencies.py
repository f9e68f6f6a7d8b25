"""The shipped word-frequency table answers as wordfreq does."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pipeline.nlp.word_frequencies import (
    ENGLISH,
    FLOOR,
    LANGUAGES,
    TABLE,
    is_frequent,
    write_table,
    zipf_frequency,
)

THRESHOLDS = (1.5, 2.0, 2.5, 3.0)
"""The thresholds the mining code compares frequencies with."""


def near_thresholds(per_band: int = 12) -> list[str]:
    """Listed words within 0.03 of each threshold in each language, a few of each band."""
    from wordfreq import get_frequency_list

    words: list[str] = []
    for language in LANGUAGES:
        for band, listed in enumerate(get_frequency_list(language)):
            zipf = (900 - band) / 100
            if any(abs(zipf - threshold) <= 0.03 for threshold in THRESHOLDS):
                words += listed[:: max(1, len(listed) // per_band)]
    return words


def variants(words: list[str]) -> list[str]:
    """The shapes the mining code asks about: capitalised, possessive, trailing punctuation,
    hyphenated pairs, a French elision, digits."""
    out = [*words]
    for word, other in itertools.pairwise(words):
        out += [
            word.capitalize(),
            f"{word}’s",
            f"{word}'s",
            f"{word},",
            f"{word}-{other}",
            f"{word}{other}",
            f"l'{word}",
            f"{word}-19",
            f"{word}20",
        ]
    return out


def disagreements(words: list[str]) -> list[tuple[str, str, float, float]]:
    from wordfreq import zipf_frequency as wordfreq_zipf

    out = []
    for word in dict.fromkeys(words):
        for language in LANGUAGES:
            expected = wordfreq_zipf(word, language)
            expected = expected if expected >= FLOOR else 0.0
            if zipf_frequency(word, language) != expected:
                out.append((word, language, zipf_frequency(word, language), expected))
    return out


def test_the_shipped_table_is_what_wordfreq_gives(tmp_path: Path) -> None:
    # after upgrading wordfreq:
    #   python -c "from pipeline.nlp.word_frequencies import write_table; write_table()"
    write_table(tmp_path / "table.npz")
    assert (tmp_path / "table.npz").read_bytes() == TABLE.read_bytes()


def test_words_near_the_thresholds_have_wordfreqs_frequencies() -> None:
    words = near_thresholds()
    assert len(words) > 1000
    assert disagreements(variants(words)) == []


def test_the_field_reports_words_have_wordfreqs_frequencies(shared_dir: Path) -> None:
    texts = sorted((shared_dir / "corpus" / "field" / "text").glob("*.txt"))
    tokens = [t for path in texts for t in path.read_text(encoding="utf-8").split()]
    pieces = [piece for token in tokens for piece in token.split("-")]
    assert len(set(tokens)) > 4000
    assert disagreements([*tokens, *pieces]) == []


def test_numbers_years_and_odd_shapes_have_wordfreqs_frequencies() -> None:
    words = [
        "COVID-19", "G20", "1990s", "2024", "2,000", "3.5", "2040s", "fy2023", "007", "¹²",
        "anti-corruption", "state-of-the-art", "and/or", "u.s.", "d'approvisionnement", "l’état",
        "naïve", "nai\u0308ve", "Straße", "ﬁnance", "e-mail", "@s", "tod@s", "日本", "", "—", "’s",
    ]
    assert disagreements(words) == []


@pytest.mark.parametrize(
    ("word", "zipf", "languages", "frequent"),
    [
        ("security", 3.0, ENGLISH, True),
        ("mérida", 3.0, ENGLISH, False),
        ("anti-corruption", 3.0, ENGLISH, True),  # two tokens: their frequencies combine
        ("modalities", 1.5, LANGUAGES, True),
        ("modali", 2.0, LANGUAGES, False),
        ("seguridad", 2.0, ENGLISH, False),
        ("seguridad", 2.0, LANGUAGES, True),
    ],
)
def test_is_frequent_compares_with_any_language(
    word: str, zipf: float, languages: tuple[str, ...], frequent: bool
) -> None:
    assert is_frequent(word, zipf, languages) is frequent


def test_thresholds_below_the_floor_are_refused() -> None:
    with pytest.raises(ValueError, match=r"1\.5"):
        is_frequent("the", 1.0, ENGLISH)
