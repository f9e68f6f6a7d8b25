"""Grammatical roles of actor mentions, from spaCy's pretrained dependency parser.

Who funds and who receives is said by grammar more than by nearby words: the subject of
"established", the object of "with support from", the agent of a passive "funded by", the
object of "to" or "in". :class:`GrammarReader` parses sentences with the pretrained pipeline
(the same registry-installed package the actor NER uses; nothing is downloaded) and gives
each actor mention a :class:`Grammar`.

Parsing is the slowest thing spaCy does, so it is asked only for the sentences whose roles
are decided (the sentences of records, the gold-aligned sentences in training), and each
sentence is parsed once: its grammar is kept on its :class:`SentenceMentions`. Without the
package, mentions have no grammar and roles are read from the words around them (a warning
says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .actors import NER_PACKAGE
from .pretrained import BATCH_CHARACTERS, pipe_batched, pretrained_pipeline

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc, Token

    from .mentions import SentenceMentions

# dependents that name a part of one phrase: the phrase's role is its head's
PHRASE_INTERNAL = frozenset({"conj", "appos", "compound", "flat", "nmod", "amod", "nummod"})
CLAUSE_ROLES = frozenset({"nsubj", "nsubjpass", "dobj", "attr", "poss"})
SUBJECTS = frozenset({"nsubj", "nsubjpass"})


@dataclass(frozen=True)
class Grammar:
    """What a mention is in its sentence: its dependency label, the label of the phrase it
    belongs to ("the US and Canada": Canada is a ``conj`` of a ``nsubj``), the preposition
    that governs the phrase and the word (lemma) that governs that ("support from Spain":
    ``from``, ``support``)."""

    dep: str
    phrase_dep: str
    preposition: str | None = None
    governor: str | None = None
    agent: bool = False
    """The object of a passive's "by" ("funded by USAID")."""
    subject_of: str | None = None
    """The verb (lemma) whose subject the mention is part of: itself, a conjunct, or the "of"
    complement of the subject ("the presidents of El Salvador and Guatemala decided")."""

    def features(self) -> dict[str, Any]:
        out: dict[str, Any] = {"syn:dep": self.dep, "syn:phrase": self.phrase_dep}
        if self.preposition:
            out["syn:prep"] = self.preposition
            out["syn:prep>gov"] = f"{self.preposition}>{self.governor}"
        if self.governor:
            out["syn:gov"] = self.governor
        if self.agent:
            out["syn:agent"] = 1
        return out


def grammar_of(doc: Doc, start: int, end: int, lemmatizer: Any = None) -> Grammar | None:
    """The grammar of the characters ``start:end`` of a parsed sentence (None when they do
    not cover a token).

    ``lemmatizer``: the pipeline's lemmatizer when the doc was parsed without it, so that only
    the few words whose lemma the grammar names are lemmatized (see :func:`_lemma`)."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    root = span.root
    phrase = _phrase_of(root)
    if phrase.dep_ == "pobj" and _exemplifies(phrase.head) and _plays_for_its_examples(phrase.head.head):
        phrase = _phrase_of(phrase.head.head)  # "agencies such as UNDP teamed up": UNDP is a subject
    elif phrase.dep_ == "pobj" and _stands_for_its_complement(phrase.head):
        phrase = _phrase_of(phrase.head.head)  # "funded by the Government of Canada": Canada funds
    if phrase.dep_ in ("pobj", "pcomp"):
        preposition = phrase.head
        return Grammar(
            root.dep_,
            phrase.dep_,
            preposition.lower_,
            _lemma(preposition.head, lemmatizer),
            preposition.dep_ == "agent",
            _subject_of(_owner_of_complement(preposition), lemmatizer),
        )
    governor = _lemma(phrase.head, lemmatizer) if phrase.dep_ in CLAUSE_ROLES else None
    return Grammar(root.dep_, phrase.dep_, governor=governor, subject_of=_subject_of(phrase, lemmatizer))


def _phrase_of(token: Token) -> Token:
    """The head of the phrase ``token`` is part of."""
    while token.dep_ in PHRASE_INTERNAL and token.head is not token:
        token = token.head
    return token


OF_ROLE_NOUNS = frozenset(
    {"auspices", "aegis", "sponsorship", "patronage", "creation", "establishment", "formation", "launch"}
)
"""Nouns whose "of" complement plays a part: "under the auspices of the OAS" sponsors, "the
creation of commissions such as X" creates X."""


