"""Filling records from drafts: roles, years, on small made-up reports and the shipped models."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from pipeline.document import Document, Table
from pipeline.nlp.amounts import amounts_from_table
from pipeline.nlp.mentions import SentenceMentions, TableMentions
from pipeline.records.assemble import Assembler, Draft
from pipeline.records.build import (
    DETECTION_CHUNK,
    HOME_CONFIDENCE,
    RECORD_CHUNK,
    RecordModels,
    about_security,
    detect,
    fill_records,
    report_on_security,
)
from pipeline.records.examples import detection_chunks, detection_examples
from pipeline.records.inputs import DocumentInputs
from pipeline.records.predict import probabilities
from pipeline.records.store import load_models

from .test_assemble import _assemble, _items


@lru_cache(maxsize=1)
def _models() -> RecordModels:
    return load_models(Path(__file__).resolve().parents[2] / "models" / "records").models


def _parsed_drafts(*paragraphs: str, notes: dict[int, str] | None = None) -> list[Draft]:
    """The drafts of a made-up report, their sentences parsed (skipped without the parser)."""
    from pipeline.nlp.syntax import GrammarReader

    reader = GrammarReader()
    if not reader.available:
        pytest.skip("pretrained parser package not installed")
    drafts = _assemble(_items(*paragraphs, notes=notes))
    reader.annotate(i for d in drafts for i in d.items)
    return drafts


def test_an_organisation_named_after_its_country_acts_for_it() -> None:
    from pipeline.nlp.actors import ActorMatcher, ActorRegistry
    from pipeline.records.examples import acts_for, role_examples
    from pipeline.records.rules import ALL_ON

    matcher = ActorMatcher(ActorRegistry.load())
    if not matcher.ner_available:
        pytest.skip("pretrained NER package not installed")
    sentence = "The U.S. Army Corps of Engineers built a pier for the Peruvian Navy in 2024."
    (item,) = _items(sentence, matcher=matcher)
    corps = [m for m in item.actors if m.text == "U.S. Army Corps of Engineers"]
    assert corps[0].canonical is None and acts_for(corps[0]) == "United States"
    assert "United States" in {acts_for(m) for m, _ in role_examples(item)}
    switched_off = ALL_ON.without("organisations-act-for-their-country")
    assert "United States" not in {acts_for(m, switched_off) for m, _ in role_examples(item, switched_off)}
    (record,) = fill_records("made-up", _assemble([item]), _models())
    assert "United States" in record.funders


def test_a_government_agency_brings_its_state_in_as_a_funder() -> None:
    drafts = _assemble(
        _items(
            "In 2012, USAID funded new radios for the customs posts of Guatemala.",
            "In 2013, UNDP funded a violence prevention program for the youth of Honduras.",
        )
    )
    agency, multilateral = fill_records("made-up", drafts, _models())
    assert "USAID" in agency.funders + agency.implementers
    assert "United States" in agency.funders
    assert agency.confidence["funder:United States"] > 0
    # a United Nations programme has no state; its parent is not added either
    assert "United Nations Development Programme" in multilateral.funders + multilateral.implementers
    assert not {"United States", "United Nations"} & set(multilateral.funders)


def test_a_record_starts_no_later_than_its_tables_first_year_column() -> None:
    table = Table(
        page=3,
        bbox=(0.0, 0.0, 100.0, 50.0),
        caption="Figure 2. Cooperation for the Border Fund ($ million)",
        header=["Account", "2009", "2010", "2011"],
        rows=[["Equipment", "12", "30", "8"], ["Training", "4", "6", "9"]],
    )
    tables = [TableMentions(0, table, amounts_from_table(table))]
    draft = Draft(key="border fund", names=["Border Fund"], tables=tables)
    (record,) = fill_records("made-up", [draft], _models())
    assert record.years.mentioned == [2009, 2010, 2011]
    assert record.years.start == 2009
    # a later year in the text does not start a program its table shows running before
    (draft,) = [d for d in _assemble(_items("The Border Fund trained 300 officers in 2013.")) if d.key]
    draft.tables = tables
    (record,) = fill_records("made-up", [draft], _models())
    assert record.years.mentioned == [2009, 2010, 2011, 2013]
    assert record.years.start == 2009


def test_a_record_naming_no_recipient_gets_the_reports_region() -> None:
    models = _models()
    named = "The Safe Streets Initiative trained police officers in Honduras in 2011."
    unnamed = "The Border Trust Fund bought radios for customs posts in 2012."
    drafts = _assemble(_items(named, unnamed))
    records = fill_records("made-up", drafts, models, home="Latin America")
    by_name = {r.name: r for r in records}
    assert "Honduras" in by_name["Safe Streets Initiative"].recipients
    assert "Latin America" not in by_name["Safe Streets Initiative"].recipients
    assert by_name["Border Trust Fund"].recipients == ["Latin America"]
    assert by_name["Border Trust Fund"].confidence["recipients"] == HOME_CONFIDENCE
    without_home = {r.name: r for r in fill_records("made-up", drafts, models)}
    assert without_home["Border Trust Fund"].recipients == []


def test_detection_is_the_model_s_word_and_the_codebook_s_shapes_are_its_features() -> None:
    models = _models()
    items = _items(
        "In addition, Taiwan donated 40 patrol cars to the police of Honduras in 2015.",
        "Crime in Honduras fell sharply after 2015, the police said.",
        "Critics say the Juntos Seguros Initiative was mostly talk.",
    )
    examples = detection_examples(items)
    assert detect(items, models) == probabilities(models.detector, examples, 1)  # nothing overwritten
    donated, trend, named = (e["features"] for e in examples)
    assert donated["cooperation_statement"] == 1 and trend["cooperation_statement"] == 0
    assert named["program_name"] == 1 and trend["program_name"] == 0
    # the codebook's "identifiable provider": a registered actor doing a cooperation verb on security
    assert donated["provider_on_security"] == 1 and trend["provider_on_security"] == 0


@pytest.fixture(scope="module")
def seed_inputs(seed_document: Document) -> DocumentInputs:
    """The shipped two-column report's sentences, mentions and tables (without NER)."""
    from pipeline.nlp.actors import ActorMatcher, ActorRegistry
    from pipeline.records.inputs import document_inputs

    return document_inputs(seed_document, ActorMatcher(ActorRegistry.load(), use_ner=False))


