"""Whether a document is one the records models know: written in English, about security.

The models learned from English reports on citizen-security cooperation. A report in another
language (Spanish and Portuguese ones are common in this field) or one that hardly speaks of
security (a trade agreement, a grants-management audit) is mined all the same, but the run
says so with a warning code instead of a silent "success, 0 records" (or records that are not
interventions). These warnings leave the reading status as it is: the file was read well.

Both are judged from the sentences alone, before their mentions are looked for: a report that
is not about security is mined without NER (see :func:`pipeline.records.inputs.document_inputs`).
Whether a report in another language is about security is judged by the codebook's security
words in that language: by the English ones, a Spanish report on justice reform ("Ministerio de
Justicia", "policía", "violencia") would be said to hardly speak of security.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..document import Problem
from ..errors import ErrorCode, problem
from ..nlp.language import detect_language
from ..nlp.sentences import Sentence
from .features import security_terms

TRAINED_LANGUAGE = "en"
MIN_SECURITY_SHARE = 0.05
"""Share of a document's sentences that use one of the codebook's security words below which
it is taken as not about security (a report on the subject uses them in most paragraphs)."""


def coverage_problems(sentences: Sequence[Sentence]) -> list[Problem]:
    """W303 for a language the models were not trained on, W304 for a document with (almost)
    no security content, from a document's sentences."""
    texts = [s.text for s in sentences if s.source in ("body", "footnote")]
    found: list[Problem] = []
    language = detect_language(" ".join(texts))
    written_in = language.code or TRAINED_LANGUAGE
    if written_in != TRAINED_LANGUAGE:
        found.append(
            problem(
                ErrorCode.OTHER_LANGUAGE, language=language.name, iso=language.code, share=language.share
            )
        )
    if texts:
        about = sum(1 for text in texts if security_terms(text, written_in))
        if about / len(texts) < MIN_SECURITY_SHARE:
            found.append(problem(ErrorCode.NO_SECURITY_CONTENT, about=about, sentences=len(texts)))
    return found
