"""Program names, acronyms and cue features on sentences of the report."""

from __future__ import annotations

from pipeline.records.features import (
    acronym_table,
    denies_cooperation,
    is_program_name,
    program_names,
    provider_is_subject,
    security_terms,
    sentence_features,
    states_cooperation,
    themes_in,
    with_emphasised_names,
)
from pipeline.text import name_key

from .test_assemble import _items


def names(text: str) -> list[str]:
    return [n.text for n in program_names(text)]


def test_named_programs_in_real_sentences() -> None:
    assert names("The Mérida Initiative totaled some $2.4 billion of which $1.7 billion was invested") == [
        "Mérida Initiative"
    ]
    assert names("Meanwhile, Plan Colombia was crafted together with the Colombian authorities") == [
        "Plan Colombia"
    ]
    found = program_names(
        "the World Bank developed a Small Grants Program for Violence Prevention (SGPVP) in 2003"
    )
    assert [(n.text, n.acronym) for n in found] == [("Small Grants Program for Violence Prevention", "SGPVP")]
    assert names("Finally, the CARSI program represents an extension of the Mérida Initiative") == [
        "CARSI",
        "Mérida Initiative",
    ]


def test_an_article_inside_a_name_keeps_it_whole() -> None:
    assert names("Donors set up the Fund for a Safer Border in 2010.") == ["Fund for a Safer Border"]
    assert names("The Mérida Initiative a year later grew.") == ["Mérida Initiative"]


def test_who_supports_a_program_or_what_it_is_with_is_no_name() -> None:
    assert names("Examples include United States-supported programs in Mexico and Peru.") == []
    assert names("The delegation backs the Safe Streets with plans for border security.") == ["Safe Streets"]


def test_a_word_with_a_lower_case_prefix_stays_in_a_name() -> None:
    assert names("Donors fund the Network of e-Government Leaders of the Andes.") == [
        "Network of e-Government Leaders of the Andes"
    ]


def test_country_names_and_sentence_openers_are_not_programs() -> None:
    # "United States" must not read as a "Unit"; an opening "While the" is no part of a name
    assert names("Between 2008 and 2012 the United States Congress mandated some $35 million") == []
    assert names("While the Convention is not limited to members of the Council") == []
    assert names("It provokes a wider treatment of security, one that takes account of both") == []


def test_acronyms_defined_in_the_text() -> None:
    table = acronym_table(
        ["the Central American Regional Security Initiative (CARSI) was launched", "the World Bank (WB) said"]
    )
    assert table["CARSI"] == "Central American Regional Security Initiative"
    # the long form is the shortest run holding the acronym's letters, not every capital before it
    renamed = acronym_table(["In 2008 the ADI was re-named the Andes Drug Program (ADP)."])
    assert renamed["ADP"] == "Andes Drug Program"
    foreign = acronym_table(["the Latin American Forum for Urban Security and Democracy (FLASUD)"])
    assert foreign["FLASUD"] == "Latin American Forum for Urban Security and Democracy"
    assert name_key("the Mérida  Initiative") == name_key("Merida Initiative")
    # a long form in lower case counts only when it spells the acronym out exactly
    lower = acronym_table(["the United States established the trafficking in victims protection act (TVPA)"])
    assert lower["TVPA"] == "trafficking in victims protection act"
    assert acronym_table(["the monitoring and evaluation of police reform (MPR) unit"]) == {}
    # in mixed case too: the spelling-out, not the capitals, says where the long form starts
    mixed = acronym_table(["The Bank has set up a border patrol fund for Central America (BPFCA) in 2010."])
    assert mixed["BPFCA"] == "border patrol fund for Central America"
    assert is_program_name(mixed["BPFCA"])
    # an acronym of another language's words: the capitalised run before it, not the clause
    funded = acronym_table(["In 2010 the EU financed the Support Programme for Border Safety (PAISEF)."])
    assert funded["PAISEF"] == "Support Programme for Border Safety"
    spanish = acronym_table(["While the bank set up the Fondo de Apoyo a la Seguridad (FOSEG) in 2012"])
    assert spanish["FOSEG"] == "Fondo de Apoyo a la Seguridad"