def test_detection_in_chunks_gives_every_sentence_of_a_report_what_the_whole_report_gives(
    seed_inputs: DocumentInputs,
) -> None:
    items = seed_inputs.items
    assert len(items) > 2 * DETECTION_CHUNK
    whole = detection_examples(items)
    # the sentences around one are among its features: a chunk's edges must not cut them off
    # (chunks of one sentence make every sentence an edge)
    assert sum(any(k.startswith(("prev:", "next:")) for k in e["features"]) for e in whole) > 200
    for size in (1, 2, 100, DETECTION_CHUNK):
        assert [e for chunk in detection_chunks(items, size) for e in chunk] == whole, size
    models = _models()
    expected = probabilities(models.detector, whole, 1)
    assert detect(items, models) == expected  # the same floats, not close ones
    assert detect(items, models, 100) == expected


def test_a_report_s_records_take_the_same_roles_and_kinds_whatever_the_chunk(
    seed_inputs: DocumentInputs,
) -> None:
    from pipeline.nlp.syntax import GrammarReader

    inputs, models = seed_inputs, _models()
    detected = detect(inputs.items, models)
    drafts = Assembler(linker=models.linker).assemble(inputs.items, detected, inputs.tables)
    assert len(drafts) > RECORD_CHUNK
    reader = GrammarReader()
    if reader.available:  # roles read the grammar where there is one
        reader.annotate(i for d in drafts if not d.roles for i in d.items)
    whole = fill_records("seed", drafts, models, inputs.home, chunk=len(drafts))
    assert any(r.funders for r in whole) and any(r.modality for r in whole)
    for size in (7, RECORD_CHUNK):
        assert fill_records("seed", drafts, models, inputs.home, chunk=size) == whole, size


def test_a_record_needs_a_name_or_a_provider_and_ids_stay_consecutive() -> None:
    models = _models()
    drafts = _assemble(
        _items(
            "The Safe Streets Initiative trained police officers in Honduras in 2011.",
            "Crime rates rose sharply across the cities in those years.",
            "USAID funded radios for customs posts in Guatemala in 2012.",
        )
    )
    assert len(drafts) == 3
    records = fill_records("made-up", drafts, models)
    assert [r.id for r in records] == [f"made-up-{n:04d}" for n in range(1, len(records) + 1)]
    assert all(r.name or r.funders or r.implementers for r in records)
    assert not any("Crime rates" in r.evidence[0].text for r in records)


