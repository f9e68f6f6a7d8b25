"""What the records stage knows about a sentence beyond its words.

Program names (a capitalised phrase headed by Initiative, Plan, Fund, Convention …, with an
acronym in brackets when the report defines one), anaphora that point back to a program
("the Plan", "the initiative", "It"), and a feature dictionary per sentence built from its
mentions: actor types, money, years, cue words. The classifiers read these next to the
words, which is what lets them tell a cooperation sentence from a crime statistic.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..nlp.actors import ActorRegistry
from ..nlp.word_frequencies import ENGLISH, is_frequent
from ..text import name_key

if TYPE_CHECKING:
    from ..nlp.mentions import SentenceMentions

CONNECTORS = r"(?:of|for|the|and|to|in|on|against|with|de|del|la|las|los|y|e|da|do|dos|das|&)"
TAIL_CONNECTORS = r"(?:of|for|the|a|an|to|in|on|against|with|de|del|la|las|los|da|do|dos|das)"
CAPITALISED = r"(?:[A-Z][\w’'\-]*|[A-Z]{2,}[\w\-]*|[a-z]{1,2}-[A-Z][\w’'\-]*)"
"""A capitalised word, an acronym, or a word with a lower-case prefix ("e-Government")."""
DOTTED_ACRONYM = r"(?:[A-Z]\.){2,}(?:-[A-Z][\w’'\-]*)?"
"""An acronym with full stops ("U.S.", "U.S.-Mexico"): a name may open on one ("the U.S. Strategy
to Prevent Conflict"); inside a run it starts the name ("Update on the U.S. Strategy …" names
the strategy, not the update)."""
LEADING = re.compile(
    r"^(?:(?:The|A|An|While|For|In|On|At|Meanwhile|Specifically|Between|Before|After|Since|During|Although|"
    r"Likewise|Moreover|However|This|That|These|Those|Its|Their|Other|Both|Each|Some|Many|Most|Several|Also|"
    r"And|But|Or|Such|By|With|Under|Through|Following|Finally|Related|Indeed|Thus|Today|Yet|Its|See|"
    # a fiscal year before a name ("through FY2012 in the Border Safety Renewal Act")
    r"FY\d{2,4}(?:\s+(?:in|of|for|to|through|under))?)\s+)+"
)


@lru_cache(maxsize=1)
def _data() -> tuple[list[str], dict[str, list[str]], dict[str, list[str]]]:
    folder = resources.files("pipeline.records") / "data"
    words = [
        line.strip()
        for line in (folder / "program_words.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    cues = json.loads((folder / "cues.json").read_text(encoding="utf-8"))
    themes = json.loads((folder / "themes.json").read_text(encoding="utf-8"))
    return words, cues, themes


@lru_cache(maxsize=1)
def codebook() -> dict[str, Any]:
    """Theme → hard/soft and transnational/local axes, and the security words, from the record
    codebook."""
    path = resources.files("pipeline.records") / "data" / "codebook.json"
    return json.loads(path.read_text(encoding="utf-8"))


def theme_lexicon() -> dict[str, list[str]]:
    return _data()[2]


def cue_lexicon() -> dict[str, list[str]]:
    return _data()[1]


TAIL_REACH = 16
"""Words a name can run after its head word before its last capitalised word ("Working Group
for Preparing a Regional Strategy to Promote Inter-American Cooperation in Dealing with Criminal
Gangs" runs 15)."""


@lru_cache(maxsize=1)
def _name_pattern() -> re.Pattern[str]:
    heads = sorted(_data()[0], key=len, reverse=True)
    head = "(?:" + "|".join(re.escape(h) for h in heads) + r")s?\b"
    word = rf"(?:{CAPITALISED}|{CONNECTORS})"
    # after the head, "and" starts another name ("Plan Colombia and Democratic Security")
    tail_word = rf"(?:{CAPITALISED}|{TAIL_CONNECTORS})"
    # [Capitalised words …] Head [of/for … Capitalised words] [(ACRONYM)]
    first = rf"(?:{DOTTED_ACRONYM}|{CAPITALISED})"
    tail = rf"(?:\s+(?:{tail_word}\s+){{0,{TAIL_REACH}}}{CAPITALISED})?"
    body = rf"(?:{first}\s+(?:{word}\s+){{0,8}})?{head}{tail}"
    return re.compile(rf"(?<![\w-])(?:the\s+)?({body})(?:\s*\(([A-Z][A-Za-z\-]{{1,14}})\))?")


@lru_cache(maxsize=1)
def _head_pattern() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(h) for h in sorted(_data()[0], key=len, reverse=True)))


NAME_REACH = 12
"""Whitespace-separated tokens a name can run before its head word (the pattern allows 10)."""


