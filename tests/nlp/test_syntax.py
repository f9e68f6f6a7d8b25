"""Grammar of actor mentions: the parser says who acts, who gives and who is given to."""

from __future__ import annotations

import pytest
import spacy

from pipeline.document import Document
from pipeline.errors import ErrorCode, problem
from pipeline.nlp.actors import ActorMatcher, ActorRegistry
from pipeline.nlp.mentions import SentenceMentions
from pipeline.nlp.pretrained import _batches
from pipeline.nlp.sentences import Sentence
from pipeline.nlp.syntax import GrammarReader, load_parser
from pipeline.records.examples import role_examples


@pytest.fixture(scope="module")
def parser() -> spacy.Language:
    model = load_parser()
    if model is None:
        pytest.skip("pretrained parser package not installed")
    return model


@pytest.fixture(scope="module")
def matcher() -> ActorMatcher:
    return ActorMatcher(ActorRegistry.load(), use_ner=False)


def mentions_of(text: str, matcher: ActorMatcher) -> SentenceMentions:
    sentence = Sentence(0, text, 0, len(text), "body", 0, None, (), (), (1,), None)
    return SentenceMentions(sentence, matcher.find(text))


def grammar_by_actor(item: SentenceMentions) -> dict[str, dict]:
    assert item.grammar is not None
    return {m.canonical: g.features() for m, g in zip(item.actors, item.grammar, strict=True) if g}


def test_subject_and_supporter_are_told_apart(parser: spacy.Language, matcher: ActorMatcher) -> None:
    text = "Like IADB, UNDP has also established a special fund with support from Spain."
    item = mentions_of(text, matcher)
    GrammarReader(parser).annotate([item])
    found = grammar_by_actor(item)
    undp = found["United Nations Development Programme"]
    assert undp["syn:phrase"] == "nsubj" and undp["syn:gov"] == "establish"
    spain = found["Spain"]
    assert spain["syn:phrase"] == "pobj" and spain["syn:prep>gov"] == "from>support"
    assert found["Inter-American Development Bank"]["syn:prep"] == "like"


def test_passive_agent_and_conjuncts(parser: spacy.Language, matcher: ActorMatcher) -> None:
    item = mentions_of("The police reform in Honduras was funded by USAID and Canada.", matcher)
    GrammarReader(parser).annotate([item])
    found = grammar_by_actor(item)
    assert found["USAID"].get("syn:agent") == 1
    # a conjunct takes the role of the phrase it belongs to
    assert found["Canada"]["syn:dep"] == "conj" and found["Canada"].get("syn:agent") == 1
    assert found["Honduras"]["syn:prep"] == "in"


def test_role_examples_carry_grammar_only_when_parsed(parser: spacy.Language, matcher: ActorMatcher) -> None:
    item = mentions_of("Mexico trained 7,000 police officers from Guatemala in 2012.", matcher)
    bare = [e["features"] for _, e in role_examples(item)]
    assert not any(k.startswith("syn:") for f in bare for k in f)
    GrammarReader(parser).annotate([item])
    parsed = [e["features"] for _, e in role_examples(item)]
    assert parsed[0]["syn:phrase"] == "nsubj" and parsed[1]["syn:prep"] == "from"
    # the words' features are the same either way: grammar only adds
    assert all(b.items() <= p.items() for b, p in zip(bare, parsed, strict=True))


def test_annotate_parses_each_sentence_once(parser: spacy.Language, matcher: ActorMatcher) -> None:
    item = mentions_of("Brazil signed an agreement with Russia.", matcher)
    reader = GrammarReader(parser)
    reader.annotate([item, item])
    first = item.grammar
    reader.annotate([item])
    assert item.grammar is first and len(first or []) == len(item.actors) == 2


def test_without_the_parser_roles_fall_back_to_words(matcher: ActorMatcher) -> None:
    off = GrammarReader(enabled=False)
    assert off.available is False
    item = mentions_of("Spain funded a program in Bolivia.", matcher)
    off.annotate([item])
    assert item.grammar is None
    assert load_parser("no_such_model_package_for_csminer") is None
    assert ErrorCode.PARSER_UNAVAILABLE.value.startswith("W")
    assert "parser" in problem(ErrorCode.PARSER_UNAVAILABLE).message


def test_a_run_without_the_parser_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from pipeline.nlp import syntax
    from pipeline.records.store import load_models
    from pipeline.run import Stages

    models = load_models(Path(__file__).resolve().parents[2] / "models" / "records").models
    monkeypatch.setattr(syntax, "load_parser", lambda package=None: None)
    stages = Stages.load(models)
    assert stages.grammar is not None and not stages.grammar.available
    assert problem(ErrorCode.PARSER_UNAVAILABLE).message in stages.notes


def test_the_pretrained_pipeline_leaves_out_what_its_package_disables(parser: spacy.Language) -> None:
    """The sentence recogniser ships disabled (the parser sets sentence starts): not loaded."""
    assert "senter" not in parser.component_names and not parser.disabled
    assert {"tagger", "parser", "attribute_ruler", "lemmatizer", "ner"} <= set(parser.pipe_names)


def test_the_pretrained_pipeline_tokenizes_as_its_package_does(parser: spacy.Language) -> None:
    """Built with a bare tokenizer, it reads the package's own: the same rules and special
    cases as ``spacy.load`` gives, so NER and the parser see the same tokens."""
    from pipeline.nlp.pretrained import PACKAGE

    loaded = spacy.load(PACKAGE, exclude=["senter", "tok2vec", "tagger", "parser", "ner"])
    assert parser.tokenizer.to_bytes(exclude=["vocab"]) == loaded.tokenizer.to_bytes(exclude=["vocab"])
    text = "The U.S.-funded program, e.g. INL's, didn't start until Jan. 2020 (see p. 4)."
    assert [t.text for t in parser.tokenizer(text)] == [t.text for t in loaded.tokenizer(text)]
    assert "didn't" not in [t.text for t in parser.tokenizer(text)]  # the special cases were read

