"""Fact sheets: reference text (a country profile) that writes most of its lines as labelled values.

Such a sheet answers "What is the population of Niger?" in the row its label names ("Population: total:
27,322,555 ..."), not in its neighbours that share the words ("Population distribution: ..."), and it
speaks only of its subject: Libya's "Exchange rates:" row says nothing of the Egyptian pound. The search
reads both of each candidate sentence (ranking.FIELD_BONUS puts the named row first; confidence caps a
quote from a sheet about something else), and the marks read a named row's first figure.
"""

from __future__ import annotations

import re

from .analysis import tokenize
from .layout import LABELLED
from .signals import SOFT_PREFIX, ShortNames, names_any, names_every

# A fact sheet writes most of its lines as labelled values ("Coastline: 1,148 km"); news writes a few
# ("Analysis: ...", a list of militias) among its prose.
MIN_FACT_SHEET_ROWS = 20
# A labelled value, as reference text writes its rows ("Population: total: 11,962,995 (2025 est.)").
FIELD = re.compile(r"^\s*([A-Z][^:\n]{0,40}?)\s*:\s+\S")


def is_fact_sheet(body: str) -> bool:
    """True for a body whose lines are mostly labelled values, at least MIN_FACT_SHEET_ROWS of them."""
    lines = [line for line in body.splitlines() if line.strip()]
    rows = sum(1 for line in lines if LABELLED.match(line.strip()))
    return rows >= MIN_FACT_SHEET_ROWS and 2 * rows >= len(lines)


# A sheet names its people beside its country: "Nationality: noun: Tunisian(s); adjective: Tunisian".
NATIONALITY = re.compile(r"^Nationality:\s*noun:\s*([^;\n]+?)(?:;\s*adjective:\s*([^;\n]+?))?\s*$", re.M)


def sheet_subject(title: str, body: str) -> str:
    """The sheet's title and its people's names as its "Nationality:" row writes them ("Tunisia Tunisian
    Tunisians"), so "What share of Tunisians are literate?" asks Tunisia's sheet and "Nigeria" still not Niger's."""
    match = NATIONALITY.search(body)
    if not match:
        return title
    forms = [form.strip() for group in match.groups() if group for form in group.split(",")]
    names = [re.sub(r"\([^)]*\)", "", form).strip() for form in forms] + [
        form.replace("(s)", "s") for form in forms if "(s)" in form
    ]
    return " ".join(dict.fromkeys([title, *(name for name in names if name)]))


# Questions that ask for a row without its label's words, by the words (stems) that ask it: "How many people
# live in Tunisia?" asks "Population:", "How long is Niger's border with Libya?" asks "Land boundaries:".
# The asking words stand for the label; the rest of the question must still be in the row.
ASKED_AS = {
    ("popul",): (("peopl", "live"), ("inhabit",), ("resid", "live")),
    ("area",): (("big",), ("larg",), ("size",)),
    ("land", "boundari"): (("long", "border"), ("border",)),
    ("coastlin",): (("long", "coast"), ("coast",)),
    ("languag",): (("speak",),),
    ("exchang", "rate"): (("currenc",),),
    # "What share of Niger's people can read?" (dev q176); the figure's and the people's words are the row's
    ("literaci",): (
        ("share", "peopl", "read"),
        ("peopl", "read"),
        ("share", "read"),
        ("read",),
        ("share", "liter"),
        ("liter",),
    ),
    # the Factbook's other rows as people ask for them, written from its labels (every country's sheet has them)
    ("climat",): (("weather",),),
    ("terrain",): (("landscap",),),
    ("elev",): (("highest", "point"), ("highest", "mountain"), ("highest", "peak"), ("tallest",), ("lowest", "point")),
    ("natur", "resourc"): (("resourc",), ("miner",)),
    ("ethnic", "group"): (("ethnic",),),
    ("religion",): (("faith",),),
    ("median", "age"): (("averag", "age"),),
    ("life", "expect", "birth"): (("life", "expect"), ("long", "peopl", "live"), ("long", "live")),
    ("major", "urban", "area", "popul"): (("capit",), ("largest", "citi"), ("biggest", "citi"), ("main", "citi")),
    ("unemploy", "rate"): (("unemploy",), ("jobless",)),
    ("inflat", "rate", "consum", "price"): (("inflat",),),
    ("real", "gdp", "per", "capita"): (("gdp", "per", "capita"), ("gdp", "capita"), ("incom", "per", "capita")),
    ("real", "gdp", "growth", "rate"): (("gdp", "growth"), ("econom", "growth"), ("economi", "grow")),
    ("popul", "poverti", "line"): (("poverti",),),
    ("agricultur", "product"): (("crop", "grow"), ("crop",), ("farm",)),
    ("popul", "growth", "rate"): (("popul", "grow"),),
    ("labor", "forc"): (("workforc",),),
}


# Words that ask which item of a row, not what the row is about ("What is Chad's main religion?"): a row need
# not write them.
ITEM_WORDS = frozenset({"largest", "biggest", "main", "chief", "princip", "domin", "top", "primari"})
# Words that say how the question asks, not what ("How high is unemployment ...?", "What is the weather like
# ...?", "the ethnic makeup", "What religions are practised ...?"): a row need not write them either.
FORM_WORDS = frozenset({"high", "low", "like", "level", "makeup", "practic", "spoken", "use", "face", "follow", "fast"})


