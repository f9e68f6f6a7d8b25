"""Language stage: from a :class:`pipeline.document.Document`'s plain text to typed mentions.

Each module here reads plain text (footnote markers already removed; offsets point into the
string it was given) and returns frozen dataclasses with character spans, so a later stage can
ground every value on its page. Vocabularies (actor names, currency words, scale words, cue
phrases) live in ``data/`` beside the code and are read once at import, never typed into rules.

- :mod:`pipeline.nlp.actors`: funders, implementers and recipients.
- :mod:`pipeline.nlp.amounts`: money amounts in running text and in tables.
- :mod:`pipeline.nlp.years`: years, ranges, open ranges, fiscal years and decades.
"""
