"""Typed spans in a sentence: names, numbers and dates, found by rules (microseconds per sentence).

spaCy's en_core_web_sm tags entities better but costs ~45% of the embedding time at build time
(272 sentences/s per core against the encoder's ~250 with bf16), which would sink the build's
throughput target; these rules run at question time over the candidate sentences instead.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

from .analysis import STOPWORDS, WORD

MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
YEAR = r"(?:1[89]|20)\d\d"
DAY = r"\d{1,2}(?:st|nd|rd|th)?"
TIME = re.compile(
    r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|"
    rf"\b(?:(?:early|mid|late)[- ])?(?:{MONTH}\s+{DAY}(?:,?\s+{YEAR})?\b|{DAY}\s+{MONTH}(?:\s+{YEAR})?\b"
    rf"|(?!May\b){MONTH}(?:\s+{YEAR})?\b|May\s+{YEAR}\b|{YEAR}s?\b(?:[–-]\d\d\b)?)"
)
UNITS = r"(?:hundred|thousand|million|billion|trillion)s?"
SMALL = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|"
    r"four|five|six|seven|eight|nine))?)"
)
# A quantity reads with what it counts: "39 people", "about 4,000 men", "13,000 bbl/day".
APPROX = (
    r"(?:(?i:about|around|some|nearly|almost|roughly|more than|less than|at least|up to|(?:(?:well|just)\s+)?"
    r"(?:over|under))\s+)?"
)  # "Roughly 200 Australians" opening a sentence too
# ... a plural ("men", "years"), an irregular one, or a unit ("bbl/day", "km"): never a verb ("30,000 fled").
COUNTED = (
    r"(?:\s+(?!(?:was|is|has|does|goes|this|his|its|as|us|thus|plus|less)\b)(?:[a-z][\w-]*s|people|men|women|"
    r"children|police|personnel|staff|[a-z]+/[a-z]+|km|kg|mph|sq km)\b)?"
)
# The rest of a number in words after its hundreds or thousands: "three hundred [and fifty]", "two thousand [five
# hundred]" (one quantity, not two).
MORE = rf"(?:(?:\s+and)?\s+{SMALL}(?:\s+{UNITS})?)*"
# A share: "half", "a fifth", "two-thirds", "one in five" (what "What proportion ...?" asks for).
PART = r"(?:third|quarter|fifth|sixth|seventh|eighth|ninth|tenth)s?"
FRACTION = (
    rf"\b(?i:half|(?:a|one)[ -]{PART}|(?:two|three|four|five|six|seven|eight|nine)[ -]{PART}|"
    rf"(?:one|two|three) (?:in|out of) (?:three|four|five|six|seven|eight|nine|ten|\d+))\b"
)
# "one of the programs", "no one": a pronoun, not a count ("It withdrew from Tripoli under one of the programs");
# "less than one day's work": a measure, not how many.
NOT_A_COUNT = r"(?<![Nn]o\s)(?!(?i:one)\s+(?:of\b|\w+[’']s\b))"
NUMBER = re.compile(  # a share first: "one in five" is one quantity, not "one" and "five"
    rf"{APPROX}{FRACTION}|{APPROX}(?:[$£€]\s?)?\b\d(?:[\d,]*\d)?(?:\.\d+)?"
    rf"(?:\s*(?:%|percent|per cent)|(?:\s+{UNITS})?(?!\w){COUNTED})"
    rf"|{APPROX}\b{NOT_A_COUNT}(?i:{SMALL}(?:\s+{UNITS}{MORE})?|dozens|hundreds|thousands|millions|billions)"
    rf"(?:\s+of\s+(?i:{UNITS}))?\b"
    rf"{COUNTED}"
    rf"|{APPROX}\b(?i:a|one)\s+(?i:hundred|thousand|million|billion)\b{COUNTED}"  # "well over a thousand" depots
    rf"|\b(?i:several|a\s+few|a\s+couple\s+of)\s+(?i:dozen|hundred|thousand|million|billion)\b{COUNTED}",  # dev q538
)
# A possessive ends a name: "Libya Dawn’s Qatari backers" holds the names "Libya Dawn" and "Qatari".
TOKEN = (
    r"(?:[A-Z](?:[\w.-]|[’'](?![sS]\b))*[\w]|[A-Z]|(?:al|el|ad|as|ash|bin|ibn)-[A-Z](?:[\w-]|[’'](?![sS]\b)(?=\w))*)"
)
CONNECTOR = r"(?:of|de|du|bin|ibn|al|el|van|von|for)"
# ... but a plural's apostrophe holds a name together: "Abu Salim Martyrs’ Brigade", "Az-Zintan Revolutionaries’
# Military Council".
NAME = re.compile(
    rf"{TOKEN}(?:(?<=s)[’'](?=\s+[A-Z]))?(?:\s+(?:{CONNECTOR}\s+(?:the\s+)?)?{TOKEN}(?:(?<=s)[’'](?=\s+[A-Z]))?)*"
)
POSSESSIVE = re.compile(r"[’']s$")
NOT_NAMES = (
    frozenset(
        """i i'd i'm i've i'll i’d i’m i’ve i’ll mr mrs ms dr gen col sen rep however meanwhile although though
    despite instead indeed
    moreover furthermore thus therefore today yesterday yet still even many several unlike like perhaps
    without within among amid amongst upon toward towards throughout beyond across along besides unless whereas
    whilst since though nonetheless nevertheless overall later earlier early using added asked based called noted
    soon afterward afterwards led made located taking having being given known formed founded comprised
    composed
    """.split()
    )
    | STOPWORDS
)
SENTENCE_END = re.compile(r"[.!?][\"”’)]?\s+[“\"‘'(]?$")  # a word after it opens a sentence, as at the start
# A capitalised first word ending so is a verb or adverb, not a name (but Italy, Beijing and Mohamed are names).
COMMON_ENDING = re.compile(r"(?:\w{5}ly|\w{5}(?:ing|ed))$")
# "Tobruk-based", "US-led", "Qatar-backed": an adjective made from a name describes something else
COMPOUND = re.compile(
    r"-(?:based|led|backed|born|run|linked|funded|owned|controlled|held|allied|aligned|affiliated|"
    r"sponsored|supported|dominated|style|era|made|bound)$",
    re.IGNORECASE,
)
ACRONYM = re.compile(r"[A-Z]{2,}")  # "US" is the United States and "IT" a trade, not "us" or "it"
# ... but an office written in capitals names no one: "The previous PM resigned" (dev u119), "Labour MPs"
OFFICES = frozenset({"PM", "MP", "MPs", "MEP", "MEPs", "CEO"})
# Words that make a place of their own out of a name ("Lake Chad" is not the "Chad" a sentence writes) or
# describe rather than name ("Gulf states"): a name holding one is left out of
# the name rules of signals.py (dev: q130, q191), and such a word is never an unknown name (absence.py).
PLACE_WORDS = frozenset(
    {
        "lake",
        "river",
        "gulf",
        "mount",
        "mountains",
        "sea",
        "island",
        "islands",
        "desert",
        "basin",
        "cape",
        "bay",
        "valley",
        "ocean",
        "coast",
        "new",
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "upper",
        "lower",
    }
)
# An initialism's last dot is its own ("the U.S. for twenty years"), though TOKEN stops before it.
INITIALISM = re.compile(r"(?:[A-Z]\.)+[A-Z]$")
ADVERB = re.compile(r"\w{5}ly$")  # "Unfortunately Haftar ...": the adverb opens the sentence, the name follows


@dataclass(frozen=True)
class TypedSpan:
    """[start, end) in a text, and what it is: name, number or time."""

    start: int
    end: int
    kind: str


def _names(text: str) -> list[TypedSpan]:
    """Capitalised runs ("the United Arab Emirates", "Abdullah al-Thani"), minus function words and months."""
    spans = []
    for match in NAME.finditer(text):
        start, end, words = match.start(), match.end(), match.group(0).split()
        opening = (
            not text[:start].strip(" “\"‘'(") or SENTENCE_END.search(text, max(start - 8, 0), start) is not None
        )  # a short look back
        if opening and len(words) == 1 and COMMON_ENDING.search(words[0]):
            continue
        if opening and len(words) > 1 and ADVERB.search(words[0]):
            start, words = text.index(words[1], start + len(words[0])), words[1:]
        while words and (
            (words[0].lower() in NOT_NAMES and not ACRONYM.fullmatch(words[0]))
            or words[0] in OFFICES
            or TIME.fullmatch(words[0])
            or COMPOUND.search(words[0])
        ):
            start = text.index(words[1], start + len(words[0])) if len(words) > 1 else end
            words = words[1:]
        if not words or TIME.fullmatch(" ".join(words)):
            continue
        possessive = POSSESSIVE.search(text[start:end])
        if possessive:
            end -= len(possessive.group(0))
        elif INITIALISM.search(text, start, end) and text[end : end + 1] == ".":
            end += 1
        spans.append(TypedSpan(start, end, "name"))
    return spans


@lru_cache(maxsize=65_536)  # the same candidate sentences come back question after question; bounded
def find_spans(text: str) -> tuple[TypedSpan, ...]:
    """Non-overlapping names, numbers and dates of a text, in order (dates win over numbers and names)."""
    found: list[TypedSpan] = [TypedSpan(m.start(), m.end(), "time") for m in TIME.finditer(text)]
    for span in [TypedSpan(m.start(), m.end(), "number") for m in NUMBER.finditer(text)] + _names(text):
        if span.end > span.start and all(span.end <= s.start or span.start >= s.end for s in found):
            found.append(span)
    return tuple(sorted(found, key=lambda s: s.start))


@lru_cache(maxsize=256)  # the few articles quoted question after question
def lowercase_words(text: str) -> frozenset[str]:
    """The words a text writes in lower case somewhere: "Street protests began ..." opens on one of them."""
    return frozenset(w for w in WORD.findall(text) if w.islower())


MIDSENTENCE_CAPITAL = re.compile(
    r"(?<=[a-z0-9,;)] )[A-Z][a-z][\w’'-]*"
)  # "... backed by Egypt": after a word, not a stop


@lru_cache(maxsize=256)  # the few articles quoted question after question
def midsentence_capitals(text: str) -> frozenset[str]:
    """The capitalised words a text writes after another word of its sentence: names, whatever opens a sentence."""
    return frozenset(MIDSENTENCE_CAPITAL.findall(text))


def opens_on_common_word(text: str, span: TypedSpan, common: AbstractSet[str]) -> bool:
    """True for a one-word name that only opens the sentence, or a clause after a colon ("Petroleum Facilities
    Guard (PFG): Set up in 2012 ..."), and that the article also writes in lower case."""
    word = text[span.start : span.end]
    before = text[: span.start].rstrip(" “\"‘'(")
    return span.kind == "name" and " " not in word and word.lower() in common and (not before or before.endswith(":"))


INITIAL_DOT = re.compile(r"(?<=\b\w)\.(?=\w\.)|(?<=\b\w\.\w)\.")  # the dots of "u.s." and "u.a.e."


def folded(text: str) -> str:
    """Lowercase words only, an initialism's dots dropped ("U.S." is "us"), for telling a repeat of the question."""
    text = INITIAL_DOT.sub("", text.lower().replace("’s", "").replace("'s", ""))
    return " ".join(re.findall(r"\w+", text))


def initialisms(question: str) -> set[str]:
    """The initialisms of the question's names of two words or more: "Libyan National Army" -> "lna".

    An article names its subject in full once and by initials after ("... Colonel Mohamed Bughafir of the
    LNA"): for "Who leads the Libyan National Army?", "LNA" is the question's own name, not an answer.
    """
    return {initials.lower() for initials, _ in names_with_initials(question)}


def names_with_initials(question: str) -> list[tuple[str, str]]:
    """The question's names of two words or more with their initials: ("IOM", "International Organization
    for Migration"); the initials are those of the capitalised words."""
    found = []
    for span in find_spans(question):
        name = question[span.start : span.end]
        words = [w for w in name.split() if w[:1].isupper()]
        if span.kind == "name" and len(words) > 1:
            found.append(("".join(w[0] for w in words).upper(), name))
    return found


# Words of rank or office before a name: "Chancellor Merkel" is the question's Merkel, not an answer.
TITLE_WORDS = frozenset(
    """president chancellor prime minister general gen col colonel lt major captain capt
    mr mrs ms dr king queen prince sheikh emir foreign secretary ambassador senator sen rep governor gov
    commander chairman spokesman pope marshal field""".split()
)


def new_spans(text: str, kind: str, question: str) -> list[TypedSpan]:
    """Spans of the asked kind that the question does not already name (every word of them in the question,
    a title before it aside).

    A name sharing only its last word with the question's is new: "Mahamat Idriss Deby" answers "Who took
    control after Idriss Deby was killed?" (a son, a brother: the same surname, another person).
    """
    asked = _asked_words(question)
    spans = [s for s in find_spans(text) if s.kind == kind]
    return [s for s in spans if not _named_by(folded(text[s.start : s.end]).split(), asked)]


@lru_cache(maxsize=4096)  # one question is read against each of its ~100 candidate sentences
def _asked_words(question: str) -> frozenset[str]:
    """The question's folded words and the initials of its names."""
    return frozenset(folded(question).split()) | initialisms(question)


def _named_by(words: list[str], asked: AbstractSet[str]) -> bool:
    """True when every word is asked, or every word after the leading titles is ("Chancellor Merkel")."""
    if set(words) <= asked:
        return True
    rest = words[next((n for n, w in enumerate(words) if w not in TITLE_WORDS), len(words)) :]
    return bool(rest) and len(rest) < len(words) and set(rest) <= asked