def test_a_name_ends_before_the_currency_it_runs_into() -> None:
    text = "The EU financed the Support Programme for Border Safety with EUR 25 million in 2010."
    assert names(text) == ["Support Programme for Border Safety"]


def test_a_name_does_not_start_with_a_citing_verb_or_a_fiscal_year() -> None:
    assert names("See Global Commission on Drug Policy (2011).") == ["Global Commission on Drug Policy"]
    renewed = "It was reauthorized through FY2011 in the William Wilberforce Protection Reauthorization Act."
    assert names(renewed) == ["William Wilberforce Protection Reauthorization Act"]


def test_security_terms() -> None:
    assert security_terms("training of police and judicial officers against gang violence") >= 3
    assert security_terms("federal vocational education grants for states") == 0
    assert security_terms("child support program authorized by the Social Security Act") == 0
    assert security_terms("grants to farms and harmful drugs") == 1  # "drug", not "arms" in "farms"
    # justice and the financial side of crime are security too, with no "crime" word in sight
    assert security_terms("mock trials and better judicial action") == 1
    assert security_terms("asset forfeiture laws and financial intelligence units") == 2


def test_legend_lines_are_not_statements() -> None:
    from pipeline.records.features import is_glossary

    assert is_glossary(
        "ESF = Economic Support Fund; INCLE = International Narcotics Control and Law Enforcement"
    )
    assert not is_glossary("The OAS: a body that funds police training across the region")


def test_a_note_that_only_cites_a_work_states_nothing() -> None:
    from pipeline.records.features import is_bare_citation

    assert is_bare_citation("See Global Commission on Drug Policy (2012, 2011).")
    assert is_bare_citation("Cf. Acevedo et al (2008).")
    assert not is_bare_citation("See for example the collaboration between SICA and Interpeace since 2009.")
    assert not is_bare_citation("The OAS (2011) funded police training in Belize.")


def test_names_before_a_lowercase_head_word() -> None:
    assert names("Business groups support Honduras through the Juntos Seguros program since 2011.") == [
        "Juntos Seguros"
    ]
    safe_roads = "The so-called Safe Roads (Caminos Seguros) project in three cities is another example."
    assert names(safe_roads) == ["Safe Roads"]
    assert names("The program was large and the project was small.") == []
    two = "USAID funds the Mérida Initiative and the Central America Regional Security Initiative projects"
    assert names(two) == ["Mérida Initiative", "Central America Regional Security Initiative"]
    # one word is a name when it is no common English word ("Colombian", "UN" name nothing)
    assert names("An example is the Tehuan program launched by the city in 2010.") == ["Tehuan"]
    assert names("The Colombian program and a UN project and the Brazilian initiative grew.") == []
    # the acronym may follow the head word
    (acronymed,) = program_names("GIZ has supported the Safe Youth in Central America programme (SAYCA).")
    assert (acronymed.text, acronymed.acronym) == ("Safe Youth in Central America", "SAYCA")


def test_totals_and_denials_of_cooperation_are_features_of_a_sentence() -> None:
    total, denied, stated = _items(
        "The total volume of such cooperation in the region averaged $7 billion between 2008 and 2010.",
        "India provides no assistance to the region, security-oriented or otherwise.",
        "USAID funded radios for customs posts in Guatemala in 2012.",
    )
    assert sentence_features(total)["aggregate"] >= 1 and sentence_features(total)["negation"] == 0
    assert sentence_features(denied)["negation"] == 1 and sentence_features(denied)["aggregate"] == 0
    assert (sentence_features(stated)["aggregate"], sentence_features(stated)["negation"]) == (0, 0)
    assert sentence_features(denied)["denies_cooperation"] == 1
    assert sentence_features(stated)["denies_cooperation"] == 0
    (cited,) = _items("See Global Commission on Drug Policy (2012, 2011).")
    assert sentence_features(cited)["bare_citation"] == 1 and sentence_features(stated)["bare_citation"] == 0
    (most,) = _items("In Central America, most resources from multilateral agencies come as grants.")
    assert sentence_features(most)["aggregate"] == 1  # a statement about cooperation as a whole