def test_a_record_a_sub_regional_body_funds_serves_that_body_s_region_by_default() -> None:
    drafts = _assemble(_items("In 2012, SICA funded a new training course for border police officers."))
    (record,) = fill_records("made-up", drafts, _models(), home="Latin America")
    assert "Central American Integration System" in record.funders
    assert record.recipients == ["Central America"]
    assert record.confidence["recipients"] == HOME_CONFIDENCE


def test_in_a_report_about_security_a_named_program_is_about_it() -> None:
    named, unnamed = _assemble(
        _items(
            "In 2011 UN-Habitat launched the Global Network on Safer Cities with twelve mayors.",
            "In 2012 the bank lent money for urban parks in Lima.",
        )
    )
    assert named.key and not unnamed.key
    assert not about_security(named) and not about_security(unnamed)
    assert about_security(named, on_security=True) and not about_security(unnamed, on_security=True)
    titled = Document(doc="d", path="d.pdf", pages=1, title="Reviewing Citizen Security Cooperation")
    assert report_on_security(titled)
    assert not report_on_security(Document(doc="g", path="g.pdf", pages=1, title="Grants Management"))


def test_roles_use_the_grammar_when_parsed_and_the_words_when_not() -> None:
    from pipeline.nlp.syntax import GrammarReader

    models = _models()
    assert models.roles_unparsed is not None  # the shipped models were trained with the parser
    reader = GrammarReader()
    if not reader.available:
        return  # without the parser only the words' model can run, as the next lines check
    text = "Like the IADB, UNDP established a special fund for Honduras with support from Spain in 2011."
    unparsed = _assemble(_items(text))
    parsed = _assemble(_items(text))
    reader.annotate(i for d in parsed for i in d.items)
    (words,) = fill_records("made-up", unparsed, models)
    (grammar,) = fill_records("made-up", parsed, models)
    assert "Spain" in grammar.funders and "Honduras" in grammar.recipients
    # the body it is compared with plays no part
    iadb = "Inter-American Development Bank"
    assert iadb not in grammar.funders + grammar.implementers + grammar.recipients
    assert words.confidence != grammar.confidence  # two models, not one model asked twice


def test_the_role_model_weighs_what_the_grammar_states_in_a_sentence_it_never_saw() -> None:
    from pipeline.records.examples import role_examples

    given = "In 2009 the United States donated twelve helicopters to the Guatemalan army."
    (draft,) = _parsed_drafts(given)
    said = {m.canonical: e["features"] for m, e in role_examples(draft.items[0])}
    assert said["United States"].get("said:funder") and said["Guatemala"].get("said:recipient")
    (record,) = fill_records("made-up", [draft], _models())
    assert "Guatemala" in record.recipients and "Guatemala" not in record.funders
    assert "United States" in record.funders


def test_the_role_model_is_told_which_actors_stand_in_a_list() -> None:
    from pipeline.records.examples import role_examples

    (item,) = _items(
        "Countries such as Brazil, Colombia and the United States train police officers, "
        "and Spain funds a forensic laboratory with Chile."
    )
    listed = {m.canonical: e["features"]["listed"] for m, e in role_examples(item)}
    assert listed == {"Brazil": 1, "Colombia": 1, "United States": 1, "Spain": 0, "Chile": 0}
    (alone,) = _items("In 2010, Spain funded a border police academy for Peru.")
    assert not any(e["features"]["listed"] for _, e in role_examples(alone))


def test_a_long_list_of_actors_is_read_once_per_sentence() -> None:
    from pipeline.records.examples import SentenceActors, role_example, role_examples

    countries = ["Brazil", "Colombia", "Mexico", "Peru", "Chile", "Spain", "Canada", "Japan"] * 25
    (item,) = _items("The United States funded police training for " + ", ".join(countries) + ".")
    examples = role_examples(item)
    assert len(examples) == len(countries) + 1
    assert [e["features"]["listed"] for _, e in examples] == [0] + [1] * len(countries)
    assert len(SentenceActors.of(item).listed) == len(countries)
    # a mention asked about alone is read the same way
    mention, example = examples[3]
    assert role_example(item, mention, 3, item.grammar[3] if item.grammar else None) == example


