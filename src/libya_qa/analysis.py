"""Keyword analysis shared by BM25 and sentence scoring: words, stop words, stems."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Set as AbstractSet
from functools import lru_cache

# Bump when tokenize() changes: a build reuses an earlier version's stored passage terms only when it matches.
ANALYSIS = "4"
WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['’][A-Za-z]+)?")

# C0 and C1 control characters other than tab, line feed, form feed and carriage return (terminal escapes).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves did does tell say said according article articles author
    authors describe described explain explains mention mentioned mentions give gives many much one
    ones get got please know known happen happened us whose way ways kind sort thing things else
    did whether""".split()
)


# Names the corpus spells several ways; folded to one token so keywords meet across spellings.
ALIASES = [
    (
        re.compile(
            r"\b(?:the )?islamic state(?: of iraq and (?:syria|the levant))?\b|\bi\.s\.(?=\W|$)|\bisil\b|\bdaesh\b",
            re.I,
        ),
        " isis ",
    ),
    (re.compile(r"\b(?:qaddafi|gaddafi|qadhafi|kadhafi)\b", re.I), " gaddafi "),
    (re.compile(r"\bu\.s\.(?:a\.)?(?=\W|$)|\bunited states\b|\busa\b", re.I), " usa "),
    (re.compile(r"\bu\.n\.(?=\W|$)|\bunited nations\b", re.I), " un "),
    (re.compile(r"\bu\.a\.e\.(?=\W|$)|\bunited arab emirates\b|\buae\b|\bemiratis?\b", re.I), " uae "),
    (re.compile(r"\bal[- ]qa[e']?ida\b|\bal[- ]qaeda\b", re.I), " alqaeda "),
    # Any other dotted initialism ("C.I.A.", "F.B.I.") is the word written without dots, as "CIA" is; split
    # at the dots, its letters are single characters and drop out. After the ones above, which mean more.
    (re.compile(r"(?<![\w.])(?:[A-Za-z]\.){2,}(?=\W|$)"), lambda m: " " + m.group(0).replace(".", "") + " "),
    # "back" as a particle ("led him back to Libya", "fought back.") is a stop word, as "up", "down" and "out"
    # are; the verb ("Egypt backs Haftar", "backed by Saudi Arabia") is a key word of "Who backed Haftar?".
    (
        re.compile(
            r"\bback(?=\s+(?:to|into|onto|from|in|on|at|of|home|out|up|down|off|away|again|then|there|"
            r"here|and|toward|towards|inside)\b|\s*(?:[,.;:!?)\]”\"]|$))",
            re.I,
        ),
        " ",
    ),
]


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    """The Snowball English stemmer (PyStemmer), created once."""
    import Stemmer

    return Stemmer.Stemmer("english")


def _fold(word: str) -> str:
    """Lowercase, strip accents and possessives so 'Haftar’s' and 'haftar' meet."""
    word = word.lower()
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
    return word.replace("’", "'")


# British spellings read as American ones, so "organisation" meets "organization" and "defence" "defense"
# (the stemmer keeps them apart). Applied to question and corpus alike, so a rule that also rewrites a
# word it was not meant for ("otherwise" -> "otherwize") changes nothing that matters: both sides agree.
# The -our and -tre rules spare capitalised words: names (Mansour, Ashour, Delattre) keep their spelling.
BRITISH = [
    (re.compile(r"^practis(e|es|ed|ing)$"), r"practic\1", True),
    (re.compile(r"^(\w{3,})is(e|es|ed|ing|ation|ations|er|ers)$"), r"\1iz\2", True),  # recognised, organisation
    (re.compile(r"^(\w{2,})ys(e|es|ed|ing)$"), r"\1yz\2", True),  # analyse, paralysed
    (re.compile(r"^(\w{3,})our(s|ed|ing|able|ably|ite|ites|er|ers|ful|less)?$"), r"\1or\2", False),  # behaviour
    (re.compile(r"^(\w{2,})tre(s)?$"), r"\1ter\2", False),  # centre, metres (not "hatred")
    (re.compile(r"^(def|off|lic|pret)ence(s)?$"), r"\1ense\2", True),
    (re.compile(r"^(program)me(s)?$|^(catalog|dialog|analog)ue(s)?$"), r"\1\2\3\4", True),
    (re.compile(r"^scep(tic\w*)$"), r"skep\1", True),
    (re.compile(r"^(?:manoeuvre)(s|d)?$"), r"maneuver\1", True),
]


# What every rule above needs the word to end or begin with: most words are turned away by this one test.
MAYBE_BRITISH = re.compile(
    r"(?:is|ys)(?:e|es|ed|ing|ation|ations|er|ers)$|our\w{0,5}$|tres?$|ences?$|mmes?$|ogues?$"
    r"|^scep|^manoeuvr"
)