def test_theme_cues_begin_words_and_know_the_field_s_terms() -> None:
    assert themes_in("The IADB set up anti-trafficking hotlines for victims of trafficking.") >= {
        "human-trafficking"
    }
    assert "human-trafficking" not in themes_in("Drug trafficking routes moved to the Caribbean.")
    assert "organized-crime" in themes_in("Colombia co-hosted training on kidnapping with France.")
    assert "drug-policy" in themes_in("The strategy funds demand reduction and alternative development.")
    assert "arms-control" not in themes_in("Farms in the valley grew coffee.")  # "arms" begins a word
    assert "organized-crime" in themes_in("The committee against terrorism sponsors exchanges.")
    assert "arms-control" in themes_in("The mission demobilized armed groups in Honduras.")
    assert "money-laundering" in themes_in("Four states passed forfeiture laws with OAS support.")
    assert "counter-narcotics" in themes_in("Agreements control precursor chemicals.")
    assert "organized-crime" in themes_in("Treaties on extradition were signed.")
    assert "intelligence" in themes_in("Police forces set up information exchange between capitals.")


def _italic(text: str, *runs: str) -> list[tuple[str, str | None]]:
    """Names of ``text`` once ``runs`` are set in italics: (name, acronym)."""
    emphasis = tuple((text.index(r), text.index(r) + len(r)) for r in runs)
    return [(n.text, n.acronym) for n in with_emphasised_names(text, program_names(text), emphasis)]


def test_a_title_in_italics_is_a_name_when_it_has_a_program_head_word() -> None:
    text = "Another example is the Bright Futures project in Lima, a case of mano dura abroad."
    assert _italic(text, "Bright Futures project", "mano dura") == [("Bright Futures project", None)]
    text = "Its policing plan (plan de barrio seguro) is widely praised."
    assert _italic(text, "plan de barrio seguro") == [("plan de barrio seguro", None)]


def test_italics_give_a_name_its_whole_extent_and_acronym() -> None:
    text = "Most states ratified the Protocol to Prevent and Punish the trafficking of Persons in 2003."
    assert names(text) == ["Protocol to Prevent and Punish"]
    title = "Protocol to Prevent and Punish the trafficking of Persons"
    assert _italic(text, title) == [(title, None)]
    text = "Donors backed the Regional Border Compact of 2004 (RBC) and its sequels."
    assert _italic(text, "Regional Border Compact of 2004 (RBC)") == [("Regional Border Compact", "RBC")]


def test_a_title_in_italics_without_a_head_word_is_a_name_on_a_list_of_titles_that_have_one() -> None:
    text = (
        "Treaties such as the Andean Arms Convention (1997), the Coastal Patrol Protocol (2001) and "
        "the United Nations against Kidnapping (2004) frame the work of the Ruta Segura circle."
    )
    titles = ("Andean Arms Convention", "Coastal Patrol Protocol", "United Nations against Kidnapping")
    assert [n for n, _ in _italic(text, *titles)] == list(titles)
    # after a list whose titles are not all in italics, the title names nothing
    assert [n for n, _ in _italic(text, titles[1], titles[2])] == list(titles[:2])
    # italics after a list, not on it (a publication cited later), name nothing
    assert [n for n, _ in _italic(text, *titles[:2], "Ruta Segura circle")] == list(titles[:2])