def test_the_role_model_is_told_when_an_agency_stands_beside_its_state() -> None:
    from pipeline.records.examples import role_examples

    (item,) = _items("The United States funds Honduras through USAID, and UNDP advises Guatemala.")
    beside = {m.canonical: e["features"]["its_country_named"] for m, e in role_examples(item)}
    assert {name for name, named in beside.items() if named} == {"USAID"}
    assert {"United States", "Honduras", "United Nations Development Programme", "Guatemala"} <= set(beside)
    (alone,) = _items("In 2012, USAID funded new radios for the customs posts of Guatemala.")
    assert not any(e["features"]["its_country_named"] for _, e in role_examples(alone))


def test_parties_to_an_accord_fund_and_receive_it() -> None:
    from pipeline.nlp.syntax import GrammarReader

    reader = GrammarReader()
    if not reader.available:
        pytest.skip("the accord is read off the parse: no parser installed")
    models = _models()
    accord = "In 2009, the interior ministers of Peru and Ecuador signed an agreement to patrol their border."
    funded = "In 2010, Spain funded a border police academy for Peru."
    drafts = _assemble(_items(accord)) + _assemble(_items(funded))
    reader.annotate(i for d in drafts for i in d.items)
    parties, one_way = fill_records("made-up", drafts, models)
    assert {"Peru", "Ecuador"} <= set(parties.funders) & set(parties.recipients)
    # a funder and its recipient are not parties to each other
    assert "Peru" not in one_way.funders and "Spain" not in one_way.recipients


def test_states_that_set_something_up_together_are_its_parties_but_examples_of_a_class_are_not() -> None:
    from pipeline.records.rules import ALL_ON, RuleSet

    models = replace(_models(), roles=_first_funds(), roles_unparsed=None)
    together = "In 2019, Chile and Uruguay established a Joint Border Police Commission against smuggling."
    examples = "Countries such as Chile and Uruguay have established forfeiture laws against laundering."

    def roles(text: str, rules: RuleSet = ALL_ON) -> tuple[set[str], set[str]]:
        (record,) = fill_records("made-up", _parsed_drafts(text), models, rules=rules)
        return set(record.funders), set(record.recipients)

    funders, recipients = roles(together)
    assert {"Chile", "Uruguay"} <= funders & recipients
    assert "Uruguay" not in roles(together, ALL_ON.without("accord-parties"))[0]
    # each of the countries a class is exemplified by sets up its own
    funders, recipients = roles(examples)
    assert "Uruguay" not in funders | recipients


def test_a_body_created_is_told_to_the_role_model_as_the_outcome_not_a_payer() -> None:
    from pipeline.nlp.syntax import GrammarReader
    from pipeline.records.examples import role_examples

    reader = GrammarReader()
    if not reader.available:
        pytest.skip("creation is read off the parse: no parser installed")
    text = "In 2004, the OAS created the Inter-American Committee against Terrorism to share intelligence."
    items = _items(text)
    reader.annotate(items)
    oas, cicte = "Organization of American States", "Inter-American Committee against Terrorism"
    features = {m.canonical: e["features"] for m, e in role_examples(items[0])}
    assert features[cicte].get("created") == 1 and "created" not in features[oas]
    assert features[oas].get("said:implementer") == 1  # the subject of "created" carries it out
    (record,) = fill_records("made-up", _assemble(items), _models())
    assert oas in record.funders and cicte not in record.funders


def test_a_program_is_no_party_to_its_own_record() -> None:
    from pipeline.records.rules import ALL_ON, RuleSet

    created = (
        "In 1986 the OAS created the Inter-American Drug Abuse Control Commission (CICAD) to fight "
        "drug trafficking."
    )
    cicad = "Inter-American Drug Abuse Control Commission"

    def parties(rules: RuleSet) -> set[str]:
        record = fill_records("made-up", _parsed_drafts(created), _models(), rules=rules)[0]
        assert record.name == f"{cicad} (CICAD)"
        return {*record.funders, *record.implementers, *record.recipients}

    assert cicad not in parties(ALL_ON)
    assert cicad in parties(ALL_ON.without("programs-are-not-their-parties"))


def test_a_record_opening_on_the_country_is_provided_by_the_country_named_before() -> None:
    drafts = _assemble(
        _items(
            "Colombia has become a provider of security cooperation in the region. "
            "The country supports 18 police attaches in Central American embassies."
        )
    )
    records = fill_records("made-up", drafts, _models())
    attaches = next(r for r in records if r.evidence[0].text.startswith("The country"))
    assert "Colombia" in attaches.funders + attaches.implementers


