"""The kind of answer a question asks for, against the kind its quote's short answer gives.

"Which jihadist group carried out the January 2013 hostage-taking at In Amenas?" asks for a group; a
quote whose answering names are "Algeria · Libya · Libyan" names none, however close its words are. A
question asking for someone (a person or a group: who, which official, which militia) whose short answer
holds only places, or peoples' adjectives, has found no one: spaCy's entity recogniser reads each name on
its own (slots.entity_label). A plural people ("Syrians") may be who does something, so it counts as
someone; "Who backed Haftar?" is answered by countries, so backing verbs ask for no one in particular.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .analysis import question_type, without_continuation
from .slots import PLACE_LABELS, entity_label, label_in, person_spans

# Verbs whose doers are as often countries as people or groups ("Who backed Haftar?": Egypt, the UAE).
STATES_DO = (
    r"back|backs|backed|support|supports|supported|fund|funds|funded|arm|arms|armed|pay|pays|paid|sponsor|"
    r"sponsors|sponsored|buy|buys|bought|sell|sells|sold|host|hosts|hosted|border|borders|bordered|"
    r"convene|convened|recogni[sz]e|recogni[sz]ed|sanction|sanctioned|bomb|bombed|invade|invaded|"
    r"own|owns|owned|govern|governs|governed|rule|rules|ruled|colonized|colonised|occupied|occupies"
)
# Nouns a which-question asks for that only a person or a group can be.
SOMEONE = (
    r"person|people|man|woman|group|groups|militia|militias|organi[sz]ation|organi[sz]ations|party|parties|"
    r"movement|journalist|official|officials|operative|commander|leader|minister|president|spokes(?:man|woman|"
    r"person)|analyst|general|envoy|gunman|gunmen|jihadist|militant|militants|agency|unit|brigade|faction|"
    r"rebel|rebels|politician|diplomat|author|reporter|activist|cleric|emir|chief|publisher|company|firm|"
    r"court|orchestra|newspaper|broadcaster"
)
# No one: a place, or a language ("English" for "Which publisher brought out the German edition?", dev u250);
# a people's name is read apart: "Syrians" may be who.
PLACES = (PLACE_LABELS - {"NORP"}) | {"LANGUAGE"}
# What a people's or a place's name before it makes someone: "the Egyptian authorities" are whom Al Jazeera holds
# responsible (dev f226), "Syrian government forces" who closes in on al-Bab (f183).
BODIES = (
    r"authorities|government|governments|forces|army|armies|troops|police|officials|military|navy|regime|"
    r"militias?|rebels|fighters|soldiers|ministry|parliament|court|courts|prosecutors?|security|intelligence|"
    r"coalition|administration|junta|embassy|diplomats"
)
# A body of people a name owns, which the short answer may leave out as a name the conversation gave: "Russia's
# foreign ministry" answers "Who rejected his claim?" after "Who accused Russia of supplying the Taliban?" (f232).
BODY_AFTER = rf"\s+(?:[a-z]+\s+)?(?:{BODIES})\b"  # "<name> government", "<name>'s foreign ministry"
OWNED_BODY = re.compile(rf"\b[A-Z][\w-]+['’]s{BODY_AFTER}")
# Nouns a which-question asks for that only a person can be ("Which African Union analyst ...?").
ONE_PERSON = (
    r"person|man|woman|journalist|official|operative|commander|leader|minister|president|spokes(?:man|woman|"
    r"person)|analyst|general|envoy|gunman|politician|diplomat|author|reporter|activist|cleric|emir|chief|"
    r"ambassador|correspondent|officer|head|secretary|coordinator|archaeologist|interviewer|editor|king|"
    r"prince|prime minister|governor|mayor|judge|lawyer|scholar|expert|researcher|professor"
)
# A person is someone too: "Which archaeologist did ISIS behead?" is not answered by places (dev u42).
ASKS_SOMEONE = re.compile(
    rf"^\W*(?:(?:who|whom)\b(?!(?:\s+\w+){{0,2}}\s+(?:{STATES_DO})\b)|"
    rf"(?:which|what)\s+(?:[\w'’-]+\s+){{0,3}}?(?:{SOMEONE}|{ONE_PERSON})\b)",
    re.IGNORECASE,
)
# Who-questions whose answer is a person: what someone is, or what only people do ("Who heads ...?"); "Who
# ordered them?" or "Who did Putin say this to?" may be answered by a navy or a fleet.
PERSON_VERBS = (
    r"is|was|are|were|leads?|led|heads?|headed|speaks?|spoke|commands?|commanded|chairs?|chaired|"
    r"runs?|ran|interviewed|wrote|writes?|founded|elected|appointed"
)
ASKS_A_PERSON = re.compile(
    rf"^\W*(?:who\s+(?:{PERSON_VERBS})\b|"
    rf"(?:which|what)\s+(?:[\w'’-]+\s+){{0,3}}?(?:{ONE_PERSON})\b)",
    re.IGNORECASE,
)


def asks_for_someone(question: str) -> bool:
    """True for a question whose answer is a person or a group ("Who led ...?", "Which militia ...?")."""
    return question_type(question) == "name" and ASKS_SOMEONE.match(without_continuation(question)) is not None


def asks_for_a_person(question: str) -> bool:
    """True for a question whose answer is likely a person: who is, who leads or heads, or which official,
    journalist, commander, ..."""
    return question_type(question) == "name" and ASKS_A_PERSON.match(without_continuation(question)) is not None


def is_person(sentence: str, start: int, end: int) -> bool:
    """True when the entity recogniser, reading the sentence, takes a person's name to overlap [start, end)."""
    return any(a < end and start < b for a, b in person_spans(sentence))


def only_places(names: Sequence[str], context: str = "") -> bool:
    """True when every name is read as a place or a people's adjective ("Tunisian"), not as a plural people
    ("Syrians", who may be the someone asked for); False for no names. Each name is read where the context
    writes it, if it can be ("Homs province": a place; "Homs" alone reads as an organisation), else alone."""
    labels = [(name, (label_in(name, context) if context else "") or entity_label(name)) for name in names]
    return bool(labels) and all(
        label in PLACES or (label == "NORP" and not name.endswith("s")) for name, label in labels
    )


def places_for_someone(question: str, names: Sequence[str], quote: str = "") -> tuple[str, ...]:
    """The short answer's names when the question asks for someone and they are all places, none of them
    naming a body of people in the quote ("the Egyptian authorities", "Syrian government forces"); else ()."""
    if not names or not asks_for_someone(question) or not only_places(names, quote):
        return ()
    bodies = any(re.search(rf"\b{re.escape(n)}{BODY_AFTER}", quote) for n in names) or OWNED_BODY.search(quote)
    return () if bodies else tuple(names)