def _name_matches(
    text: str,
    pattern: re.Pattern[str] | None = None,
    heads: re.Pattern[str] | None = None,
    reach: int = NAME_REACH,
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` (the name pattern by default), but tried only ``reach``
    words before each head word.

    Every name holds a head word, so starting the search just before the next one finds the
    same matches; scanning every position of a long sentence costs ~2 ms, this ~10 µs.
    """
    pattern, heads = pattern or _name_pattern(), heads or _head_pattern()
    pos = 0
    while head := heads.search(text, pos):
        start = head.start()
        for _ in range(reach):
            space = text.rfind(" ", pos, max(pos, start - 1))
            if space < 0:
                start = pos
                break
            start = space
        match = pattern.search(text, max(pos, start))
        if match is None:
            return
        yield match
        pos = match.end()


ACRONYM_DEF = re.compile(
    r"((?:[A-Z][\w’'\-]*\s+)(?:(?:[A-Za-z][\w’'\-]*|&)\s+){0,12}?[A-Z][\w’'\-]*)\s*\(([A-Z][A-Za-z\-]{1,14})\)"
)


@dataclass(frozen=True)
class ProgramName:
    start: int
    end: int
    text: str
    acronym: str | None = None

    @property
    def key(self) -> str:
        return name_key(self.acronym or self.text)


ACRONYM_PROGRAM = re.compile(
    r"(?<![\w-])([A-Z][A-Z\-]{2,12})\s+(?:program|programme|initiative|project|plan|fund|strategy|partnership)\b"
)


@lru_cache(maxsize=1)
def program_heads() -> frozenset[str]:
    """Program head words, case-folded ("initiative", "plan", "protocol" …)."""
    return frozenset(h.casefold() for h in _data()[0])


@lru_cache(maxsize=8192)
def program_names(text: str) -> tuple[ProgramName, ...]:
    """Named interventions in a sentence, trailing connectors trimmed (cached: pure in text)."""
    low = text.casefold()
    if not any(h in low for h in program_heads()):
        return ()
    names = [
        ProgramName(m.start(1), m.end(1), m.group(1), m.group(1)) for m in ACRONYM_PROGRAM.finditer(text)
    ]
    for match in _name_matches(text):
        raw = match.group(1)
        lead = LEADING.match(raw)
        offset = lead.end() if lead else 0
        article = re.match(r"(?:the|a|an)\s+", raw[offset:])
        offset += article.end() if article else 0
        trimmed = _without_money_tail(re.sub(rf"(\s+{CONNECTORS})+$", "", raw[offset:]))
        trimmed = DATE_TAIL.sub("", trimmed)
        if len(trimmed.split()) < 2 and not match.group(2):
            continue  # a bare "Plan" or "Program" is no name
        start = match.start(1) + offset
        if any(n.start <= start < n.end for n in names):
            continue
        trimmed = _with_serial_list(text, start, trimmed)
        trimmed, acronym = _with_joined_place(text, start, trimmed, match.group(2))
        conjunct = _second_conjunct(trimmed)
        if conjunct is not None:
            start, trimmed = start + conjunct.end(), trimmed[conjunct.end() :]
        joined = _joined_names().search(trimmed)
        if joined:  # "the Mérida Initiative and the Central America … Initiative": two names
            left = trimmed[: joined.start(1) + len(joined.group(1))]
            names.append(ProgramName(start, start + len(left), left))
            start, trimmed = start + joined.end(), trimmed[joined.end() :]
        names.append(ProgramName(start, start + len(trimmed), trimmed, acronym))
    for match in _name_matches(text, NAME_BEFORE_LOWER_HEAD, LOWER_HEAD, 2 * NAME_REACH):  # "the X program"
        raw = match.group(1)
        lead = LEADING.match(raw)
        offset = lead.end() if lead else 0
        trimmed = re.sub(rf"(\s+{CONNECTORS})+$", "", raw[offset:])  # "SICA with plans": no "SICA with"
        if ATTRIBUTIVE.search(trimmed):
            continue  # "United States-supported programs" are the supporter's, not a name
        start = match.start(1) + offset
        overlaps = any(n.start <= start < n.end or start <= n.start < match.end() for n in names)
        if overlaps or (len(trimmed.split()) < 2 and not _rare_word(trimmed)):
            continue  # "the Colombian program" names none; "the Tehuan program" does
        names.append(ProgramName(start, start + len(trimmed), trimmed, match.group(2) or match.group(3)))
    return tuple(sorted(names, key=lambda n: n.start))


SERIAL_LIST = re.compile(
    rf"(?:,\s+(?:{CAPITALISED}\s+){{0,2}}{CAPITALISED})*,?\s+and\s+(?:{CAPITALISED}\s+){{0,2}}{CAPITALISED}"
)
"""The rest of a list of capitalised words after a name's first item (", Combat and Eradicate",
", Public Health, and Safe Communities", " and Promote Stability")."""
LIST_LEAD = re.compile(rf"\s(to|for|of|on|against)\s+(?:{CAPITALISED}\s+){{0,2}}{CAPITALISED}$")
"""A name ending on a preposition or "to" and the first item of a list ("… to Prevent")."""
TITLE_WORD = re.compile(rf"\s+(?:{CAPITALISED}|{TAIL_CONNECTORS}|and(?=\s+(?!the\b)[A-Z]))(?=[\s.,;:)]|$)")
"""A word a title goes on with after its list: capitalised, a connector, or "and" before a
capitalised word ("… the Illicit Trade in Small Arms and Light Weapons in All Its Aspects")."""


FOOTNOTE_MARKS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
"""Superscript digits a title's last word carries as a note mark ("Promote Stability²")."""


def _with_serial_list(text: str, start: int, name: str) -> str:
    """A title holding a list ("Protocol to Prevent, Suppress and Punish Trafficking in Persons",
    "Framework for Security, Public Health, and Safe Communities") runs over the list and on to
    the words that end the title: in a title, a list of capitalised words after "to", "for",
    "of" goes on being the title, and so do verbs joined after "to" ("Strategy to Prevent
    Conflict and Promote Stability"). A list whose items have head words of their own lists other
    names ("… the Mérida Initiative, Plan Colombia and CARSI")."""
    end = start + len(name)
    lead, listed = LIST_LEAD.search(name), SERIAL_LIST.match(text, end)
    if lead is None or listed is None or _head_pattern().search(listed.group(0)):
        return name
    if lead.group(1) != "to" and "," not in listed.group(0):
        # "the Partnership for Growth and USAID" is two; "to Prevent Conflict and Promote Stability" one
        return name
    end = listed.end()
    while (word := TITLE_WORD.match(text, end)) is not None and not _head_pattern().search(word.group(0)):
        end = word.end()
    return re.sub(rf"(\s+(?:{CONNECTORS}))+$", "", text[start:end].rstrip(FOOTNOTE_MARKS))


@lru_cache(maxsize=1)
def _joined_places() -> tuple[tuple[str, str], ...]:
    """Place names the registry knows that hold "and" ("Latin America and the Caribbean",
    "Trinidad and Tobago"), as (what comes before " and", the rest from " and" on)."""
    places = [a for a in ActorRegistry.load() if a.type in ("country", "region", "city")]
    names = {n for a in places for n in (a.canonical, *a.aliases) if " and " in n}
    return tuple(sorted((n[: n.index(" and ")], n[n.index(" and ") :]) for n in names))


TRAILING_ACRONYM_AT = re.compile(r"\s*\(([A-Z][A-Za-z\-]{1,14})\)")
"""An acronym in brackets right after a name: "(RedGEALC)"."""


def _with_joined_place(text: str, start: int, name: str, acronym: str | None) -> tuple[str, str | None]:
    """A name ending on the first part of a place name joined by "and" runs over the rest of
    it, and takes the acronym after it ("Network of e-Government Leaders of Latin America and
    the Caribbean (RedGEALC)"): "and" starts another name, but not inside a place's name."""
    end = start + len(name)
    for first, rest in _joined_places():
        if name.endswith(first) and text.startswith(rest, end):
            end += len(rest)
            after = TRAILING_ACRONYM_AT.match(text, end)
            return text[start:end], after.group(1) if after else acronym
    return name, acronym


AND_THE = re.compile(r"\s+and\s+the\s+(?=[A-Z])")


def _second_conjunct(name: str) -> re.Match[str] | None:
    """Where a name starts when the words before its head word hold "and the": that begins
    another noun phrase ("the so-called Bogota Manifesto and the Cities Alliance for Citizen
    Security", "the Southern District of Texas and the Human Rights … Section"), and the name is
    the one holding the head. A place joined by "and the" ("Latin America and the Caribbean")
    stays whole."""
    head = _head_pattern().search(name)
    before_head = head.start() if head else 0
    for cut in reversed([m for m in AND_THE.finditer(name) if m.start() < before_head]):
        before, after = name[: cut.start()], name[cut.start() :]
        if not any(before.endswith(first) and after.startswith(rest) for first, rest in _joined_places()):
            return cut
    return None


MONEY_TAIL = re.compile(rf"(?:\s+{TAIL_CONNECTORS})+\s+([A-Z]{{3}})$")
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
DATE_TAIL = re.compile(rf"(?:\s+{TAIL_CONNECTORS})*\s+(?:{MONTHS})\.?(?:\s+\d.*)?$")
"""A date a name runs into ("the Strategy on July 29", "the Dialogue in October"): a month is
capitalised, but a date is when, not part of what is named."""


def _without_money_tail(name: str) -> str:
    """A name without the currency it runs into ("the X Programme with EUR 25 million")."""
    from ..nlp.amounts import is_currency_code

    tail = MONEY_TAIL.search(name)
    return name[: tail.start()] if tail and is_currency_code(tail.group(1)) else name


@lru_cache(maxsize=1)
def head_word() -> re.Pattern[str]:
    """A program head word as a whole word, in any case ("Convention", "project")."""
    heads = "|".join(re.escape(h) for h in sorted(program_heads(), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{heads})s?(?![\w-])", re.IGNORECASE)


EMPHASIS_TAIL = re.compile(r"(?:\s+(?:in|of)\s+(?:1[89]|20)\d\d)?(?:\s*\(([A-Z][A-Za-z\-]{1,14})\))?$")
"""What an italic title may end on that is not the name: its acronym, its year."""


def with_emphasised_names(
    text: str, names: tuple[ProgramName, ...] | list[ProgramName], emphasis: tuple[tuple[int, int], ...]
) -> list[ProgramName]:
    """``names`` with the program titles a report sets in italics: a run of italics holding a
    program head word, even a lower-case one ("the *Alcatraz project*", "*plan de vigilancia
    por cuadrante*"). Italics also give a name its exact extent: a run holding a name the
    words found only in part ("Protocol to Prevent, Suppress and Punish …") replaces it.
    Italics without a head word (foreign terms, publications, "*status quo*") name nothing."""
    out = list(names)
    for start, end in emphasis:
        if end - start > 0.7 * len(text.strip()):
            continue  # a sentence set in italics (a quote, a box) is no title
        start = _after_article(text, start, end)
        inside = [n for n in out if start <= n.start and n.end <= end]
        tail = EMPHASIS_TAIL.search(text, start, end)
        acronym = tail.group(1) if tail else None
        end = tail.start() if tail else end
        run = text[start:end]
        if len(run.split()) < 2 or not head_word().search(run):
            continue
        if any(n.start < end and start < n.end for n in out if n not in inside):
            continue  # crosses a name the words found: keep that one
        acronym = acronym or next((n.acronym for n in inside if n.acronym), None)
        out = [n for n in out if n not in inside]
        out.append(ProgramName(start, end, run, acronym))
    return _listed_titles(text, sorted(out, key=lambda n: n.start), emphasis)


def _after_article(text: str, start: int, end: int) -> int:
    """Where an italic run's title starts: after its "the" or "a"."""
    article = ARTICLE.match(text, start, end)
    return article.end() if article else start


ARTICLE = re.compile(r"(?:[Tt]he|[Aa]n?)\s+")
TITLE_LIST_GAP = re.compile(
    r"\s*(?:\([^()]{1,30}\))?\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:the\s+)?"
)
"""Between two titles of one list: a note in brackets ("(1999)"), then a comma or "and"."""


def _listed_titles(
    text: str, names: list[ProgramName], emphasis: tuple[tuple[int, int], ...]
) -> list[ProgramName]:
    """A title in italics that lacks a head word names a program too when it goes on a list of
    titles that have one ("*the X Convention* (1999), *the Y Convention* (2000) and *the United
    Nations against Corruption* (2003)"): the list says what kind of thing it is."""
    out = list(names)
    for start, end in emphasis:
        start = _after_article(text, start, end)
        run = text[start:end].rstrip()
        if len(run.split()) < 2 or not run[:1].isupper() or any(n.start < end and start < n.end for n in out):
            continue
        before = [n for n in out if n.end <= start]
        in_italics = [any(a <= n.start and n.end <= b for a, b in emphasis) for n in before[-2:]]
        if len(before) < 2 or not all(in_italics):
            continue  # a list of titles set in italics, two of them named by their head words
        gap = TITLE_LIST_GAP.fullmatch(text, before[-1].end, start)
        if gap is not None:
            out.append(ProgramName(start, start + len(run), run, None))
    return sorted(out, key=lambda n: n.start)


def _rare_word(word: str) -> bool:
    """A word too rare in English to be a demonym or a common adjective: a name of its own."""
    return word[:1].isupper() and not is_frequent(word.casefold(), 2.5, ENGLISH)


ATTRIBUTIVE = re.compile(r"-(?:supported|funded|financed|led|backed|sponsored|based|run)$")
"""A capitalised word made an adjective ("US-funded"): it says who, not what program."""
LOWER_HEADS = (
    r"(?:program|programme|project|initiative|plan|strategy|fund|campaign|operation|partnership)s?\b"
)
LOWER_HEAD = re.compile(rf"\s{LOWER_HEADS}")
NAME_BEFORE_LOWER_HEAD = re.compile(
    rf"(?<![\w-])((?:{CAPITALISED})(?:\s+(?:{CAPITALISED}|{CONNECTORS})){{0,6}}?)"
    r"(?:\s*\(([A-Z][A-Za-z\-]{1,14})\))?(?:\s*\([^()]{1,60}\))?"
    rf"\s+{LOWER_HEADS}(?:\s*\(([A-Z][A-Za-z\-]{{1,14}})\))?"
)
"""A capitalised name followed by a lowercase head word ("the so-called Fast and Furious
program", "the Security with Citizenship (Segurança com Cidadania) project"), and the
acronym given before or after the head word ("the Safe Youth programme (SAFY)")."""


@lru_cache(maxsize=1)
def _joined_names() -> re.Pattern[str]:
    """A head word, then "and"/"," and another capitalised name that has a head word of its own."""
    heads = "|".join(re.escape(h) for h in sorted(_data()[0], key=len, reverse=True))
    return re.compile(
        rf"\b((?:{heads})s?)(?:,\s+|\s+(?:and|&)\s+|,\s+and\s+)(?:the\s+)?(?=[A-Z][\w’'\-]*(?:\s+\S+)*?\s+(?:{heads})s?\b)"
    )


@lru_cache(maxsize=4096)
def is_program_name(text: str) -> bool:
    """A long form that names an intervention (not an agency): it has a program head word
    (also when the report spells the long form in lower case)."""
    if text[:1].islower():  # "the border safety act (BSA)": read it capitalised
        text = re.sub(rf"\b(?!{CONNECTORS}\b)([a-z])", lambda m: m.group(1).upper(), text)
    return next(_name_matches(text), None) is not None


def acronym_table(texts: list[str]) -> dict[str, str]:
    """ACRONYM → long form, from the "Long Form (ACRONYM)" definitions a report gives."""
    table: dict[str, str] = {}
    for text in texts:
        if not BRACKETED_ACRONYM.search(text):
            continue  # neither definition can match: scanning every position for one is slow
        for match in ACRONYM_DEF.finditer(text):
            acronym = match.group(2)
            long_form = _shortest_long_form(match.group(1), acronym)
            initials = "".join(w[0] for w in long_form.split() if w[0].isupper())
            if acronym.upper()[:1] in initials and acronym not in table:
                table[acronym] = long_form
        for match in SPELLED_ACRONYM_DEF.finditer(text):
            spelled = _lowercase_long_form(match.group(1), match.group(2))
            # an exact spelling-out is the long form, whatever its case ("legal assistance
            # program for Latin America and the Caribbean (LAPLAC)"): the capitals alone may
            # start too early or too late
            if spelled:
                table[match.group(2)] = spelled
    return table


SPELLED_ACRONYM_DEF = re.compile(r"((?:[A-Za-z][\w’'\-]*\s+){2,14})\(([A-Z]{3,10})\)")
"""A long form spelled out word by word, in any case ("the border safety act (BSA)")."""
BRACKETED_ACRONYM = re.compile(r"\([A-Z][A-Za-z\-]{1,14}\)")
"""What both definitions end with: an acronym in brackets."""


def _lowercase_long_form(words: str, acronym: str) -> str | None:
    """The words before "(ACRONYM)" whose initials, connectors left out, are exactly the
    acronym's letters; None when no run of them is. Without capitals to go by, only an exact
    spelling-out counts."""
    split = words.split()
    initials = ""
    for k in range(len(split) - 1, -1, -1):
        if re.fullmatch(CONNECTORS, split[k]):
            continue
        initials = split[k][0].upper() + initials
        if initials == acronym:
            return " ".join(split[k:])
        if not acronym.endswith(initials):
            return None
    return None


def _shortest_long_form(words: str, acronym: str) -> str:
    """The shortest run of the words before "(ACRONYM)" that starts with the acronym's first
    letter and holds its letters in order as initials ("ADI was re-named the Andes Drug
    Program (ADP)" → "Andes Drug Program"); when none does (an acronym of another language's
    words), the capitalised run that ends there ("the EU financed the Support Programme for
    Security in Central America (PAIRCA)" → "Support Programme for Security in Central America")."""
    letters = [c for c in acronym.upper() if c.isalpha()]
    split = words.split()
    for k in range(len(split) - 1, -1, -1):
        if not split[k][:1].isupper() or split[k][0] != letters[0]:
            continue
        initials = [part[0].upper() for w in split[k:] for part in w.split("-") if part]
        at = 0
        for initial in initials:
            if at < len(letters) and initial == letters[at]:
                at += 1
        if at == len(letters):
            return " ".join(split[k:])
    return _capitalised_tail(split)


LONG_FORM_CONNECTORS = (
    rf"(?:{CONNECTORS}|between|among|across|at|from|by|under|a|al|el|en|para|por|contra|sobre|des|du|et|le|les|pour)"
)
"""Lower-case words inside a long form, also of the region's other languages ("Fondo de Apoyo
a la Seguridad", "Programme d'Appui pour …")."""


def _capitalised_tail(words: list[str]) -> str:
    """The last run of capitalised words and connectors, from a capitalised word on, with no
    sentence opener ("The", "While") at its start."""
    k = len(words)
    while k > 0 and (words[k - 1][:1].isupper() or re.fullmatch(LONG_FORM_CONNECTORS, words[k - 1])):
        k -= 1
    while k < len(words) and not words[k][:1].isupper():
        k += 1  # a run starts on a capitalised word, not on "of" or "the"
    tail = " ".join(words[k:])
    lead = LEADING.match(tail + " ")
    return tail[lead.end() :] if lead and lead.end() < len(tail) else tail


def starts_with_anaphor(text: str) -> bool:
    head = text[:40].casefold()
    return any(head.startswith(a) for a in cue_lexicon()["anaphora"])


POINTING_BACK = re.compile(r"^\W*(?:[^,;:]{0,50}?\s)?its\s[^,;:]{0,50},", re.IGNORECASE)
TURNING_TO = re.compile(r"^\W*for its part\b", re.IGNORECASE)


def opens_pointing_back(text: str) -> bool:
    """Whether an opening phrase points back with "its" ("Since its inception, the US Congress
    channeled …", "To put its aid in perspective, …"): the sentence goes on about what was named
    before it, whoever its subject is. "For its part, X …" turns to X instead."""
    return POINTING_BACK.match(text) is not None and TURNING_TO.match(text) is None


def sentence_features(item: SentenceMentions) -> dict[str, Any]:
    """Mentions and cues of one sentence as a flat dictionary (for a DictVectorizer)."""
    text = item.text
    low = text.casefold()
    features: dict[str, Any] = {}
    types = Counter(m.type for m in item.actors if m.canonical)
    for kind, count in types.items():
        features[f"actor:{kind}"] = min(count, 3)
    countries = {m.country for m in item.actors if m.country}
    features["countries"] = min(len(countries), 4)
    features["actors"] = min(len(item.canonical_actors()), 5)
    features["new_actor"] = int(any(m.how == "ner" for m in item.actors))
    features["amounts"] = min(len(item.amounts), 3)
    features["years"] = min(len([y for y in item.years if not y.citation]), 3)
    features["citation_years"] = int(any(y.citation for y in item.years))
    names = program_names(text)
    features["program_name"] = int(bool(names))
    cues = cue_lexicon()
    features["cues"] = min(sum(1 for c in cues["intervention"] if c in low), 6)
    features["anti_cues"] = min(sum(1 for c in cues["not_intervention"] if c in low), 4)
    features["anaphor"] = int(starts_with_anaphor(text))
    features[f"source:{item.sentence.source}"] = 1
    words = len(text.split())
    features["length"] = "short" if words < 8 else "long" if words > 45 else "medium"
    features["security_terms"] = min(security_terms(text), 4)
    features["percent"] = int(bool(re.search(r"\d\s*(%|per cent|percent)", low)))
    features.update(cooperation_structure(item))
    # the plain shape of a cooperation statement ("Taiwan donated 40 patrol cars to the police of
    # Honduras"), for the detector to weigh: a fact of English, not of one report's phrasing
    features["cooperation_statement"] = int(states_cooperation(item))
    features["provider_subject"] = int(provider_is_subject(item))
    for kind in ("negation", "aggregate"):
        features[kind] = min(sum(1 for p in _cue_patterns(kind) if p.search(low)), 2)
    # a finding that cooperation is absent ("provides no assistance"), and a note that only
    # cites a work ("See Smith (2012)."), state no intervention whatever words they share with one
    features["denies_cooperation"] = int(denies_cooperation(item, names))
    features["bare_citation"] = int(is_bare_citation(text))
    return features


@lru_cache(maxsize=4)
def _cue_patterns(kind: str) -> tuple[re.Pattern[str], ...]:
    """The cue lexicon's patterns of one kind: "negation" (words that may deny cooperation),
    "absence" (a clause saying there is none: "provides no assistance") and "aggregate"
    (totals and shares: statements about cooperation as a whole)."""
    return tuple(re.compile(p) for p in cue_lexicon()[kind])


def denies_cooperation(item: SentenceMentions, names: list[ProgramName]) -> bool:
    """Whether a sentence says cooperation is absent ("India … thus provides no assistance",
    "Russian cooperation is non-existent") and names no program and no amount that would make
    it a statement about one: a finding about a donor, whatever cue words it shares with
    cooperation statements."""
    if names or item.amounts:
        return False
    low = item.text.casefold()
    return any(p.search(low) for p in _cue_patterns("absence"))


def cooperation_structure(item: SentenceMentions) -> dict[str, int]:
    """The shape of a cooperation statement: a named actor doing a cooperation verb ("USAID
    funded", "the OAS has created"), and a verb reaching a country ("… trained police in
    Honduras"). Cue words alone fire on trends and debates as well."""
    text = item.text
    does, reaches = cooperation_patterns()
    doer = reach = 0
    for mention in item.actors:
        if does.match(text, mention.end, min(len(text), mention.end + 60)):
            doer = 1
        if mention.type in {"country", "city", "region"} and reaches.search(
            text[max(0, mention.start - 80) : mention.start]
        ):
            reach = 1
    return {"actor_does": doer, "reaches_country": reach}


SUBJECT_AT_START = re.compile(r"[\s\u2022*\-\u2013\u2014]*(?:the\s+)?", re.IGNORECASE)
SUBJECT_AFTER_OPENING = re.compile(r"[\s\u2022*\-\u2013\u2014]*[^,;:]{1,60}?,\s+(?:the\s+)?", re.IGNORECASE)
"""Where a subject starts: at the sentence's start, or after an opening phrase closed by a comma
("For example, USAID …", "In 2012, the OAS …", "Since July 2021, USAID …")."""
OPENING_PHRASE_WORDS = 9


def provider_is_subject(item: SentenceMentions) -> bool:
    """Whether the sentence's subject is a country's or an organisation's name: its first actor
    can provide and starts the sentence, or starts right after an opening phrase. A sentence
    telling what a named body did ("In 2012, the OAS created …") is the codebook's identifiable
    provider; one about a class of them ("Countries such as Brazil …", "A focus of cooperation
    …") names them only as examples."""
    first = next((m for m in item.actors if m.canonical), None)
    if first is None or first.type not in DOERS:
        return False
    text = item.text
    start = SUBJECT_AT_START.match(text)
    if start is not None and first.start == start.end():
        return True
    opening = SUBJECT_AFTER_OPENING.match(text)
    return (
        opening is not None
        and first.start == opening.end()
        and len(text[: opening.end()].split()) <= OPENING_PHRASE_WORDS
    )


DOERS = frozenset(
    {"country", "government agency", "multilateral", "regional body", "non-governmental", "private"}
)
"""Actor types that can provide (not places, not names the registry does not know)."""


def states_cooperation(item: SentenceMentions) -> bool:
    """Whether a body sentence has the plain shape of a cooperation statement: a registered
    country or organisation doing a cooperation verb, a country or region after it, security words,
    and no negation ("Taiwan donated 40 patrol cars to the police of Honduras"); or a list entry
    headed by such a donor (see :func:`_donor_entry`)."""
    if item.sentence.source != "body" or not security_terms(item.text):
        return False
    if any(p.search(item.text.casefold()) for p in _cue_patterns("negation")):
        return False
    if _donor_entry(item):
        return True
    does, _ = cooperation_patterns()
    for mention in item.actors:
        if mention.type not in DOERS:
            continue
        verb = does.match(item.text, mention.end, min(len(item.text), mention.end + 60))
        if verb and any(m.start >= verb.end() and m.type in ("country", "region") for m in item.actors):
            return True
    return False


ENTRY_HEAD = re.compile(r"\s*(?:\([^()]{1,40}\))?\s*[:\u2013\u2014]\s")
"""After a donor's name at the head of a list entry: "USAID: …", "Spain (AECID): …"."""


def _donor_entry(item: SentenceMentions) -> bool:
    """A list entry headed by a donor and naming a place ("USAID: community policing in San
    Pedro Sula, Honduras (2010-2014)"): an inventory line, with no verb to state it."""
    if not item.actors:
        return False
    head = item.actors[0]
    return (
        head.type in DOERS
        and not item.text[: head.start].strip(" \u2022\u00b7*-")
        and ENTRY_HEAD.match(item.text, head.end) is not None
        and any(m.type in ("country", "region", "city") for m in item.actors[1:])
    )


@lru_cache(maxsize=1)
def cooperation_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A cue verb right after an actor (auxiliaries allowed); a cue verb whose clause ends in
    "to / in / for / with" right before a place."""
    cues = {c for c in cue_lexicon()["intervention"] if c.isalpha() and len(c) > 3}
    verbs = "|".join(re.escape(v) for v in sorted(cues, key=len, reverse=True))
    aux = r"(?:has|have|had|is|was|were|also|jointly|recently|directly|further|then)"
    # "the Colombian government supported …": a country's adjective is the government's
    head = r"(?:governments?|authorities)\s+"
    does = re.compile(rf"\W*(?:{head})?(?:{aux}\s+){{0,3}}(?:{verbs})\b", re.IGNORECASE)
    reaches = re.compile(rf"\b(?:{verbs})\b[^.;]*\b(?:to|in|for|with)\s+(?:the\s+)?$", re.IGNORECASE)
    return does, reaches


GLOSSARY = re.compile(r"^\W*[A-Z][A-Za-z&/\-]{1,12}\s*[=:]\s*[A-Z]")


def is_glossary(text: str) -> bool:
    """A legend line ("ESF = Economic Support Fund; INCLE = …") states nothing."""
    return bool(GLOSSARY.match(text)) and text.count("=") + text.count(";") >= 2


BARE_CITATION = re.compile(
    r"^(?:See|Cf\.?)\s+(?:also\s+)?[^.;()]{1,80}?\(\s*\d{4}[a-z]?(?:\s*[,;]\s*\d{4}[a-z]?)*\s*\)\s*\.?$"
)


def is_bare_citation(text: str) -> bool:
    """A note that only cites a work ("See Smith and Jones (2012, 2011).") states nothing."""
    return bool(BARE_CITATION.match(text.strip()))


PUBLICATION = re.compile(
    r"\((?:[A-Z][\w.]*[ ,.]*){1,4}:\s*[^()]{0,60}?[A-Za-z][^()]{0,60}?\b(?:19|20)\d{2}\)"
)
"""Where and when a cited work came out: "(Washington, D.C.: Dec. 19, 2005)", "(New York:
UNDP, 2013)"."""


def is_reference_entry(text: str) -> bool:
    """A note giving a bibliographic reference ("GAO, Defense Acquisitions: …, GAO-06-66
    (Washington, D.C.: Dec. 19, 2005).") names a work: its title's words say what the work
    is about, not what the intervention is."""
    return PUBLICATION.search(text) is not None


def security_terms(text: str, language: str = "en") -> int:
    """How many of the codebook's security words begin a word of the text (0: not about
    security at all). "Social security", "food security" are welfare and supply, not safety
    from crime and violence (the codebook's ``not_security`` compounds).

    ``language`` (ISO 639-1) reads a text in another language by the codebook's words in that
    language, to tell whether a report in it is about security (:mod:`.coverage`); a language it
    has no words for is read by the English ones. The models read English words only."""
    low = text.casefold()
    vocabulary = _security_vocabulary(language)
    if vocabulary.not_security is not None and any(c in low for c in vocabulary.compounds):
        low = vocabulary.not_security.sub(" ", low)
    # a word's pattern can only match where the word is: the substring test skips most searches
    return sum(1 for word, pattern in vocabulary.words if word in low and pattern.search(low))


@dataclass(frozen=True)
class SecurityVocabulary:
    """The codebook's security words of one language, compiled."""

    words: tuple[tuple[str, re.Pattern[str]], ...]
    compounds: tuple[str, ...]
    not_security: re.Pattern[str] | None


@lru_cache(maxsize=8)
def _security_vocabulary(language: str) -> SecurityVocabulary:
    book: dict[str, Any] = codebook()
    lists = book.get("in_other_languages", {}).get(language, book)
    compounds = tuple(lists["not_security"])
    return SecurityVocabulary(
        words=tuple((w, re.compile(rf"(?<![\w]){re.escape(w)}")) for w in lists["security_words"]),
        compounds=compounds,
        not_security=re.compile("|".join(rf"\b{re.escape(c)}\b" for c in compounds)) if compounds else None,
    )


def themes_in(text: str) -> set[str]:
    """Themes whose codebook words begin a word of the text (a cue, not a decision): "arms"
    and "arms trafficking", not "farms"; "firearm" also in "firearms"."""
    low = text.casefold()
    return {theme for theme, pattern in _theme_patterns().items() if pattern.search(low)}


def theme_cues_in(text: str) -> set[tuple[str, str]]:
    """(theme, cue word) for every codebook cue that begins a word of the text."""
    low = text.casefold()
    patterns = _theme_cue_patterns().items()
    return {(theme, cue) for (theme, cue), pattern in patterns if cue in low and pattern.search(low)}


@lru_cache(maxsize=1)
def _theme_cue_patterns() -> dict[tuple[str, str], re.Pattern[str]]:
    return {
        (theme, word.strip()): re.compile(r"(?<![\w])" + re.escape(word.strip()))
        for theme, words in theme_lexicon().items()
        for word in words
    }


@lru_cache(maxsize=1)
def _theme_patterns() -> dict[str, re.Pattern[str]]:
    return {
        theme: re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w.strip()) for w in words) + ")")
        for theme, words in theme_lexicon().items()
    }
