"""The blank English tokenizer that the actor matcher and the sentence splitter share.

Building a spaCy tokenizer loads English's 1,347 special cases ("don't", "U.S.", "a.m."): about
0.07 s each time, a twentieth of a one-report run. Both rule-based stages only tokenise
(``make_doc``), so one tokenizer per process serves them, rather than one each.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.lang.en import English


class _Defaults(English.Defaults):
    infixes = (*English.Defaults.infixes, r"(?<=[A-Za-z]\.)-(?=[A-Za-z])")


class _English(English):
    """English whose tokenizer also splits "U.S.-funded" into "U.S." "-" "funded" (an actor's
    name glued to a participle). The infix is given at construction: setting it on a built
    tokenizer loads the special cases a second time. A period glued to a hyphen ends no
    sentence either way, so the sentence rules see the same boundaries."""

    Defaults = _Defaults


@lru_cache(maxsize=1)
def blank_english() -> spacy.Language:
    """The process's blank English pipeline: its tokenizer, and the components callers add."""
    return _English()