def test_a_place_after_in_is_where_the_intervention_happens_not_who_pays() -> None:
    from pipeline.nlp.syntax import GrammarReader
    from pipeline.records.examples import role_examples
    from pipeline.records.grammar_roles import where_it_happens

    reader = GrammarReader()
    if not reader.available:
        pytest.skip("read off the parse: no parser installed")
    items = _items("In El Salvador, the United States took part in the OAS to destroy 2,000 rifles.")
    reader.annotate(items)
    where = {m.canonical: where_it_happens(e["features"]) for m, e in role_examples(items[0])}
    assert where == {"El Salvador": True, "United States": False, "Organization of American States": False}
    drafts = _assemble(items)
    (record,) = fill_records("made-up", drafts, _models())
    assert "El Salvador" not in record.funders + record.implementers


class _FundersOutsideNames:
    """A role model calling every mention a funder except those inside a program's name."""

    classes_ = ("funder", "none")

    def predict_proba(self, examples: list[dict]) -> np.ndarray:
        return np.array([[0.0, 1.0] if e["features"]["in_name"] else [0.9, 0.1] for e in examples])


class _FirstAndTheRest:
    """A made-up role model: the probabilities of ``classes_`` for a sentence's first actor,
    and for every other one."""

    def __init__(self, classes: tuple[str, ...], first: list[float], rest: list[float]) -> None:
        self.classes_ = classes
        self.first = first
        self.rest = rest

    def predict_proba(self, examples: list[dict]) -> np.ndarray:
        return np.array([self.first if e["features"]["position"] == "first" else self.rest for e in examples])


def _first_funds() -> _FirstAndTheRest:
    """The first actor funds, every other one is nobody."""
    return _FirstAndTheRest(("funder", "none"), [0.9, 0.1], [0.0, 1.0])


def test_a_note_saying_who_supports_the_program_gives_its_provider() -> None:
    stating = "Business groups have backed public authorities in Guatemala through the Safer Streets program."
    drafts = _parsed_drafts(stating, notes={0: "The program is supported by FUNDESA and CACIF."})
    assert [d.joined_by for d in drafts] == [{0: "start", 1: "footnote"}]
    (record,) = fill_records("made-up", drafts, _models())
    assert {"FUNDESA", "CACIF"} <= set(record.funders)


def test_a_body_whose_creation_a_list_item_names_carries_it_out() -> None:
    drafts = _parsed_drafts("Examples include the creation of police commissions such as Ameripol.")
    (record,) = fill_records("made-up", drafts, _models())
    assert "Ameripol" in record.funders  # it carries it out, and with no one else named, it provides


def test_a_place_in_the_name_of_a_program_launched_is_not_a_body_created() -> None:
    text = "The Andean Border Program was launched in 2010 by the United Kingdom to train customs officers."
    (record,) = fill_records("made-up", _parsed_drafts(text), _models())
    assert "United Kingdom" in record.funders
    assert "Andean region" not in record.implementers + record.funders


def _first_funds_the_rest_receive() -> _FirstAndTheRest:
    """The first actor funds, every other one receives."""
    return _FirstAndTheRest(("funder", "recipient", "none"), [0.9, 0.05, 0.05], [0.05, 0.9, 0.05])


def test_a_city_that_only_names_where_something_was_agreed_or_met_is_no_party() -> None:
    from pipeline.records.rules import ALL_ON, RuleSet

    text = (
        "In 2011 the OAS member states adopted the Lima Declaration on Police Cooperation at a "
        "summit in Santo Domingo, with training for the police of Medellin."
    )
    role_model = _first_funds_the_rest_receive()
    models = replace(_models(), roles=role_model, roles_unparsed=role_model)

    def recipients(rules: RuleSet) -> set[str]:
        (record,) = fill_records("made-up", _parsed_drafts(text), models, rules=rules)
        return set(record.recipients)

    # the declaration is named after the city it was agreed in, the summit held in another;
    # the city whose police are trained takes part
    assert {"Medellin"} <= recipients(ALL_ON)
    assert not {"Lima", "Santo Domingo"} & recipients(ALL_ON)
    assert {"Lima", "Santo Domingo"} <= recipients(ALL_ON.without("venue-cities"))


