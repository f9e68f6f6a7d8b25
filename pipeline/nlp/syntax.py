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

from spacy.attrs import LEMMA, MORPH, POS
from spacy.tokens._retokenize import set_token_attrs

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


class WordAttributes:
    """The part of speech and lemma of the words the grammar reads, as the pipeline's attribute
    ruler and lemmatizer set them, for docs parsed without those two components.

    The ruler matches its patterns (179 in en_core_web_sm) at every token of every sentence: a
    third of the time of parsing a report's sentences. The grammar reads the part of speech or
    lemma of a few words a mention, so those words alone get what the ruler would give them.
    Without a ruler or a lemmatizer (a doc parsed with them), the doc's own values are read."""

    def __init__(self, ruler: Any = None, lemmatizer: Any = None) -> None:
        self.ruler = ruler
        self.lemmatizer = lemmatizer
        self.reach = max((len(p["patterns"][0]) for p in ruler.patterns), default=1) if ruler else 1

    @staticmethod
    def can_rule_words(ruler: Any) -> bool:
        """Whether ``ruler`` can be applied a word at a time: no pattern tests what the grammar
        takes from it (the ruler matches every pattern before it sets anything, so a pattern
        must not see what another set on a word ruled earlier)."""
        tested = {key.upper() for p in ruler.patterns for token in p["patterns"][0] for key in token}
        return not tested & set(GRAMMAR_READS)

    def pos(self, token: Token) -> str:
        self._rule(token)
        return token.pos_

    def lemma(self, token: Token) -> str:
        """The token's lemma, folded: what the lemmatizer would have set (it keeps a lemma the
        attribute ruler set, unless it overwrites)."""
        self._rule(token)
        if self.lemmatizer is not None and (self.lemmatizer.overwrite or token.lemma == 0):
            lemma: str = self.lemmatizer.lemmatize(token)[0]
            return lemma.casefold() or token.lower_
        return token.lemma_.casefold() or token.lower_

    def _rule(self, token: Token) -> None:
        """Set on ``token`` what the attribute ruler sets of :data:`GRAMMAR_READS`: its patterns
        matched on the token and as many neighbours as a pattern is long, in the ruler's order
        (a later pattern's attributes over an earlier one's). No pattern tests what is set
        (:meth:`can_rule_words`), so the words can be ruled one at a time, in any order."""
        ruler = self.ruler
        if ruler is None:
            return
        doc = token.doc
        ruled = doc.user_data.setdefault(_RULED, set())
        if token.i in ruled:
            return
        ruled.add(token.i)
        around = doc[max(0, token.i - self.reach + 1) : token.i + self.reach]
        matches = ruler.matcher(around, allow_missing=True, as_spans=True)
        for attr_id, _start, _end, match in sorted(
            (int(ruler.vocab.strings[m.label]), m.start, m.end, m) for m in matches
        ):
            if match[ruler.indices[attr_id]].i == token.i:
                read = {key: value for key, value in ruler.attrs[attr_id].items() if key in _READ_IDS}
                set_token_attrs(token, read)


GRAMMAR_READS = {"POS": POS, "MORPH": MORPH, "LEMMA": LEMMA}
"""What the grammar reads of the attributes the ruler sets (the lemmatizer reads the first two);
the ruler's other settings (a whitespace token's tag) are left as parsed, so that every
pattern sees the words as the parser left them."""
_READ_IDS = frozenset(GRAMMAR_READS.values())
_RULED = "csminer_ruled_tokens"
"""The doc's ``user_data`` key of the tokens :class:`WordAttributes` has ruled."""
_AS_PARSED = WordAttributes()