def test_subject_of_reaches_through_of_complements(parser: spacy.Language, matcher: ActorMatcher) -> None:
    text = "In mid-2005, the presidents of El Salvador and Guatemala decided to establish a joint force."
    item = mentions_of(text, matcher)
    GrammarReader(parser).annotate([item])
    assert [g.subject_of for g in item.grammar or [] if g] == ["decide", "decide"]
    other = mentions_of("The United States trained police officers from Honduras.", matcher)
    GrammarReader(parser).annotate([other])
    assert [g.subject_of for g in other.grammar or [] if g] == ["train", None]


def parsed_grammar(text: str, parser: spacy.Language, matcher: ActorMatcher) -> dict[str, dict]:
    """Registry name → grammar features of each actor in ``text``, parsed."""
    item = mentions_of(text, matcher)
    GrammarReader(parser).annotate([item])
    return grammar_by_actor(item)


def test_examples_of_a_subject_are_subjects(parser: spacy.Language, matcher: ActorMatcher) -> None:
    text = "In this program, agencies such as UNICEF and UNDP teamed up with UNESCO to prevent violence."
    found = parsed_grammar(text, parser, matcher)
    for agency in ("UNICEF", "United Nations Development Programme"):
        assert found[agency]["syn:phrase"] == "nsubj" and found[agency]["syn:gov"] == "team"
    assert found["UNESCO"]["syn:prep"] == "with"
    # examples of an object keep their own place: "support from donors such as Spain"
    other = parsed_grammar("The program received support from donors such as Spain.", parser, matcher)
    assert other["Spain"]["syn:phrase"] == "pobj"


def test_the_government_of_a_country_is_the_country(parser: spacy.Language, matcher: ActorMatcher) -> None:
    text = "The police reform in Honduras was funded by the Government of Canada."
    canada = parsed_grammar(text, parser, matcher)["Canada"]
    assert canada.get("syn:agent") == 1 and canada["syn:gov"] == "fund"
    # an "of" complement of any other noun keeps its place: "officials of Honduras"
    other = parsed_grammar("The program trained officials of Honduras.", parser, matcher)
    assert other["Honduras"]["syn:prep>gov"] == "of>official"


def test_examples_of_a_sponsor_sponsor(parser: spacy.Language, matcher: ActorMatcher) -> None:
    from pipeline.records.grammar_roles import grammar_role

    text = "Extradition accords were signed under the auspices of regional bodies such as the OAS and SICA."
    found = parsed_grammar(text, parser, matcher)
    for body in ("Organization of American States", "Central American Integration System"):
        assert found[body]["syn:prep"] == "of" and grammar_role(found[body]) == "funder"


def test_batches_hold_a_budget_of_characters_in_order() -> None:
    texts = ["a" * 30, "b" * 30, "c" * 50, "d" * 10, "e" * 200, "f"]
    batches = list(_batches(texts, 60))
    assert batches == [texts[0:2], texts[2:4], [texts[4]], [texts[5]]]  # a longer text goes alone


def test_the_grammar_is_the_same_whatever_the_batches(parser: spacy.Language, matcher: ActorMatcher) -> None:
    texts = [
        "Like IADB, UNDP has also established a special fund with support from Spain.",
        "The program was funded by USAID and carried out by the OAS in Honduras.",
        "Canada and Mexico signed an agreement with the Government of Guatemala.",
    ]
    one_batch = [mentions_of(t, matcher) for t in texts]
    one_each = [mentions_of(t, matcher) for t in texts]
    GrammarReader(parser).annotate(one_batch)
    GrammarReader(parser).annotate(one_each, max_chars=1)
    assert [i.grammar for i in one_each] == [i.grammar for i in one_batch]


def test_words_ruled_one_at_a_time_give_the_grammar_of_a_full_parse(
    parser: spacy.Language, matcher: ActorMatcher, seed_document: Document
) -> None:
    # the attribute ruler is left out of parsing and applied to the words the grammar reads:
    # every mention of the seed gets the grammar a parse with the ruler gives
    from pipeline.nlp.pretrained import pipe_batched
    from pipeline.nlp.sentences import split_sentences
    from pipeline.nlp.syntax import WordAttributes, grammar_of

    lemmatizer, ruler = parser.get_pipe("lemmatizer"), parser.get_pipe("attribute_ruler")
    assert WordAttributes.can_rule_words(ruler)
    items = [mentions_of(s.text, matcher) for s in split_sentences(seed_document)]
    texts = list(dict.fromkeys(i.text for i in items if i.actors))
    ruled = dict(zip(texts, pipe_batched(parser, texts, ["ner"]), strict=True))
    bare = pipe_batched(parser, texts, ["ner", "lemmatizer", "attribute_ruler"])
    parsed = dict(zip(texts, bare, strict=True))
    words = WordAttributes(ruler, lemmatizer)
    compared = 0
    for item in items:
        for m in item.actors:
            assert grammar_of(parsed[item.text], m.start, m.end, words) == grammar_of(
                ruled[item.text], m.start, m.end
            ), item.text
            compared += 1
    assert compared > 1000
    # the words the grammar read, and those alone, were ruled
    some = parsed[texts[0]]
    assert 0 < len(some.user_data.get("csminer_ruled_tokens", ())) < len(some)
