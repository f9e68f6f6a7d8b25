"""What every exported column and every class means, in words a reader of a spreadsheet needs.

The workbook's codebook sheet is written from here, and ``docs/codebook.md`` says the same at
length; a test checks that every column an export writes is explained.
"""

from __future__ import annotations

COLUMNS: dict[str, str] = {
    "id": "The record's id: <doc>-NNNN in document order, the same on every run of the same file.",
    "doc": "The source document: its file name without the extension (a short hash is added when"
    " two files share a name).",
    "name": "The program's proper name when the text gives one (Plan Colombia, CARSI), else empty.",
    "evidence": "The sentences of the report that state the intervention, verbatim.",
    "pages": "1-based pages of the source PDF where the evidence stands.",
    "funders": "Who provides the money, equipment, training or expertise (canonical names).",
    "implementers": "Who carries the intervention out, when different from the funder.",
    "recipients": "Who benefits: countries, sub-regions, cities, institutions.",
    "amounts": "Every money amount stated for the intervention, as written and normalized.",
    "total_usd": "The intervention's money in US dollars, counted once: the largest sum the record"
    " states for itself as a whole (a table's top-level cells added up count as one sum). Parts of"
    " another amount, table cells under a printed total, rates, and requests, pledges or estimates"
    " beside money given are never added again. Empty when no amount can be put in US dollars.",
    "years_start": "First year of the activity when the text states it.",
    "years_end": "Last year of the activity when the text states it.",
    "years_mentioned": "Every year the evidence ties to the intervention.",
    "hard_soft": "hard (control, repression), soft (prevention, reform) or mixed.",
    "scope": "transnational (threats that cross borders), local (national, city, community) or mixed.",
    "modality": "The channel: bilateral, multilateral, regional, south-south, triangular,"
    " non-governmental or private.",
    "themes": "Codebook themes the evidence is about (see the classes below).",
    "confidence_*": "0-1: how sure the pipeline is of the field's value (detect: that this is an"
    " intervention at all). Low values are where to look first.",
    "pipeline_version": "The csminer version that mined the record.",
    "model_version": "The version of the trained models that mined the record.",
    "intervention": "The intervention the record belongs to: records of several reports that describe"
    " the same thing share it.",
    "sources": "Every record (document:record) joined to the same intervention.",
    "reviewed": "Fields an analyst reviewed (accepted or corrected) in the review app.",
    # the amounts sheet
    "record": "The record the row belongs to (its id).",
    "n": "Position of the amount or sentence within its record, from 1.",
    "value": "The amount as a plain number, in units of currency.",
    "currency": "ISO 4217 code ($ in these reports means USD unless stated).",
    "text": "The amount as the report writes it.",
    "qualifier": "exact, approx (some, about, nearly), more_than (over, at least)"
    " or less_than (up to, under).",
    "year": "For a table cell: the year of its column.",
    "role": "What the amount is within its record (see the classes below): total, part, cell or rate.",
    "part_of": "For a part or a table cell: the n of the amount (same record) it adds into.",
    "row": "For a table cell: the label of its row, as the table prints it.",
    "column": "For a table cell: the header of its column, as the table prints it.",
    "table": "For a table cell: the table's position in its document, from 0.",
    "stage": "How far along the money is, where the text says it (see the classes below).",
    "usd": "The amount in US dollars: the value for USD; for another currency, converted at the"
    " year's average rate of the shipped rate table (pipeline/nlp/data/usd_rates.json, with its"
    " sources); empty when the currency or the year is not in it. value and currency keep the original.",
    # the evidence sheet
    "page": "Page(s) of the source PDF the sentence is on.",
    "source": "Where the sentence stands: body, footnote, table (a table row) or caption.",
    "joined_by": "Why the sentence is in the record: start (it opened it), name, reference, passage,"
    " follow-up, footnote, listing, caption or table.",
    "quote": "The sentence, verbatim.",
}
"""Column → meaning (``confidence_*`` stands for every per-field confidence column)."""

