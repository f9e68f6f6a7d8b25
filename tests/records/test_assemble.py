"""Grouping detected sentences into records, on small made-up reports in the field's style."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.document import Block, Document, Fragment, Note
from pipeline.nlp.actors import ActorMatcher, ActorRegistry
from pipeline.nlp.mentions import SentenceMentions, extract_mentions
from pipeline.nlp.sentences import split_sentences
from pipeline.records.assemble import Assembler, Draft, _has_words, enumerated_interventions
from pipeline.records.names import programs_named
from pipeline.records.rules import RuleSet

SAFE_STREETS = "The Safe Streets Initiative trained 300 police officers in Honduras in 2011."


@lru_cache(maxsize=1)
def _matcher() -> ActorMatcher:
    return ActorMatcher(ActorRegistry.load(), use_ner=False)


def _items(
    *paragraphs: str,
    captions: tuple[int, ...] = (),
    notes: dict[int, str] | None = None,
    matcher: ActorMatcher | None = None,
) -> list[SentenceMentions]:
    """Mentions of a one-page report made of these paragraphs (those numbered in ``captions``
    are captions; ``notes`` maps a paragraph to the footnote its last word cites)."""
    blocks = []
    footnotes = []
    for n, text in enumerate(paragraphs):
        frag = Fragment(page=1, bbox=(0.0, 10.0 * n, 100.0, 10.0 * n + 9), start=0, end=len(text))
        kind = "caption" if n in captions else "paragraph"
        block = Block(kind, 1, text, frag.bbox, fragments=[frag])
        if notes and n in notes:
            number = len(footnotes) + 1
            block.notes, block.note_offsets = [number], [len(text) - 1]
            box = (0.0, 500.0 + 10 * number, 100.0, 509.0 + 10 * number)
            note = notes[n]
            footnotes.append(
                Note(number, note, 1, box, fragments=[Fragment(1, box, 0, len(note))], referenced_by=[n])
            )
        blocks.append(block)
    document = Document(doc="made-up", path="made-up.pdf", pages=1, blocks=blocks, footnotes=footnotes)
    return extract_mentions(split_sentences(document), matcher or _matcher())


def _assemble(items: list[SentenceMentions]) -> list[Draft]:
    return Assembler(registry=ActorRegistry.load()).assemble(items, [1.0] * len(items), [])


def _program_draft(text: str) -> Draft:
    """The one draft of a program a one-paragraph report names."""
    (draft,) = [d for d in _assemble(_items(text)) if d.key]
    return draft


def _after_safe_streets(sentence: str) -> list[Draft]:
    """The drafts of a report whose paragraphs are the Safe Streets sentence, then ``sentence``."""
    return _assemble(_items(SAFE_STREETS, sentence))


def _texts(draft: Draft) -> list[str]:
    return [i.text for i in draft.items]


def test_a_sentence_listing_programs_is_evidence_of_those_stated_nowhere_else() -> None:
    listing = "Donors fund the Safe Streets Initiative, the Border Trust Fund and the Youth Futures Program."
    own = SAFE_STREETS
    drafts = _assemble(_items(listing, own))
    by_name = {d.name: d for d in drafts}
    assert set(by_name) == {"Safe Streets Initiative", "Border Trust Fund", "Youth Futures Program"}
    # the program with a sentence of its own keeps only that sentence: the listing would tie it
    # with every program the listing names
    assert _texts(by_name["Safe Streets Initiative"]) == [own]
    for name in ("Border Trust Fund", "Youth Futures Program"):
        assert _texts(by_name[name]) == [listing]
        assert by_name[name].joined_by == {by_name[name].items[0].sentence.index: "start"}


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        (
            "Treaties such as the Border Arms Convention (1997) and the Coastal Patrol Protocol (2001) "
            "frame the work.",
            {"Border Arms Convention": [1997], "Coastal Patrol Protocol": [2001]},
        ),
        (
            "The 1997 Border Arms Convention and the 2001 Coastal Patrol Protocol frame the work.",
            {"Border Arms Convention": [1997], "Coastal Patrol Protocol": [2001]},
        ),
        (  # one year for the whole listing dates every program in it
            "In 2005 donors set up the Border Arms Convention and the Coastal Patrol Protocol.",
            {"Border Arms Convention": [2005], "Coastal Patrol Protocol": [2005]},
        ),
    ],
)
def test_each_program_of_a_listing_keeps_the_year_written_against_its_name(
    listing: str, expected: dict[str, list[int]]
) -> None:
    drafts = _assemble(_items(listing))
    assert {d.name: [y.first for y in d.years()] for d in drafts} == expected


def test_a_sentence_that_names_a_program_and_goes_on_to_another_states_the_first() -> None:
    spending = (
        "By 2013 spending on the Safe Streets Initiative reached $40 million, while a further "
        "$5 million went to the Border Trust Fund."
    )
    by_name = {d.name: d for d in _after_safe_streets(spending)}
    assert _texts(by_name["Safe Streets Initiative"]) == [SAFE_STREETS, spending]
    assert _texts(by_name["Border Trust Fund"]) == [spending]


@pytest.mark.parametrize(
    "sentence",
    [
        "The Safe Streets Initiative, adopted at the first meeting of the Border Trust Fund, guides us.",
        "This year donors relaunched the Safe Streets Initiative to be followed by the Youth Futures Plan.",
    ],
)
def test_a_program_named_in_passing_after_another_makes_no_record(sentence: str) -> None:
    assert [d.name for d in _assemble(_items(sentence))] == ["Safe Streets Initiative"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Donors fund the Safe Streets Initiative and the legally binding Border Trust Fund.",
        # the first name read shorter than it is: only the words just before the second count
        "Donors fund the Safe Streets Initiative to Prevent, Suppress and Punish Trafficking (2009), "
        "the Border Trust Fund.",
    ],
)
def test_a_program_listed_beside_another_is_a_record_of_its_own(sentence: str) -> None:
    names = {d.name for d in _assemble(_items(sentence))}
    assert len(names) == 2
    assert "Border Trust Fund" in names


def test_a_renamed_program_is_one_record_under_both_names() -> None:
    drafts = _assemble(
        _items(
            "Between 2000 and 2007 the Andes Drug Initiative (ADI) funded crop substitution in Bolivia.",
            "Unrelated police reforms went ahead in Chile without outside money.",
            "In 2008 the ADI was re-named the Andes Drug Program (ADP).",
            "Since then the ADP has trained border police in Peru and Ecuador.",
        )
    )
    named = [d for d in drafts if d.key]
    assert len(named) == 1
    assert len(named[0].items) == 3
    assert {how for how in named[0].joined_by.values()} == {"start", "name"}


def test_a_program_renewed_under_a_new_act_is_one_record() -> None:
    drafts = _assemble(
        _items(
            "In 2001, Canada established the border safety act (BSA) to train customs officers in Belize.",
            "Unrelated police reforms went ahead in Chile without outside money.",
            "The BSA was reauthorized through FY2012 in the Border Safety Renewal Act of 2009.",
        )
    )
    named = [d for d in drafts if d.key]
    assert len(named) == 1 and len(named[0].items) == 2


def test_the_plan_points_back_to_the_plan_not_to_the_latest_program() -> None:
    plan = "Plan Horizonte was launched by Spain and Colombia in 2005 to train rural police."
    other = "The Beta Justice Program trained judges in Peru in 2006."
    back = "The Plan was extended in 2009 with new money for police stations."
    drafts = _assemble(_items(" ".join([plan, other, back])))
    by_name = {d.name: d for d in drafts}
    horizonte = by_name["Plan Horizonte"]
    assert _texts(horizonte) == [plan, back]
    assert horizonte.joined_by[horizonte.items[1].sentence.index] == "reference"
    assert _texts(by_name["Beta Justice Program"]) == [other]


def test_captions_name_programs_by_whole_words() -> None:
    assert _has_words("figure 6. us aid for plan colombia", "colombia")
    assert not _has_words("colombian military and police officials", "colombia")


def test_a_caption_joins_a_program_by_a_rare_word_and_alone_makes_no_record() -> None:
    stated = "The Latin American Ventana Program funded police training in Honduras in 2009."
    quote = "Police officers from across Latin America trained together in Honduras."
    caption = "Figure 3. Ventana spending on police training, 2009-2012"
    drafts = _assemble(_items(stated, quote, caption, captions=(1, 2)))
    assert [_texts(d) for d in drafts] == [[stated, caption]]  # "latin" names nothing; the quote goes


def test_a_shortened_name_is_the_program_it_shortens_when_only_one_fits() -> None:
    drafts = _assemble(
        _items(
            "The United Nations Firearms Protocol was signed by Mexico and Peru in 2001.",
            "Unrelated police reforms went ahead in Chile without outside money.",
            "The Firearms Protocol requires the marking of every imported gun.",
            "The Caribbean Border Security Initiative trained customs officers in 2010.",
            "The Andean Border Security Initiative trained customs officers in 2011.",
            "The Border Security Initiative was praised by the ministers.",
        )
    )
    names = sorted(len(d.items) for d in drafts if d.key and "Protocol" in (d.name or ""))
    assert names == [2]  # the short form joined the full name
    border = [d for d in drafts if d.key and "Border" in (d.name or "")]
    assert len(border) == 3  # two programs fit "Border Security Initiative": it joins neither


def test_a_name_given_with_its_acronym_joins_the_same_words_in_another_order() -> None:
    first = "Finally, the recently launched Global Network on Safer Cities is chaired by a former mayor."
    second = "UN-Habitat set up the Global Safer Cities Network (GSCN) in 2012 with funding from Spain."
    third = "The GSCN now has members in Bogota and Lima."
    drafts = _assemble(_items(first, "Unrelated police reforms went ahead in Chile.", second, third))
    (network,) = [d for d in drafts if d.key]
    assert _texts(network) == [first, second, third]


def test_a_body_created_or_called_a_program_is_a_record_and_a_body_that_acts_is_an_actor() -> None:
    created = (
        "In 2004 the OAS created the Inter-American Drug Abuse Control Commission (CICAD) and "
        "the Inter-American Observatory on Drugs (OID)."
    )
    acting = "UNDP and CICAD funded police training in Honduras in 2009."
    drafts = _assemble(_items(created, acting))
    names = {d.name for d in drafts if d.key}
    assert "Inter-American Drug Abuse Control Commission (CICAD)" in names
    assert "Inter-American Observatory on Drugs (OID)" in names
    assert not any(acting in _texts(d) for d in drafts if d.key)  # CICAD acting names no record
    called = (
        "Just one United Nations program, the International Commission against Impunity in Guatemala "
        "(CICIG), grew."
    )
    assert _program_draft(called).name == "International Commission against Impunity in Guatemala (CICIG)"


OTHER = "Unrelated police reforms went ahead in Chile without outside money."


@pytest.mark.parametrize(
    "first, second",
    [
        # a name given in brackets
        (
            "The main instrument is the Convention on Border Crime (or “Lima Convention”), signed in 2004.",
            "Peru and Chile ratified the Lima Convention in 2006.",
        ),
        # a program recast as another
        (
            "In 2004, Plan Andino was revised and recast as the Regional Security Initiative.",
            "The Regional Security Initiative trained border police in Peru.",
        ),
        # an actor spelled out in one name and written as its acronym in the other
        (
            "In 2001 the United Nations Firearms Protocol was opened for signature in New York.",
            "Mexico ratified the UN Firearms Protocol in 2003.",
        ),
    ],
)
def test_two_names_of_one_program_make_one_record(first: str, second: str) -> None:
    drafts = _assemble(_items(first, OTHER, second))
    named = [d for d in drafts if d.key]
    assert len(named) == 1 and _texts(named[0]) == [first, second]


def test_a_sentence_joins_a_record_more_readily_than_it_makes_one() -> None:
    named = SAFE_STREETS
    follow = "Its trainers also visited prisons in Guatemala in 2012."
    alone = "Spain sent advisers to the police academy of Peru in 2013."
    assembler = Assembler(registry=ActorRegistry.load())
    items = _items(f"{named} {follow}", alone)
    drafts = assembler.assemble(items, [0.9, 0.45, 0.45], [])
    # the unsure sentence joins the named record; alone, it makes none
    assert [_texts(d) for d in drafts] == [[named, follow]]
    assert len(assembler.assemble(items, [0.9, 0.45, 0.55], [])) == 2


def test_money_said_of_the_program_before_joins_it_whatever_the_detector_says() -> None:
    named = "The Safe Streets Initiative trains police officers in Honduras."
    spent = "More than $40 million has been spent since its inception in 2009."
    costs = "Crime cost the economies of the region $20 billion in 2010."
    assembler = Assembler(registry=ActorRegistry.load())
    (draft,) = assembler.assemble(_items(f"{named} {spent} {costs}"), [0.9, 0.02, 0.02], [])
    assert _texts(draft) == [named, spent]
    assert draft.joined_by[draft.items[1].sentence.index] == "follow-up"
    # only a named program's record takes it: an unnamed one may be about something else
    unnamed_items = _items(f"Spain trains police officers in Honduras. {spent}")
    (unnamed,) = assembler.assemble(unnamed_items, [0.9, 0.02], [])
    assert len(unnamed.items) == 1


def test_a_sentence_opening_on_the_program_before_it_carries_it_on() -> None:
    named = "The Border Safety Convention was signed by Peru and Ecuador."
    opened = "It was opened to signatures in 2001 and entered into force in 2004."
    aside = "It is worth noting that crime rates fell in both countries."
    assembler = Assembler(registry=ActorRegistry.load())
    (draft,) = assembler.assemble(_items(f"{named} {opened} {aside}"), [0.9, 0.1, 0.1], [])
    assert _texts(draft) == [named, opened]  # an "it" that points at nothing stays out


def test_an_unnamed_record_takes_a_sentence_calling_it_by_the_kind_it_brought_in() -> None:
    run = "UNODC and the Andean Community jointly run a container control initiative in two ports."
    result = "The initiative has led to the seizure of 20 tonnes of cocaine since 2012."
    assembler = Assembler(registry=ActorRegistry.load())
    (draft,) = assembler.assemble(_items(f"{run} {result}"), [0.9, 0.1], [])
    assert _texts(draft) == [run, result]
    assert draft.joined_by[draft.items[1].sentence.index] == "follow-up"
    trained = "UNODC and the Andean Community trained customs officers in two ports."
    (alone,) = assembler.assemble(_items(f"{trained} {result}"), [0.9, 0.1], [])
    assert _texts(alone) == [trained]  # no initiative was brought in: "the initiative" is another


def test_a_field_mission_is_an_intervention_a_standing_body_is_not() -> None:
    from pipeline.records.names import programs_named

    registry = ActorRegistry.load()
    mission = "The United Nations Observer Group in Central America (ONUCA) demobilized armed groups."
    assert [n.acronym for n in programs_named(mission, registry)] == ["ONUCA"]
    standing = "The Economic Commission for Latin America and the Caribbean (ECLAC) gives advice."
    assert programs_named(standing, registry) == []


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        (
            "The Regional Police Program in Central America trains officers.",
            "Regional Police Program in Central America",
        ),
        (
            "The Partnership for the Americas Initiative trains officers.",
            "Partnership for the Americas Initiative",
        ),
    ],
)
def test_a_place_in_a_name_is_part_of_it(sentence: str, name: str) -> None:
    assert [n.text for n in programs_named(sentence, ActorRegistry.load())] == [name]


def test_a_sentence_opening_on_another_actor_starts_another_record() -> None:
    from pipeline.records.store import load_models

    linker = load_models(Path(__file__).resolve().parents[2] / "models" / "records").models.linker
    first = "Germany's GIZ has supported youth violence prevention councils in Honduras since 2015."
    other = "The Open Society Foundations awarded grants worth $3 million to police monitors in Mexico."
    more = "Its councils also trained 300 teachers in Tegucigalpa."
    assembler = Assembler(registry=ActorRegistry.load(), linker=linker)
    drafts = assembler.assemble(_items(f"{first} {other}"), [0.9, 0.9], [])
    assert [_texts(d) for d in drafts] == [[first], [other]]
    # a sentence pointing back carries on, whoever it goes on to name
    (draft,) = assembler.assemble(_items(f"{first} {more}"), [0.9, 0.9], [])
    assert _texts(draft) == [first, more]
    # so does one whose opening phrase points back; "For its part, X …" turns to X
    since = "Since its inception, the Open Society Foundations have added $3 million to the councils."
    (draft,) = assembler.assemble(_items(f"{first} {since}"), [0.9, 0.9], [])
    assert _texts(draft) == [first, since]
    turning = "For its part, the Open Society Foundations awarded grants to police monitors in Mexico."
    drafts = assembler.assemble(_items(f"{first} {turning}"), [0.9, 0.9], [])
    assert [_texts(d) for d in drafts] == [[first], [turning]]


def test_a_sentence_calling_the_program_by_its_head_word_is_its_evidence() -> None:
    named = "Most governments of the region backed the Border Arms Treaty."
    passed = "Passed by a vote of 150 to 3 in 2013, the Treaty sets rules for arms transfers."
    assembler = Assembler(registry=ActorRegistry.load())
    for probability, how in ((0.8, "reference"), (0.1, "follow-up")):
        (draft,) = assembler.assemble(_items(f"{named} {passed}"), [0.9, probability], [])
        assert _texts(draft) == [named, passed]
        assert draft.joined_by[draft.items[1].sentence.index] == how


def test_a_sentence_calling_the_program_before_it_and_naming_its_parts_is_its_evidence() -> None:
    parts = (
        "Launched by donors in 2010, the initiative is run by the Regional Crime Observatory and "
        "the Youth Futures Program."
    )
    drafts = _after_safe_streets(parts)
    assert [(d.name, _texts(d)) for d in drafts] == [("Safe Streets Initiative", [SAFE_STREETS, parts])]
    assert drafts[0].joined_by[drafts[0].items[1].sentence.index] == "reference"


@pytest.mark.parametrize("opening", ["Shortly after agreement on", "For the first time since"])
def test_a_program_named_in_an_opening_after_clause_is_another_event(opening: str) -> None:
    later = f"{opening} the Safe Streets Initiative in 2012, Honduras adopted a code of conduct."
    drafts = _after_safe_streets(later)
    assert [(d.name, _texts(d)) for d in drafts] == [
        ("Safe Streets Initiative", [SAFE_STREETS]),
        (None, [later]),
    ]


@pytest.mark.parametrize(
    ("sentence", "start"),
    [
        (  # two events dated before the name: the program's is the one its clause gives
            "In 2004 the police arrested gang leaders, while in 2005 donors created the Safe Streets "
            "Initiative.",
            2005,
        ),
        (  # one year first may date the statement only: the earliest year stays the start
            "By 2010 spending on the Safe Streets Initiative, begun in 2006, had doubled.",
            2006,
        ),
    ],
)
def test_a_named_program_is_dated_by_the_clause_that_names_it(sentence: str, start: int) -> None:
    [draft] = _assemble(_items(sentence))
    assert min(y.first for y in draft.years() if y.first) == start


def test_registered_bodies_given_as_instances_of_cooperation_are_programs() -> None:
    registry = ActorRegistry.load()
    body = "Inter-American Drug Abuse Control Commission"
    assert registry.get(body) is not None
    assert programs_named(f"The {body} met in Lima.", registry) == []
    listed = f"Other mechanisms such as the {body} and the Safe Streets Initiative deal with drugs."
    assert [n.text for n in programs_named(listed, registry)] == [body, "Safe Streets Initiative"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (  # the unnamed clause comes first: so does its record
            "In 2004 the police created a task force on gangs, while in 2005 donors launched the "
            "Safe Streets Initiative.",
            [None, "Safe Streets Initiative"],
        ),
        (
            "The OAS formed the Safe Streets Initiative and supports pilot projects in Peru.",
            ["Safe Streets Initiative", None],
        ),
        (  # the kind of the named program, not another one
            "The OAS supports initiatives on asset management, including the Safe Streets Initiative.",
            ["Safe Streets Initiative"],
        ),
        (  # what the named program does
            "Spain has financed the Safe Streets Initiative, which supports policing units in Quito.",
            ["Safe Streets Initiative"],
        ),
    ],
)
def test_a_sentence_naming_a_program_and_setting_up_another_unnamed_states_both(
    sentence: str, expected: list[str | None]
) -> None:
    drafts = _assemble(_items(sentence))
    assert [d.name for d in drafts] == expected
    assert all(_texts(d) == [sentence] for d in drafts)


def test_the_body_a_program_sits_within_is_its_frame_not_another_program() -> None:
    sentence = "Forums include the Safe Streets Initiative within the Regional Policy Program of the bank."
    assert [n.text for n in programs_named(sentence, ActorRegistry.load())] == ["Safe Streets Initiative"]


LISTING = (
    "Examples of Spanish cooperation include police training in Honduras, exchange agreements "
    "with the Guatemalan Ministry of the Interior, and the Safe Municipalities Program in El Salvador."
)


def test_a_sentence_listing_interventions_states_each_item_as_a_record() -> None:
    drafts = _assemble(_items(LISTING))
    assert len(drafts) == 3
    assert all(_texts(d) == [LISTING] for d in drafts)  # the evidence is the whole sentence
    actors = [[a.canonical for a in d.items[0].actors] for d in drafts]
    # each reads the lead-in (who) and its own item (for whom): not the other items' places
    assert actors[0] == ["Spain", "Honduras"]
    assert "Guatemala" not in str(actors[2]) and "El Salvador" in actors[2]
    assert drafts[2].key is not None and drafts[0].key is None
    assert drafts[0].items[0].read_text.endswith("police training in Honduras,")


@pytest.mark.parametrize(
    "sentence",
    [
        # lists of bare kinds or of actors
        "Its instruments in Honduras include loans, grants and technical assistance to the police.",
        "Donors such as USAID, the European Union and Japan fund violence prevention in Honduras.",
        "Examples include police exchanges between Brazil and Colombia with peers in Canada and Spain.",
        # clauses that turn to a time, the same doer or a place: one intervention
        "In 2004 the bank financed a police academy in Honduras, while in 2005 it funded prisons.",
        "The European Union funded courts in Honduras, while the European Union also supported police.",
        "The bank financed prisons in Honduras, while Guatemala has seen little support.",
    ],
)
def test_lists_of_actors_or_kinds_and_sentences_of_one_doer_are_one_record(sentence: str) -> None:
    assert len(_assemble(_items(sentence))) == 1


def test_a_note_listing_interventions_keeps_its_item_records() -> None:
    citing = "Spain has long supported security in Central America."
    drafts = _assemble(_items(citing, notes={0: LISTING}))
    assert sum(_texts(d) == [LISTING] for d in drafts) == 3


def test_known_actors_before_a_verb_fund_are_no_program_name() -> None:
    registry = ActorRegistry.load()
    donors = "Donors such as USAID, the European Union and Japan fund prevention."
    assert programs_named(donors, registry) == []
    named = programs_named("The Spain and Portugal Fund for Security supports Honduras.", registry)
    assert [n.text for n in named] == ["Spain and Portugal Fund for Security"]


@pytest.mark.parametrize(
    ("passage", "antecedent"),
    [
        ("Colombia became a provider of cooperation. The country trained 900 police.", "Colombia"),
        ("Peru hosts UNODC. In 2012, the agency trained 300 prosecutors.", "UNODC"),
        ("Peru hosts an office of UNODC. It is worth noting that training grew.", None),
        ("Peru hosts an office of UNODC. The country's police trained 300 prosecutors.", None),
    ],
)
def test_an_opening_it_or_the_country_stands_for_the_actor_named_just_before(
    passage: str, antecedent: str | None
) -> None:
    second = passage.split(". ", 1)[1]
    drafts = _assemble(_items(passage))
    draft = next(d for d in drafts if second in _texts(d)[0] or second in _texts(d)[-1])
    registry = ActorRegistry.load()
    assert draft.antecedent == (registry.get(antecedent).canonical if antecedent else None)


def test_a_sentence_opening_in_this_program_carries_on_the_program_before_it() -> None:
    follow = "In this program, UNICEF teamed up with UNESCO to prevent youth violence."
    (draft,) = _after_safe_streets(follow)
    assert _texts(draft) == [SAFE_STREETS, follow]
    assert draft.joined_by[1] == "reference"


def test_the_parts_of_a_program_the_lead_in_names_stay_its_record() -> None:
    parts = (
        "The Safe Streets Initiative's activities include police training in Honduras and "
        "exchange agreements with the Guatemalan Ministry of the Interior."
    )
    (draft,) = _assemble(_items(parts))
    assert draft.key is not None and not draft.items[0].focus


def test_a_sentence_opening_on_likewise_brings_in_another_intervention() -> None:
    likewise = "Likewise, in Honduras 200 prosecutors were trained in 2012."
    drafts = _assemble(_items(f"{SAFE_STREETS} {likewise}"))  # one paragraph: one passage
    assert [_texts(d) for d in drafts] == [[SAFE_STREETS], [likewise]]
    same = "In Honduras 200 prosecutors were also trained in 2012."
    assert [_texts(d) for d in _assemble(_items(f"{SAFE_STREETS} {same}"))] == [[SAFE_STREETS, same]]


def test_a_provider_opening_a_sentence_brings_in_another_intervention_whatever_places_it_shares() -> None:
    usaid = "USAID has provided violence prevention training to youth in Honduras."
    state = "The Department of State worked with instructors across Honduras to reach 100,000 children."
    assert [_texts(d) for d in _assemble(_items(f"{usaid} {state}"))] == [[usaid], [state]]
    # a place opening the sentence frames more of the record when the record's actor acts in it
    place = "In Honduras, USAID trained 300 teachers in 2012."
    assert [_texts(d) for d in _assemble(_items(f"{usaid} {place}"))] == [[usaid, place]]
    off = Assembler(registry=ActorRegistry.load(), rules=RuleSet.parse("new-actor-new-record"))
    assert [_texts(d) for d in off.assemble(_items(f"{usaid} {state}"), [1.0, 1.0], [])] == [[usaid, state]]


def test_a_passage_sentence_setting_up_a_new_facility_is_another_record() -> None:
    launch = "In 2013 it announced the launch of a regional training facility in Honduras."
    drafts = _assemble(_items(f"{SAFE_STREETS} {launch}"))
    assert [_texts(d) for d in drafts] == [[SAFE_STREETS], [launch]]


def test_a_note_joins_a_named_program_only_when_it_speaks_of_it() -> None:
    citing = "The Safe Streets Initiative funded police training in Honduras."
    other = "As early as 1998 the Department of Defense had funded a counter-narcotics battalion in Colombia."
    about = "The initiative trained 900 police officers in Honduras in 2012."
    # a note sharing out the money the citing sentence gives speaks of its program too
    share = "Of this amount, some $4 million went to Honduras and $2 million to Guatemala."
    for note, joined in ((other, False), (about, True), (share, True)):
        drafts = _assemble(_items(citing, notes={0: note}))
        named = next(d for d in drafts if d.name == "Safe Streets Initiative")
        assert (note in _texts(named)) is joined, note
        # a note that tells of something else is a record of its own, not lost
        assert any(note in _texts(d) for d in drafts)
    # switched off, every note joins the record of the sentence citing it
    rules = RuleSet.parse("notes-name-their-program")
    drafts = Assembler(registry=ActorRegistry.load(), rules=rules).assemble(
        _items(citing, notes={0: other}), [1.0, 1.0], []
    )
    assert len(drafts) == 1 and other in _texts(drafts[0])


def _named(text: str, off: str = "") -> list[str]:
    return [n.text for n in programs_named(text, ActorRegistry.load(), rules=RuleSet.parse(off))]


def test_an_owner_in_the_possessive_is_no_part_of_a_name() -> None:
    assert _named("In 2004 the OAS's Regional Strategy on Cyber-security was adopted.") == [
        "Regional Strategy on Cyber-security"
    ]
    assert _named("The ministry's Strategy was adopted.") == []  # the owner of a bare "Strategy"
    assert _named("The Women's Justice Initiative trains judges.") == ["Women's Justice Initiative"]
    assert _named("In 2004 the OAS's Regional Strategy on Cyber-security was adopted.", off="possessors") == [
        "OAS's Regional Strategy on Cyber-security"
    ]


def test_a_name_printed_once_with_a_misspelt_word_is_one_record() -> None:
    drafts = _assemble(
        _items(
            "The Andean Pact for Security, Public Health, and Safe Towns was signed by Peru in 2021.",
            "Unrelated police reforms went ahead in Chile without outside money.",
            "The Andean Pact for Security, Public Heath, and Safe Towns funds police training in Peru.",
        )
    )
    (pact,) = [d for d in drafts if d.key]
    assert len(pact.items) == 2


def test_the_sentence_after_an_overview_of_programs_carries_on_none_of_them() -> None:
    overview = "Donors fund the Safe Streets Initiative, the Border Trust Fund and the Youth Futures Program."
    after = "It also paid for new laws on trafficking."
    drafts = _assemble(_items(f"{overview} {after}"))  # one paragraph: one passage
    assert all(after not in _texts(d) for d in drafts if d.key)


def test_a_colon_closing_a_run_in_head_starts_no_list() -> None:
    registry = ActorRegistry.load()
    run_in = (
        "• Border Safety: In 2021, the Department of State announced the creation of a regional task "
        "force, and the Andes Smuggling Task Force goes on pursuing cases in Peru."
    )
    listing = (
        "Donors funded three things: police training in Peru, a border commission with Chile and the "
        "Andes Task Force."
    )
    for sentence, lists in ((run_in, False), (listing, True)):
        (item,) = _items(sentence)
        names = programs_named(item.text, registry)
        assert bool(enumerated_interventions(item, names)) is lists, sentence


def test_a_name_the_words_stop_inside_is_the_long_form_its_acronym_closes() -> None:
    sentence = (
        "Donors also fund a so-called Cooperation Program between Peru and the Andean Community on "
        "Border Policies (COPBP)."
    )
    named = [d for d in _assemble(_items(sentence)) if d.key]
    assert [d.name for d in named] == [
        "Cooperation Program between Peru and the Andean Community on Border Policies (COPBP)"
    ]


def test_a_name_said_again_with_its_acronym_is_named_with_it() -> None:
    # a fact sheet's bullet opens on the name, then gives it whole: the record takes the whole
    bullet = (
        "• Border Forensics Unit: The Department of State is supporting the recently established "
        "regional Border Forensics Unit (BFU) in Trinidad and Tobago."
    )
    assert _program_draft(bullet).name == "Border Forensics Unit (BFU)"
    # another name the program goes by in the sentence is no fuller form of the first
    renamed = "The Andean Border Plan was later recast as the Regional Frontier Security Initiative."
    assert _program_draft(renamed).name == "Andean Border Plan"