@lru_cache(maxsize=65_536)  # the same words come back in sentence after sentence; bounded
def american(word: str, capitalised: bool = False) -> str:
    """A folded word in American spelling ("defence" -> "defense"); other words as they are."""
    if not MAYBE_BRITISH.search(word):
        return word
    for pattern, replacement, in_names in BRITISH:
        if (in_names or not capitalised) and pattern.match(word):
            return pattern.sub(replacement, word)
    return word


def tokenize(text: str) -> list[str]:
    """Stemmed content words of a text, in order (stop words dropped, British spellings read as American)."""
    for pattern, replacement in ALIASES:
        text = pattern.sub(replacement, text)
    words = [american(_fold(m.group(0)), m.group(0)[:1].isupper()) for m in WORD.finditer(text)]
    words = [w for w in words if w not in STOPWORDS and len(w) > 1]
    return list(_stemmer().stemWords(words)) if words else []


@lru_cache(maxsize=65_536)  # a word's stems, asked for word by word over every quote; bounded
def word_stems(word: str) -> tuple[str, ...]:
    """tokenize of one word, cached."""
    return tuple(tokenize(word))


@lru_cache(maxsize=65_536)  # sentences are asked about again and again; bounded
def positioned_stems(text: str) -> tuple[tuple[int, str], ...]:
    """(offset, stem) of each word of a text, in order; stop words give "" (they count as words, not terms)."""
    words = [(m.start(), american(_fold(m.group(0)), m.group(0)[:1].isupper())) for m in WORD.finditer(text)]
    content = [w for _, w in words if w not in STOPWORDS and len(w) > 1]
    stems = iter(_stemmer().stemWords(content) if content else [])
    return tuple((start, next(stems) if w not in STOPWORDS and len(w) > 1 else "") for start, w in words)


def tokenize_many(texts: list[str]) -> list[list[str]]:
    """tokenize() over a list."""
    return [tokenize(text) for text in texts]


# What kind of words answer a question, guessed from how it opens.
QUESTION_TYPES = [
    # "About how many ...?", "For how much longer ...?" (dev q588, q623)
    (
        "number",
        re.compile(
            r"^\W*((?:(?:about|roughly|approximately|around|for|by)\s+)?"
            r"how (many|much|large|big|long|far|old|high|tall|deep|wide|fast)"
            r"|what (proportion|share|percentage|number|fraction|figure|sum|age))\b"
            # "What is the population of Niger?", "What was the civilian death toll ...?"
            r"|^\W*what(?:'s| is| was| are| were)\s+(?:the\s+|its\s+|their\s+|\w+[’']s\s+)?(?:\w+\s+){0,2}?"
            r"(population|area|size|gdp|budget|cost|death toll|toll|rate|percentage|share|proportion|number|age|sum|"
            r"total|amount|value|price|income|debt|life expectancy|unemployment|"
            r"distance|length|height|depth|width|elevation|altitude|duration)\b",
            re.I,
        ),
    ),
    (
        "time",
        re.compile(
            r"^\W*(when|since when|(?:(?:in|on|at|by|from|since|until|between)\s+)?(?:what|which)\s+"
            r"(?:years?|months?|dates?|days?|decades?|century|time))\b",
            re.I,
        ),
    ),
    (
        "name",
        re.compile(
            r"^\W*((?:by|to|from|for|with)\s+whom?|who|whom|whose|which|where|"
            r"what (group|country|countries|militia|organi[sz]ation|city|town))\b",
            re.I,
        ),
    ),
]
NUMBER = re.compile(
    r"\b(\d[\d,.]*|hundreds?|thousands?|dozens?|millions?|half|third|quarter|fifth|tenth|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty)\b",
    re.I,
)
TIME = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|"
    r"october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b",
    re.I,
)
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")