def grammar_of(doc: Doc, start: int, end: int, words: WordAttributes = _AS_PARSED) -> Grammar | None:
    """The grammar of the characters ``start:end`` of a parsed sentence (None when they do
    not cover a token).

    ``words``: the parts of speech and lemmas the grammar reads, for a doc parsed without the
    attribute ruler and the lemmatizer (see :class:`WordAttributes`)."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    root = span.root
    phrase = _phrase_of(root)
    if (
        phrase.dep_ == "pobj"
        and _exemplifies(phrase.head, words)
        and _plays_for_its_examples(phrase.head.head)
    ):
        phrase = _phrase_of(phrase.head.head)  # "agencies such as UNDP teamed up": UNDP is a subject
    elif phrase.dep_ == "pobj" and _stands_for_its_complement(phrase.head, words):
        phrase = _phrase_of(phrase.head.head)  # "funded by the Government of Canada": Canada funds
    if phrase.dep_ in ("pobj", "pcomp"):
        preposition = phrase.head
        return Grammar(
            root.dep_,
            phrase.dep_,
            preposition.lower_,
            words.lemma(preposition.head),
            preposition.dep_ == "agent",
            _subject_of(_owner_of_complement(preposition, words), words),
        )
    governor = words.lemma(phrase.head) if phrase.dep_ in CLAUSE_ROLES else None
    return Grammar(root.dep_, phrase.dep_, governor=governor, subject_of=_subject_of(phrase, words))


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


def _exemplifies(preposition: Token, words: WordAttributes) -> bool:
    """Whether a preposition brings in examples of the noun it hangs on ("donors such as
    Spain", "agencies including UNDP"): the examples play that noun's part."""
    if preposition.dep_ != "prep" or words.pos(preposition.head) not in ("NOUN", "PROPN"):
        return False
    if preposition.lower_ == "including":
        return True
    return preposition.lower_ == "as" and any(child.lower_ == "such" for child in preposition.children)


STATE_NOUNS = frozenset(
    {"government", "governments", "authorities", "administration", "state", "people", "presidency"}
)
"""Nouns whose "of" complement is the actor itself: "the Government of Canada" is Canada."""


def _stands_for_its_complement(preposition: Token, words: WordAttributes) -> bool:
    return (
        preposition.lower_ == "of"
        and preposition.dep_ == "prep"
        and words.pos(preposition.head) in ("NOUN", "PROPN")
        and preposition.head.lower_ in STATE_NOUNS
    )


def _owner_of_complement(preposition: Token, words: WordAttributes) -> Token | None:
    """The phrase an "of" complement belongs to ("presidents" in "the presidents of X")."""
    if preposition.lower_ != "of" or words.pos(preposition.head) not in ("NOUN", "PROPN"):
        return None
    owner = preposition.head
    while owner.dep_ in PHRASE_INTERNAL and owner.head is not owner:
        owner = owner.head
    return owner


def _subject_of(phrase: Token | None, words: WordAttributes) -> str | None:
    if phrase is None or phrase.dep_ not in ("nsubj", "nsubjpass"):
        return None
    return words.lemma(phrase.head)


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
        # nor are the attribute ruler's parts of speech and the lemmas of every word, when only a
        # few words' are read (see WordAttributes)
        skip = ["ner"]
        words = _AS_PARSED
        names = nlp.pipe_names
        # (only when no component after them, but the skipped NER, could read what they set)
        if "lemmatizer" in names and set(names[names.index("lemmatizer") + 1 :]) <= {"ner"}:
            ruler = None
            if "attribute_ruler" in names and names.index("attribute_ruler") == names.index("lemmatizer") - 1:
                candidate = nlp.get_pipe("attribute_ruler")
                if WordAttributes.can_rule_words(candidate):
                    ruler = candidate
                    skip.append("attribute_ruler")
            words = WordAttributes(ruler, nlp.get_pipe("lemmatizer"))
            skip.append("lemmatizer")
        # a text that comes again (a note repeated, a sentence quoted twice) is parsed once
        by_text: dict[str, list[SentenceMentions]] = {}
        for item in todo:
            by_text.setdefault(item.text, []).append(item)
        docs = pipe_batched(nlp, list(by_text), skip, max_chars)
        for same_text, doc in zip(by_text.values(), docs, strict=True):
            for item in same_text:
                item.grammar = [grammar_of(doc, m.start, m.end, words) for m in item.actors]