def test_a_city_in_a_title_the_report_sets_in_italics_is_in_a_name() -> None:
    from pipeline.records.examples import role_example

    text = "A summit of mayors adopted the so-called Bogota Manifesto and the Charter of Asunción."
    (item,) = _items(text)
    cities = [m for m in item.actors if m.text in ("Bogota", "Asunción")]
    assert len(cities) == 2 and [role_example(item, c, 0)["features"]["in_name"] for c in cities] == [0, 0]
    titles = ("Bogota Manifesto", "Charter of Asunción")
    italics = tuple((text.index(t), text.index(t) + len(t)) for t in titles)
    titled = replace(item, sentence=replace(item.sentence, emphasis=italics))
    # in a title, wherever it stands in it
    assert [role_example(titled, c, 0)["features"]["in_name"] for c in cities] == [1, 1]


def test_a_continent_beside_countries_of_it_is_the_setting_and_the_countries_benefit() -> None:
    from pipeline.records.rules import ALL_ON, RuleSet

    role_model = _first_funds_the_rest_receive()
    models = replace(_models(), roles=role_model, roles_unparsed=role_model)

    def recipients(text: str, rules: RuleSet = ALL_ON) -> set[str]:
        (record,) = fill_records("made-up", _assemble(_items(text)), models, rules=rules)
        return set(record.recipients)

    listed = "Spain has supported police reform in Latin America, notably in El Salvador and Honduras."
    assert recipients(listed) >= {"El Salvador", "Honduras"}
    assert "Latin America" not in recipients(listed)
    assert "Latin America" in recipients(listed, ALL_ON.without("continents-are-settings"))
    # alone, the continent is who benefits; a sub-region beside its countries stays a recipient
    assert "Latin America" in recipients("Spain has supported police reform in Latin America.")
    sub = "Spain has supported police reform in Central America, notably in El Salvador."
    assert "Central America" in recipients(sub)


def test_a_region_is_never_who_provides() -> None:
    # a role model that makes the first actor the funder: here a region
    models = replace(_models(), roles=_first_funds(), roles_unparsed=None)
    named = "Central American governments cooperate on gangs through the Safe Borders Program."
    (record,) = fill_records("made-up", _assemble(_items(named)), models)
    assert record.name == "Safe Borders Program"
    assert record.funders == [] and "funder:Central America" not in record.confidence
    # with neither a name nor another provider, nothing is left to be a record
    unnamed = "Central American governments cooperate on gang prevention."
    assert fill_records("made-up", _assemble(_items(unnamed)), models) == []


def _first_funds_or_receives() -> _FirstAndTheRest:
    """The first actor rather funds than receives, every other one is nobody."""
    return _FirstAndTheRest(("funder", "none", "recipient"), [0.6, 0.1, 0.3], [0.0, 1.0, 0.0])


def test_a_region_takes_the_likeliest_role_a_place_can_play() -> None:
    # the rule narrows the roles the model chooses among; it does not delete what it chose
    from pipeline.records.rules import ALL_ON

    models = replace(_models(), roles=_first_funds_or_receives(), roles_unparsed=None)
    named = "Central American governments cooperate on gangs through the Safe Borders Program."
    (record,) = fill_records("made-up", _assemble(_items(named)), models)
    assert record.recipients == ["Central America"] and record.funders == []
    assert record.confidence["recipient:Central America"] == 0.3
    off_rules = ALL_ON.without("regions-do-not-provide")
    (off,) = fill_records("made-up", _assemble(_items(named)), models, rules=off_rules)
    assert off.funders == ["Central America"] and off.recipients == []


def test_a_rule_switched_off_no_longer_decides() -> None:
    from pipeline.records.rules import ALL_ON

    models = replace(_models(), roles=_first_funds(), roles_unparsed=None)
    named = "Central American governments cooperate on gangs through the Safe Borders Program."
    drafts = _assemble(_items(named))
    (off,) = fill_records("made-up", drafts, models, rules=ALL_ON.without("regions-do-not-provide"))
    assert "Central America" in off.funders  # what the rule keeps out of the providers


def test_rules_are_registered_with_what_they_write_down() -> None:
    from pipeline.config import Config
    from pipeline.records.rules import RULES, RuleSet

    stages = {"filter", "names", "grouping", "roles", "fields", "records"}
    assert RULES and all(r.writes_down and r.stage in stages for r in RULES.values())
    config = Config().override("rules.disabled=accord-parties, agency-states")
    assert RuleSet.parse(config.rules.disabled).disabled == {"accord-parties", "agency-states"}
    with pytest.raises(ValueError, match="unknown rule"):
        RuleSet.parse("accord-parties,no-such-rule")
    # the ablation scores a rule by the figure it decides: only registered rules are named there
    from pipeline.cli import RULE_FIGURE

    assert set(RULE_FIGURE) <= set(RULES)