# How a question or a request for an answer opens. A query with none of these and no "?" is a
# headline or a topic: it asks for articles, so whole-article evidence should weigh more.
ASKING = re.compile(
    r"^\W*(who|whom|whose|what|which|when|where|why|how|is|are|was|were|am|do|does|did|can|could|should|"
    r"would|will|shall|has|have|had|tell|list|explain|describe|name|give|show|compare|"
    r"summari[sz]e|and|but|so|also|in what|on what|for what|from what|by what|according to)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """True for a question or a request ("Who...", "Tell me..."), False for a headline or topic."""
    return "?" in text or bool(ASKING.search(text))


# A follow-up's opening word that continues the conversation: "And who backed Libya Dawn?" asks "who".
CONTINUING = re.compile(r"^\W*(?:and|but|so|also|then|or)\b[\s,]*(?=\w)", re.IGNORECASE)


def without_continuation(question: str) -> str:
    """The question without a follow-up's opening "And", "But" or "So" ("And who backed ...?" -> "who backed ...?")."""
    return CONTINUING.sub("", question, count=1)


# A request around the question ("Tell me who ...", "Can you tell me when ...", "I'd like to know how many ..."):
# what follows is the question itself. "Name the Libyan city that ..." asks which city.
REQUEST = re.compile(
    r"^\W*(?:please[,\s]+)?(?:(?:(?:can|could|would|will)\s+you\s+)?(?:please\s+)?(?:tell|show)\s+(?:me|us)"
    r"|(?:do|does)\s+(?:you|anyone)\s+know|i(?:['’]d|\s+would)\s+like\s+to\s+know"
    r"|i\s+(?:want|need)\s+to\s+know|i\s+wonder)\b[\s,:]*"
    r"(?=(?:who|whom|whose|what|which|when|where|why|how)\b)",
    re.IGNORECASE,
)
NAME_REQUEST = re.compile(
    r"^\W*(?:please\s+)?(?:name|list|identify)\s+(?:me\s+)?(?:all\s+)?the\s+(?=\w)", re.IGNORECASE
)
# A phrase before the question word ("In his 2012 address, where did Obama ...?"): the question word types it.
LEADING = re.compile(
    r"^\W*(?:in|on|at|during|after|before|according\s+to|since|for|from|under|with|without|"
    r"apart\s+from|besides|beyond|between|among|as\s+for)\b[^,?]{1,80},\s*"
    r"(?=(?:who|whom|whose|what|which|when|where|why|how)\b)",
    re.IGNORECASE,
)


# "What is the name of the top US general in Europe?" asks which general, as "Which top US general in Europe?"
# does: read so, it is typed as asking for a name, and its answer is sought and marked like a which-question's.
# A described thing only ("the", "a"): "What is the name of NATO's mission?" may be asked of a thing or a person.
NAME_OF = re.compile(
    r"^\W*(?:and\s+)?what(?:'s|\s+(?:is|was|are|were))\s+the\s+names?\s+of\s+(?:the|an?)\s+(?=\w)", re.IGNORECASE
)


def plain_question(question: str) -> str:
    """The question without a request around it: "Tell me who backed Haftar." -> "who backed Haftar.", "Name the
    UN resolutions that ..." -> "Which UN resolutions that ...", "What is the name of the ...?" -> "Which ...?"."""
    plain = REQUEST.sub("", question, count=1)
    plain = NAME_REQUEST.sub("Which ", plain, count=1) if plain == question else plain
    return NAME_OF.sub("Which ", plain, count=1)


def question_proper(question: str) -> str:
    """The question from its question word: no follow-up's "And", no leading "In his 2012 address,"."""
    return LEADING.sub("", without_continuation(question), count=1)


def question_type(question: str) -> str:
    """number, time, name or other."""
    question = question_proper(question)
    for kind, pattern in QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return "other"


# A second question joined to the first ("Who launched Operation Dignity, and when?", "Where and when was
# the meeting held?"): the kind of words its answer adds. Not at the start, where "And who ...?" continues.
ALSO_ASKED = re.compile(r"(?<=\w)\W*\s+and\s+(when|what year|who|whom|where|which|how (?:many|much))\b", re.I)
ALSO_KINDS = {"when": "time", "what year": "time", "how many": "number", "how much": "number"}


def asked_kinds(question: str) -> tuple[str, ...]:
    """The question's type, then the kinds a joined second question asks for ("..., and when?": time)."""
    first = question_type(question)
    also = [ALSO_KINDS.get(m.group(1).lower(), "name") for m in ALSO_ASKED.finditer(question)]
    return tuple(dict.fromkeys([first, *also]))


@lru_cache(maxsize=4096)  # one question is read against each of its ~100 candidate sentences
def _lowered_words(question: str) -> frozenset[str]:
    """The question's words in lower case."""
    return frozenset(w.lower() for w in WORD.findall(question))


def answer_fit(
    question: str, kind: str, sentence: str, sentence_terms: AbstractSet[str], question_terms: AbstractSet[str]
) -> float:
    """1.0 when the sentence holds words of the kind the question asks for that the question lacks.

    A sentence that only restates the question ("But the vote didn't go well.") scores low; one that
    adds names, numbers or dates the question asks for scores high.
    """
    asked = _lowered_words(question)
    pattern = {"number": NUMBER, "time": TIME, "name": NAME}.get(kind)
    if pattern is None:
        return min(1.0, len(sentence_terms - question_terms) / 6)
    found = [m.group(0) for m in pattern.finditer(sentence)]
    return 1.0 if any(w.lower().rstrip("’'s") not in asked for w in found) else 0.0
