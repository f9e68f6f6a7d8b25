"""Language stage: from a :class:`pipeline.document.Document`'s plain text to typed mentions.

Each module here reads plain text (footnote markers already removed; offsets point into the
string it was given) and returns frozen dataclasses with character spans, so a later stage can
ground every value on its page. Vocabularies (actor names, currency words, scale words, cue
phrases) live in ``data/`` beside the code and are read once at import, never typed into rules.

- :mod:`pipeline.nlp.actors`: funders, implementers and recipients.
- :mod:`pipeline.nlp.amounts`: money amounts in running text and in tables.
- :mod:`pipeline.nlp.years`: years, ranges, open ranges, fiscal years and decades.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

SPACY_CLI_IMPORT = "from .cli.info import info"
"""The one line by which ``import spacy`` imports its command line (spaCy 3.x)."""


def _import_spacy_without_its_cli() -> None:
    """Import spaCy without its command line, once, before any module here does.

    ``import spacy`` imports ``spacy.cli`` for one name, ``spacy.info``, and with it every
    command and their libraries (requests, weasel, jinja2…): about 0.2 s of every run's
    start-up, for code a run never calls. For that one import a stand-in takes the command
    line's place, whose ``info`` imports the real one when called; then the stand-in goes, so a
    later ``import spacy.cli`` is the real thing. Where spaCy's ``__init__`` reads otherwise
    (another version), spaCy is imported as it is.
    """
    if "spacy" in sys.modules:
        return
    spec = importlib.util.find_spec("spacy")
    if spec is None or spec.origin is None:
        return  # the stages say what is missing when they need it
    source = Path(spec.origin).read_text(encoding="utf-8")
    if sum("cli" in line for line in source.splitlines()) != 1 or SPACY_CLI_IMPORT not in source:
        return

    def info(*args: Any, **kwargs: Any) -> Any:
        from spacy.cli.info import info as real_info

        return real_info(*args, **kwargs)

    stand_in = types.ModuleType("spacy.cli.info")
    stand_in.info = info  # type: ignore[attr-defined]
    package = types.ModuleType("spacy.cli")
    package.info = stand_in  # type: ignore[attr-defined]
    sys.modules.update({"spacy.cli": package, "spacy.cli.info": stand_in})
    try:
        import spacy  # noqa: F401
    finally:
        for name, module in (("spacy.cli", package), ("spacy.cli.info", stand_in)):
            if sys.modules.get(name) is module:
                del sys.modules[name]


_import_spacy_without_its_cli()