def asks_an_item(question_terms: frozenset[str]) -> bool:
    """True for a question asking which item of a row comes first ("Which is Niger's largest ethnic group?")."""
    return bool(ITEM_WORDS & question_terms)


def labels_asked(question_terms: frozenset[str]) -> list[str]:
    """The label words of the rows a question asks for in other words, for the keyword search to find those rows
    ("What is the capital of Niger?" searches "major urban areas" too: no row writes "capital")."""
    asked = {label for label, askings in ASKED_AS.items() if any(set(asking) <= question_terms for asking in askings)}
    return sorted({word for label in asked for word in label} - question_terms)


def row_asked(sentence: str, question_terms: frozenset[str]) -> frozenset[str] | None:
    """For a labelled row the question asks for, the question's words with those that asked it read as the label's;
    None for any other sentence ("What is the population of Niger?" -> "Population: total: 27,322,555", not
    "Population distribution: ..."; "How many people live in Niger?" asks the same row)."""
    match = FIELD.match(sentence)
    label = tuple(tokenize(match.group(1))) if match else ()
    if not label:
        return None
    if frozenset(label) <= question_terms:
        return question_terms
    asking = next((set(words) for words in ASKED_AS.get(label, ()) if set(words) <= question_terms), None)
    return None if asking is None else (question_terms - asking) | frozenset(label)


def names_the_field(sentence: str, question_terms: frozenset[str]) -> bool:
    """True for a labelled row the question asks for, by its label's words or by words that ask it (ASKED_AS)."""
    return row_asked(sentence, question_terms) is not None


def asked_row(sentence: str, title: str, asked: frozenset[str], subjects: ShortNames) -> bool:
    """True for a sheet's row whose label the question asks for, in the sheet of what it names.

    The sheet's title and the row must write every name the search gives, the title one of them (the sheet's
    subject): Niger's "Population:" row does not answer "What is the population of Mali?", nor Chad's "Land
    boundaries: ... Libya 1,050 km; Niger 1,196 km" "How long is Niger's border with Libya?"; and every word of
    the question but those asking which item (ITEM_WORDS): Tunisia's "Coal:" row, with no proven reserves in
    it, does not answer "What are Tunisia's proven coal reserves?".
    """
    read = row_asked(sentence, asked)
    of_its_subject = not subjects or (names_every(subjects, f"{title}\n{sentence}") and names_any(subjects, title))
    return (
        read is not None
        and of_its_subject
        and read - ITEM_WORDS - FORM_WORDS <= frozenset(tokenize(f"{title} {sentence}"))
    )


def of_another_subject(sentence: str, title: str, subjects: ShortNames, chosen: bool = False) -> bool:
    """True for a sheet's sentence when neither it nor the sheet's title names what the search names: Libya's
    "Exchange rates:" row says nothing of "the Egyptian pound" (dev: such first quotes answered none of 16).
    A search that names nothing is about no country either ("Which is the tallest mountain in the world?" is no
    question for Tunisia's "Terrain:" row, dev u199), unless the subject was chosen: by a filter, or by earlier
    questions ("What did the 2022 referendum approve?" after two about Tunisia's president, dev f82)."""
    if not subjects:
        return not chosen
    return not names_any(subjects, f"{title}\n{sentence}")


# Where a row's item begins: a line, or a ";" between items ("...; crude oil estimated reserves: 425 million ...").
ITEM_START = re.compile(r"[;\n]")


def figures_asked(sentence: str, starts: list[int], question_terms: frozenset[str]) -> list[bool] | None:
    """For figures at these offsets of a labelled row, which are values of the item the question asks for: none
    inside a label ("Youth unemployment rate (ages 15-24): total: 40.1%"), and, in a row of several items, those
    whose item's label shares the most words with the question (a long stem also by its first letters). None for
    a sentence that is no such row, or when every figure is as asked as every other.

    "How big are Tunisia's estimated crude oil reserves?" reads "425 million barrels" of "Petroleum: total
    petroleum production: 35,000 bbl/day (2023 est.); refined petroleum consumption: 104,000 bbl/day (2023
    est.); crude oil estimated reserves: 425 million barrels (2021 est.)", not the production and consumption.
    """
    if not FIELD.match(sentence) or len(starts) < 2:
        return None
    items = [max((m.end() for m in ITEM_START.finditer(sentence, 0, start)), default=0) for start in starts]
    asked = question_terms | {t[:SOFT_PREFIX] for t in question_terms if len(t) >= SOFT_PREFIX}

    def overlap(item: int, start: int) -> int:
        label = sentence[item:start].rpartition(":")[0]  # the item's label words, not the value's
        return len({t for t in tokenize(label) if t in asked or t[:SOFT_PREFIX] in asked})

    def in_label(start: int) -> bool:
        ends = ITEM_START.search(sentence, start)
        return ":" in sentence[start : ends.start() if ends else len(sentence)]

    def score(item: int, start: int) -> int:
        if in_label(start):
            return -1
        # one labelled paragraph of prose ("Petroleum Facilities Guard (PFG): ... 20,000 men") has one item to read
        return overlap(item, start) if len(set(items)) > 1 else 0

    scores = [score(item, start) for item, start in zip(items, starts)]
    best = max(scores)
    return None if min(scores) == best else [score == best for score in scores]