CLASSES: dict[str, dict[str, str]] = {
    "hard_soft": {
        "hard": "Control and repression: counter-narcotics, interdiction, eradication, military and police"
        " equipment, intelligence, anti-gang enforcement, arms control, counter-trafficking,"
        " anti-money-laundering, cyber-crime enforcement, border control.",
        "soft": "Prevention and reform: police and judicial reform, community policing, youth and gender"
        " violence prevention, rehabilitation, social programs.",
        "mixed": "The text gives both in substance (not a passing mention of one).",
    },
    "scope": {
        "transnational": "Aimed at threats that cross borders: drug trafficking, organized crime,"
        " transnational gangs, arms and human trafficking, money laundering, cyber-crime.",
        "local": "Aimed at national, city or community safety: street crime, youth and gender violence,"
        " policing, justice and prisons.",
        "mixed": "Aimed at both.",
    },
    "modality": {
        "bilateral": "One government (or its agency) to another country.",
        "multilateral": "A body of many member states: UN agencies, development banks, the EU.",
        "regional": "A regional or sub-regional body: OAS, SICA, CAN, UNASUR.",
        "south-south": "Between developing countries (Colombia training Central American police).",
        "triangular": "A donor and a developing country together for a third.",
        "non-governmental": "NGOs, foundations, universities.",
        "private": "Firms and business groups.",
    },
    "themes": {
        "counter-narcotics": "Drug supply: trafficking, eradication, interdiction, precursors.",
        "organized-crime": "Cartels, criminal organizations, kidnapping, extortion.",
        "gangs": "Maras and street gangs (MS-13, 18th Street).",
        "arms-control": "Firearms, small arms, ammunition, disarmament and demobilization.",
        "human-trafficking": "Trafficking in persons, migrant smuggling, sexual exploitation.",
        "money-laundering": "Laundering, asset forfeiture, financial intelligence.",
        "cyber-crime": "Crime committed through computers and networks.",
        "border-security": "Borders, ports, customs and migration control.",
        "intelligence": "Intelligence gathering and sharing.",
        "military-assistance": "Armed forces: equipment, training, financing.",
        "police-reform": "Police professionalization, oversight, training, institutional reform.",
        "justice-reform": "Courts, prosecutors, judicial independence, criminal procedure.",
        "prison-reform": "Prisons and rehabilitation of offenders.",
        "violence-prevention": "Preventing crime and violence before it happens.",
        "youth": "Programs for young people at risk.",
        "gender-violence": "Violence against women and girls, domestic violence.",
        "community-policing": "Proximity and community policing.",
        "human-rights": "Human rights protection in security work.",
        "drug-policy": "Drug policy, demand reduction, treatment.",
        "institutional-capacity": "Capacity of security and justice institutions in general.",
    },
    "role": {
        "total": "A sum the text states for itself (a program's total).",
        "part": "A share of another amount of the record (\"of which\", \"of this amount\", or amounts"
        " of one sentence adding up to another).",
        "cell": "A table cell: a year's or a row's figure, with its row and column labels; part of the"
        " row or column total it adds into when the table prints one.",
        "rate": "An amount per year or per month.",
    },
    "stage": {
        "requested": "Asked for: a budget request, a proposal.",
        "pledged": "Promised or announced.",
        "appropriated": "Allocated, budgeted, approved (a supplemental appropriation too).",
        "obligated": "Committed under an agreement or obligation.",
        "disbursed": "Given: disbursed, spent, provided, invested.",
        "estimated": "An estimate or a projection.",
    },
    "qualifier": {
        "exact": "The amount as stated.",
        "approx": "some, roughly, about, almost, nearly, around.",
        "more_than": "more than, over, at least, upwards of.",
        "less_than": "less than, under, up to.",
    },
}
"""Field → class → meaning."""


def meaning(column: str) -> str:
    """The meaning of an exported column (a per-field confidence column shares one)."""
    if column in COLUMNS:
        return COLUMNS[column]
    if column.startswith("confidence_"):
        return f"{COLUMNS['confidence_*']} Field: {column.removeprefix('confidence_')}."
    raise KeyError(column)