def test_a_sentence_set_in_italics_names_nothing_by_its_italics() -> None:
    text = "The task force helps the police plan patrols along the river."
    assert _italic(text, text[:-1]) == []


def test_a_country_or_body_doing_cooperation_towards_a_place_states_an_intervention() -> None:
    (donated,) = _items("In addition, Taiwan donated 40 patrol cars to the police of Honduras in 2015.")
    assert states_cooperation(donated)
    (tradition,) = _items(
        "There is a long tradition of North-South bilateral cooperation in the security field "
        "between European Union members and Latin American counterparts."
    )
    assert not states_cooperation(tradition)  # no registered actor does anything
    (never,) = _items("Taiwan never donated patrol cars to the police of Honduras.")
    assert not states_cooperation(never)
    (off,) = _items("Taiwan donated 40 tractors to the farmers of Honduras in 2015.")
    assert not states_cooperation(off)  # no security matter
    (government,) = _items("The Mexican government donated 20 patrol vehicles to the police of Guatemala.")
    assert states_cooperation(government)  # a country's adjective before "government" is the country


def test_a_list_entry_headed_by_a_donor_and_naming_a_place_states_an_intervention() -> None:
    (usaid,) = _items("USAID: community policing in San Pedro Sula, Honduras (2010-2014), US$12 million.")
    (spain,) = _items("Spain (AECID): violence prevention in schools in El Salvador (2011-2013).")
    assert states_cooperation(usaid) and states_cooperation(spain)
    (glossary,) = _items("USAID: the United States Agency for International Development.")
    assert not states_cooperation(glossary)  # no place, no security matter
    (later,) = _items("The main partners were these: USAID in Honduras for police reform.")
    assert not states_cooperation(later)  # the donor does not head the entry


def test_a_sentence_saying_cooperation_is_absent_states_none() -> None:
    absent = [
        "Likewise, India does not list the region among its priorities and thus provides no assistance.",
        "Russian, Turkish and South African cooperation is non-existent.",
        "There is virtually no investment in citizen security cooperation with Africa.",
        "Peru has explored police training with Russia, but no agreements exist at present.",
    ]
    for text in absent:
        (item,) = _items(text)
        assert denies_cooperation(item, program_names(text)), text
    stated = [
        # a program or an amount makes it a statement about one
        "The Safe Streets Program provides no funding for weapons and trained 300 police in Honduras.",
        "Spain provided no more than USD 2 million in aid to Honduras in 2012.",
        # "no" that denies nothing about cooperation
        "USAID provided assistance to Honduras with no conditions attached.",
    ]
    for text in stated:
        (item,) = _items(text)
        assert not denies_cooperation(item, program_names(text)), text


def test_a_name_ends_before_a_date_and_keeps_a_long_tail() -> None:
    # a month is capitalised, but the date is when, not what is named
    assert names("At the High-Level Security Dialogue in October 2021, the two countries agreed.") == [
        "High-Level Security Dialogue"
    ]
    assert names("The President released the Strategy on July 29, 2021.") == []
    # a long "of … in …" tail after the head word stays whole, not cut at a word count
    assert (
        names("the U.S. Strategy for Addressing the Root Causes of Migration in Central America sets out")[0]
        == "U.S. Strategy for Addressing the Root Causes of Migration in Central America"
    )


def test_a_provider_named_as_the_subject_is_told_from_providers_given_as_examples() -> None:
    subjects = (
        "USAID launched a $20 million alliance with local partners in El Salvador.",
        "In 2012, the OAS created a working group on criminal gangs.",
        "• The Department of State worked with instructors across Honduras.",
        "Colombia, Guatemala and Mexico issued a joint declaration in 2012.",
    )
    examples = (
        "Countries such as Brazil, Colombia and Mexico are seeking to export their models.",
        "A focus of international cooperation in Latin America has been on drug trafficking.",
        "With support from the United States, the country has trained 10,000 police.",
        "In Honduras, 300 police officers were trained in 2011.",  # a place is no provider
    )
    for text in subjects:
        (item,) = _items(text)
        assert provider_is_subject(item), text
        assert sentence_features(item)["provider_subject"] == 1
    for text in examples:
        (item,) = _items(text)
        assert not provider_is_subject(item), text