def test_whom_a_service_is_rendered_to_receives_it() -> None:
    sentence = "In 2005, JICA provided community policing training to the Brazilian Military Police."
    drafts = _parsed_drafts(sentence)
    (record,) = fill_records("made-up", drafts, _models())
    assert "Brazil" in record.recipients and "Brazil" not in record.funders


def test_the_title_of_a_work_a_note_cites_does_not_make_a_record_about_security() -> None:
    stating = "In 1995, the transit agency established a new enforcement policy for its grantees."
    reference = "GAO, Defense Acquisitions: Fees Paid, GAO-06-66 (Washington, D.C.: Dec. 19, 2005)."
    (cited,) = _assemble(_items(stating, notes={0: reference}))
    assert len(cited.items) == 2 and not about_security(cited)
    (said,) = _assemble(_items(stating, notes={0: "The policy also covers the defense of bus drivers."}))
    assert about_security(said)


def test_the_detector_reads_a_finding_that_a_donor_gives_nothing_as_no_intervention() -> None:
    from pipeline.records.build import detect

    absent = "Likewise, India does not list the region among its priorities and thus provides no assistance."
    given = "In 2010, Spain funded a border police academy for Peru."
    p_absent, p_given = detect(_items(absent, given), _models())
    assert p_absent < 0.4 <= p_given


def _in_section(drafts: list[Draft], section: str | None) -> list[Draft]:
    for draft in drafts:
        draft.items = [replace(i, sentence=replace(i.sentence, section=section)) for i in draft.items]
    return drafts


def test_a_record_naming_no_recipient_benefits_the_place_its_section_or_title_names() -> None:
    from pipeline.nlp.mentions import heading_places

    from .test_assemble import _matcher

    heading, title = "Building Resilience in Guyana", "FACT SHEET: The U.S.-Chile Security Dialogue"
    places = heading_places([title, heading, "Public Health"], _matcher())
    assert places == {title: ["United States", "Chile"], heading: ["Guyana"]}
    sentence = "The Department of State trained 40 navy officers in maritime security in 2023."
    (record,) = fill_records(
        "made-up", _in_section(_assemble(_items(sentence)), heading), _models(), places=places, title=title
    )
    assert "United States" in record.funders
    assert record.recipients == ["Guyana"]
    assert record.confidence["recipients"] == HOME_CONFIDENCE
    # a section naming no place: the title's places, less the provider's country
    (record,) = fill_records(
        "made-up",
        _in_section(_assemble(_items(sentence)), "Public Health"),
        _models(),
        places=places,
        title=title,
    )
    assert record.recipients == ["Chile"]
    (record,) = fill_records("made-up", _in_section(_assemble(_items(sentence)), heading), _models())
    assert record.recipients == []


def test_a_provider_named_only_in_a_joined_passage_does_not_make_a_general_statement_a_record() -> None:
    # RECORDS.md: general statements are no interventions, whatever the sentences after them name
    from pipeline.records.rules import ALL_ON

    general = "For a century or more, security priorities in the region have been shaped by its neighbour."
    naming = "Over the past two decades the United States has devoted over $10 billion to counter-narcotics."
    first, second = _items(general, naming)
    models = replace(_models(), roles=_first_funds(), roles_unparsed=None)
    assert fill_records("made-up", [_draft_of(first, second)], models) == []
    off_rule = ALL_ON.without("provider-or-name")
    off = fill_records("made-up", [_draft_of(first, second)], models, rules=off_rule)
    assert [r.funders for r in off] == [["United States"]]
    # a sentence carrying on what the record states ("follow-up") names its provider
    (kept,) = fill_records("made-up", [_draft_of(first, second, joined_by="follow-up")], models)
    assert kept.funders == ["United States"]
    # named in the stating sentence, the provider makes the record
    (stated,) = fill_records("made-up", [_draft_of(second, first)], models)
    assert stated.funders == ["United States"]


def _draft_of(start: SentenceMentions, *after: SentenceMentions, joined_by: str = "passage") -> Draft:
    draft = Draft()
    draft.add(start, 0.9, "start")
    for item in after:
        draft.add(item, 0.9, joined_by)
    return draft