def _plays_for_its_examples(noun: Token) -> bool:
    """Whether the examples of ``noun`` play its part: as a subject ("agencies such as UNDP
    teamed up"), a sponsor ("under the auspices of bodies such as the OAS") or what is created
    ("the creation of commissions such as X"); the examples of other objects keep their own
    place."""
    phrase = _phrase_of(noun)
    if phrase.dep_ in SUBJECTS:
        return True
    return phrase.dep_ == "pobj" and phrase.head.lower_ == "of" and phrase.head.head.lower_ in OF_ROLE_NOUNS


def _exemplifies(preposition: Token) -> bool:
    """Whether a preposition brings in examples of the noun it hangs on ("donors such as
    Spain", "agencies including UNDP"): the examples play that noun's part."""
    if preposition.dep_ != "prep" or preposition.head.pos_ not in ("NOUN", "PROPN"):
        return False
    if preposition.lower_ == "including":
        return True
    return preposition.lower_ == "as" and any(child.lower_ == "such" for child in preposition.children)


STATE_NOUNS = frozenset(
    {"government", "governments", "authorities", "administration", "state", "people", "presidency"}
)
"""Nouns whose "of" complement is the actor itself: "the Government of Canada" is Canada."""


def _stands_for_its_complement(preposition: Token) -> bool:
    return (
        preposition.lower_ == "of"
        and preposition.dep_ == "prep"
        and preposition.head.pos_ in ("NOUN", "PROPN")
        and preposition.head.lower_ in STATE_NOUNS
    )


def _owner_of_complement(preposition: Token) -> Token | None:
    """The phrase an "of" complement belongs to ("presidents" in "the presidents of X")."""
    if preposition.lower_ != "of" or preposition.head.pos_ not in ("NOUN", "PROPN"):
        return None
    owner = preposition.head
    while owner.dep_ in PHRASE_INTERNAL and owner.head is not owner:
        owner = owner.head
    return owner


def _subject_of(phrase: Token | None, lemmatizer: Any = None) -> str | None:
    if phrase is None or phrase.dep_ not in ("nsubj", "nsubjpass"):
        return None
    return _lemma(phrase.head, lemmatizer)


def _lemma(token: Token, lemmatizer: Any = None) -> str:
    """The token's lemma, folded. Given the lemmatizer, the lemma is what that component would
    have set (it keeps a lemma the attribute ruler set, unless it overwrites)."""
    if lemmatizer is not None and (lemmatizer.overwrite or token.lemma == 0):
        lemma: str = lemmatizer.lemmatize(token)[0]
        return lemma.casefold() or token.lower_
    return token.lemma_.casefold() or token.lower_


def load_parser(package: str = NER_PACKAGE) -> spacy.Language | None:
    """The pretrained pipeline if its package is installed and has a parser, else None (the
    same pipeline NER uses, loaded once: see :mod:`.pretrained`). Never downloads."""
    nlp = pretrained_pipeline(package)
    return nlp if nlp is not None and "parser" in nlp.pipe_names else None


class GrammarReader:
    """Gives actor mentions their grammar; the parser is loaded on first use."""

    def __init__(self, nlp: spacy.Language | None = None, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._nlp = nlp
        self._loaded = nlp is not None

    @property
    def nlp(self) -> spacy.Language | None:
        if not self.enabled:
            return None
        if not self._loaded:
            self._nlp = load_parser()
            self._loaded = True
        return self._nlp

    @property
    def available(self) -> bool:
        return self.nlp is not None

    def annotate(self, items: Iterable[SentenceMentions], max_chars: int = BATCH_CHARACTERS) -> None:
        """Set ``item.grammar`` (one entry per actor mention) on the items not parsed yet."""
        nlp = self.nlp
        if nlp is None:
            return
        todo = list({id(i): i for i in items if i.grammar is None and i.actors}.values())
        # the entity recogniser is NER's part of the shared pipeline: not needed for the grammar;
        # nor is lemmatizing every word, when only the governors' lemmas are read
        skip = ["ner"]
        lemmatizer = None
        names = nlp.pipe_names
        # (only when no component after it, but the skipped NER, could read the lemmas)
        if "lemmatizer" in names and set(names[names.index("lemmatizer") + 1 :]) <= {"ner"}:
            lemmatizer = nlp.get_pipe("lemmatizer")
            skip.append("lemmatizer")
        # a text that comes again (a note repeated, a sentence quoted twice) is parsed once
        by_text: dict[str, list[SentenceMentions]] = {}
        for item in todo:
            by_text.setdefault(item.text, []).append(item)
        docs = pipe_batched(nlp, list(by_text), skip, max_chars)
        for same_text, doc in zip(by_text.values(), docs, strict=True):
            for item in same_text:
                item.grammar = [grammar_of(doc, m.start, m.end, lemmatizer) for m in item.actors]