def test_the_linker_reads_whether_the_next_sentence_has_a_provider_as_subject() -> None:
    from pipeline.records.examples import link_example

    first, same, other = _items(
        "USAID funds youth centres in Honduras. The centres trained 300 teachers in 2012. "
        "In 2013, the Department of State trained 200 prosecutors in Honduras."
    )
    assert link_example(first, same)["features"]["provider_subject"] == 0
    assert link_example(same, other)["features"]["provider_subject"] == 1


def test_a_title_holding_a_list_runs_over_the_list_to_its_end() -> None:
    assert names("Donors back the Compact to Train, Equip and Protect Border Guards in the Andes.") == [
        "Compact to Train, Equip and Protect Border Guards in the Andes"
    ]
    assert names("They signed the Pact for Safety, Public Order, and Healthy Towns last year.") == [
        "Pact for Safety, Public Order, and Healthy Towns"
    ]
    # verbs joined after "to" go on being the title; a footnote mark on its last word is not in it
    assert names("They advance the Plan to Prevent Conflict and Promote Peace² this year.") == [
        "Plan to Prevent Conflict and Promote Peace"
    ]
    # a list whose items are names of their own, or a second party after "for X and", is not
    assert names("It funds the Fund for Peru, Verde Plan and Azul Plan.") == [
        "Fund for Peru",
        "Verde Plan",
        "Azul Plan",
    ]
    assert names("It was run by the Partnership for Growth and Interpol.") == ["Partnership for Growth"]


def test_a_name_runs_over_the_and_inside_a_place_s_name() -> None:
    from pipeline.records.features import program_names

    forum = "Forum of Police Chiefs of Latin America and the Caribbean"
    (found,) = program_names(f"It backs the {forum} (FOPLAC) now.")
    assert (found.text, found.acronym) == (forum, "FOPLAC")
    fund = "Border Fund for Trinidad and Tobago"
    assert names(f"The {fund} trains guards.") == [fund]
    # "and" after a place that is not the first part of a longer one starts another party
    partnership = "Partnership for Latin America"
    assert names(f"It was run by the {partnership} and the OAS.") == [partnership]


def test_a_name_does_not_run_back_over_and_the() -> None:
    # "and the" before the head word begins another noun phrase: the name is the one holding the head
    section = "Human Rights and Special Prosecutions Section of the Department of Justice’s Criminal Division"
    text = f"They were indicted by the Office for the Southern District of Texas and the {section}."
    assert names(text) == [section]
    alliance = "Cities Alliance for Citizen Security"
    assert names(f"A summit resulted in the so-called Bogota Manifesto and the {alliance}.") == [alliance]
    assert names("It gave the Bogota Manifesto and the Alliance of Cities.") == ["Alliance of Cities"]
    # a place joined by "and the" is one name, and so is the name it opens
    network = "Latin America and the Caribbean Security Network"
    assert names(f"The {network} was launched in 2012.") == [network]


def test_a_long_title_keeps_its_last_words() -> None:
    title = (
        "Working Group for Drafting a Common Strategy to Promote Regional Cooperation in Dealing with "
        "Organised Crime Groups"
    )
    assert names(f"The ministers set up the {title}.") == [title]


def test_a_name_may_open_on_an_acronym_with_full_stops() -> None:
    assert names("The U.S.-Peru Border Partnership trains customs officers.") == [
        "U.S.-Peru Border Partnership"
    ]
    # inside a run, the acronym opens the name: an update on a strategy is not its name
    assert names("An Update on the U.S. Border Strategy was published in May.") == ["U.S. Border Strategy"]
