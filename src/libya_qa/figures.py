"""What kind of figure a how-many or how-much question asks for, and whether a quote gives one.

A share wants a percentage or a fraction, a duration a span of time, an amount of money a sum; a
count is answered by any number but a measure of something else ("How many militants were arrested?"
is not answered by "Five tons of explosives"). Rules over the quote's words, no model: microseconds.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .analysis import question_proper, tokenize
from .entities import YEAR as YEAR_PATTERN
from .entities import TypedSpan, new_spans
from .slots import predicate_words, sentences

AUXILIARY_WORDS = r"is|are|was|were|do|does|did|has|have|had|will|would|could|can|should|may|might"
# Figures the typed-number rules leave aside: "the fourth biggest", "$100bn" ("well over a thousand" is one).
FIGURE_WORDS = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\b"
    r"|\d\s?(?:bn|mn|tn|m|k)\b",
    re.IGNORECASE,
)
HOW_LONG = re.compile(r"\bhow (?:long|much longer)\b", re.IGNORECASE)  # a duration: "since 1984" answers it
# An age is written bare as often as with its unit ("Mubarak, 88", "aged 69"): any new figure or date answers it.
HOW_OLD = re.compile(r"\bhow old\b", re.IGNORECASE)
SHARE = re.compile(r"^\W*what (?:proportion|share|percentage|fraction)\b|\bwhat percent\b", re.IGNORECASE)
MONEY_ASKED = re.compile(
    r"^\W*how much\b(?=.*\b(?:money|compensation|aid|pay|paid|cost|costs|spend|spent|worth|"
    r"fund|funds|funding|budget|save|saved|waste|wasted|earn|earned|owe|owed)\b)",
    re.IGNORECASE,
)
# "How much weight has he lost?", "How much oil ...?": an amount of a thing, which a span of time ("another 45
# days") does not give; "How much time", "how much of", "how much longer" are left to the other kinds.
AMOUNT_ASKED = re.compile(
    rf"^\W*(?:and\s+)?how much\s+(?!(?:time|longer|more|less|of|{AUXILIARY_WORDS})\b)[a-z]", re.IGNORECASE
)
COUNT_ASKED = re.compile(
    r"^\W*(?:(?:about|roughly|approximately|around)\s+)?how many\s+"
    r"(?:[\w’'-]+\s+){0,2}?([a-z][\w’'-]*)",
    re.IGNORECASE,
)
# What follows a share's figure: "86.2%", "75 percent", "a fifth", "two thirds", "half of".
SHARE_GIVEN = re.compile(
    r"%|\bper ?cent\b|\bhalf\b|\b(?:thirds?|quarters?|fifths?|tenths?)\b|\bin (?:every )?"
    r"(?:two|three|four|five|six|seven|eight|nine|ten)\b",
    re.IGNORECASE,
)
MONEY_GIVEN = re.compile(
    r"[$£€]|\b(?:dollars?|euros?|pounds?|(?:m|b|tr)illion|bn|mn)\b|\d\s?(?:bn|mn|m)\b", re.IGNORECASE
)
TIME_UNIT = r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|centuries)"
# "How long is the book?" asks its pages, as "How long is the border?" asks its kilometres (dev q552)
LENGTH_UNIT = r"(?:km|kilomet(?:er|re)s?|miles?|metres?|meters?|pages?|words)"
# "a month after the attack", "two years later": a point in time reckoned from another, not how long anything lasted
OFFSET = r"\s+(?:after|before|ago|later|earlier)\b"
SOME_TIME = re.compile(
    rf"(?<!for )\b(?:a|an|several|few|many)\s+{TIME_UNIT}\b(?!{OFFSET})|"
    rf"\bfor\s+(?:a|an|several|few|many)\s+{TIME_UNIT}\b",
    re.IGNORECASE,
)
SINCE = re.compile(r"\b(?:since|from|until|till|between|to)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)  # "since 1984"
SHARE_UNIT = r"(?:%|per ?cent|half|thirds?|quarters?|fifths?|tenths?)"  # what ends a share's own figure
MONEY_UNIT = r"(?:dollars?|euros?|pounds?|(?:m|b|tr)illion|bn|mn|m)"  # ... and a sum's
# A measure that counts no people or things (a length, a span of time, a weight, ...): a count question quoted
# only with these gives no count ("How many people were detained?" is not answered by "for 45 days").
MEASURE_UNIT = (
    rf"(?:{LENGTH_UNIT}|{TIME_UNIT}|tons?|tonnes?|kg|kilo(?:gram)?s?|litres?|liters?|barrels?|bbl|sq|"
    r"cubic|hectares?|acres?|%|per ?cent|dollars?|euros?|pounds?)"
)


WORDS = re.compile(r"[\w’'-]+")  # words as counts are read: "al-Bab", "Qaddafi’s"
# What a count is of ("How many Turkish soldiers did ...?" -> soldiers): a plural among the first words after "how
# many", before a verb or preposition. A number followed by another plural ("more than 19,000 airstrikes" for
# "How many countries ...?") counts something else, however near the question's words it stands.
COUNT_START = re.compile(r"\bhow many\s+(?:of\s+(?:the|its|their|these|those)\s+)?(.*)", re.IGNORECASE)
# A fraction's own plural ("two thirds of the population") counts nothing else either.
NOT_COUNTED = frozenset(
    AUXILIARY_WORDS.split("|")
    + "of in on at from to for by with there they them it its their this us".split()
    + "halves thirds quarters fifths sixths eighths tenths".split()
)
PLURAL = re.compile(
    r"[a-z][\w’'-]*[a-z]s|people|[a-z]*(?<!ye)men|children|police|staff|personnel|crew", re.IGNORECASE
)  # "servicemen", "gunmen", not "Yemen"


@lru_cache(maxsize=256)  # asked of every candidate sentence of one question; read once
def counted_noun(question: str) -> str:
    """The plural noun a how-many question counts, lowercased ("" when it names none: "How many were hurt?")."""
    found = COUNT_START.search(question)
    head = ""
    for word in WORDS.findall(found.group(1))[:3] if found else []:
        if word.lower() in NOT_COUNTED and not word.isupper():  # "IS fighters", "US troops": names, not "is", "us"
            break
        if PLURAL.fullmatch(word):
            head = word.lower()
    return head


def counts_other(sentence: str, span: TypedSpan, noun: str) -> bool:
    """The number span is followed, within three words, by a plural noun that is not the counted one."""
    if noun == "people":  # "7 million Nigerians", "255,000 refugees": people, counted by what they are
        return False
    prefix = noun[:5] if len(noun) > 5 else noun.rstrip("s")
    following = [w for w in WORDS.findall(sentence[span.start : span.end + 40])[:6] if not w[0].isdigit()]
    if any(w.lower().startswith(prefix) for w in following):
        return False
    return any(PLURAL.fullmatch(w) and w.lower() not in NOT_COUNTED for w in following[:3])


def asked_figure(question: str) -> str:
    """The figure a how-many or how-much question asks for: age, share, duration, money, amount, count or any."""
    question = question_proper(question)  # a follow-up's "And how many were wounded?" counts, as its question does
    if HOW_OLD.search(question):
        return "age"
    if SHARE.search(question):
        return "share"
    if HOW_LONG.search(question):
        return "duration"
    if MONEY_ASKED.search(question):
        return "money"
    if AMOUNT_ASKED.search(question):
        return "amount"
    counted = COUNT_ASKED.search(question)
    if counted and not re.fullmatch(MEASURE_UNIT, counted.group(1), re.IGNORECASE):  # "How many barrels": any
        return "count"
    return "any"


def gives_figure(quote: str, question: str) -> bool:
    """True when the quote holds a figure of the kind the question asks for that the question does not give.

    "How many U212A submarines are Norway and Germany buying?" quoted from "Norway and Germany buying a
    new class of submarines, known as U212A" gives none; "How long has the PKK been fighting?" is
    answered "since 1984"; "What percentage of voters approved ...?" is not answered by "217-member".
    """
    kind, numbers = asked_figure(question), _of_asked_time(quote, new_spans(quote, "number", question), question)
    ranked = FIGURE_WORDS.search(quote) is not None  # "the fourth biggest", "$100bn", "the 45th anniversary"
    if kind == "age":
        return ranked or bool(numbers or new_spans(quote, "time", question))
    if kind == "share":
        return SHARE_GIVEN.search(quote) is not None and bool(numbers or re.search(r"\bhalf\b", quote, re.I))
    if kind == "duration":
        return ranked or _gives_duration(quote, question, numbers)
    if kind == "money":
        return MONEY_GIVEN.search(quote) is not None and (ranked or bool(numbers))
    if kind == "count":
        fate, noun = asked_fate(question), counted_noun(question)
        counted = [s for s in numbers if of_asked_kind(quote, s, kind) and not (noun and counts_other(quote, s, noun))]
        if fate:  # "How many were wounded?": a figure the quote says was, not "100 civilians fleeing" beside it
            asked = asked_paragraphs(quote, question)
            return any(suffers(quote, span, fate) for span in counted if any(a <= span.start < b for a, b in asked))
        return ranked or bool(counted)
    if kind == "amount":  # "the fifth time" ranks, it weighs nothing
        return any(of_asked_kind(quote, span, kind) for span in numbers)
    return ranked or bool(numbers)


def asked_paragraphs(quote: str, question: str) -> list[tuple[int, int]]:
    """The spans of the quote's paragraphs that hold the most of the question's words (all, for one paragraph).

    A quote of several paragraphs tells of several events, and the dead or hurt of one are no toll of another:
    "How many crew died when Sinai militants shot down an Egyptian military helicopter ...?" was answered
    (0.78) from a quote whose helicopter paragraph gives no toll and whose paragraph before it, on the In
    Amenas siege, says "at least 39 killed".
    """
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", quote)]
    asked = set(tokenize(question))
    shared = [len(asked & set(tokenize(quote[a:b]))) for a, b in spans]
    return [span for span, n in zip(spans, shared) if n == max(shared, default=0)]


def of_asked_kind(quote: str, span: TypedSpan, kind: str) -> bool:
    """True when this figure is of the asked kind (asked_figure's): "twenty years" for a duration."""
    if kind == "share":
        return _measured(quote, span, SHARE_UNIT)
    if kind == "duration":
        return _measured(quote, span, f"(?:{TIME_UNIT}|{LENGTH_UNIT})") and not _reckoned(quote, span)
    if kind == "money":
        return _signed_sum(quote, span) or _measured(quote, span, MONEY_UNIT)
    if kind == "count":  # "How many officers did NATO send?" is not answered by "$1.5 million"
        return not _measured(quote, span, MEASURE_UNIT) and not _signed_sum(quote, span)
    if kind == "amount":  # neither a span of time nor how often ("five times") is an amount; a rate is ("bbl/day")
        return not _measured(quote, span, rf"(?<!/)(?:{TIME_UNIT}|times)")
    return True


YEAR = re.compile(rf"\b{YEAR_PATTERN}\b")  # a year as a word (absence.py reads questions with it too)
YEAR_RANGE = re.compile(rf"\b({YEAR_PATTERN})\s*[-–]\s*({YEAR_PATTERN})\b")  # "1983-1985" asks 1984 too


def _of_asked_time(quote: str, numbers: list[TypedSpan], question: str) -> list[TypedSpan]:
    """The figures, less those whose sentence names other years and none the question names: "How many people
    died in the 1983-1985 Ethiopian famine?" is not answered by "Somalia in 2011, which killed an estimated
    260,000 people", the sentence after the one naming that famine (dev u262)."""
    asked = set(YEAR.findall(question)) | {
        str(y) for a, b in YEAR_RANGE.findall(question) for y in range(int(a), min(int(b), int(a) + 50) + 1)
    }
    if not asked:
        return numbers
    cut = sentences(quote)  # the quote's sentences, as its marks read them ("U.S." ends none)
    kept = []
    for span in numbers:
        sentence = next(text for start, text in reversed(cut) if start <= span.start)
        years = set(YEAR.findall(sentence)) - set(YEAR.findall(quote[span.start : span.end]))
        if not years or years & asked:
            kept.append(span)
    return kept


def _gives_duration(quote: str, question: str, numbers: list[TypedSpan]) -> bool:
    """True for a span of time or a length: "two-day", "nearly 100 years", "a decade", "since 1984", "1,148 km"."""
    if any(of_asked_kind(quote, span, "duration") for span in numbers):
        return True
    return SOME_TIME.search(quote) is not None or any(
        SINCE.search(quote[: s.start]) for s in new_spans(quote, "time", question)
    )


def _reckoned(quote: str, span: TypedSpan) -> bool:
    """True for a figure that places a time from another ("two years later"), unless it is what something lasted
    ("for two years after the trial")."""
    if re.search(r"\bfor\s+$", quote[: span.start], re.IGNORECASE):
        return False
    return re.match(rf"[\s-]*(?:{TIME_UNIT})?{OFFSET}", quote[span.end :], re.IGNORECASE) is not None


def _signed_sum(quote: str, span: TypedSpan) -> bool:
    """True when a currency sign opens the figure ("$1.5 million", "£20m")."""
    return quote[max(span.start - 1, 0) : span.start + 1].strip()[:1] in ("$", "£", "€")


def _measured(quote: str, span: TypedSpan, unit: str) -> bool:
    """True when the figure's own words end with the unit ("100 years") or the unit follows it ("two-day")."""
    return (
        re.search(rf"\b{unit}$", quote[span.start : span.end], re.IGNORECASE) is not None
        or re.match(rf"[\s-]*{unit}(?!\w)", quote[span.end :], re.IGNORECASE) is not None
    )


# News counts the dead and the hurt in many words: "How many people died?" is answered by "at least 39 killed".
FATES = (
    frozenset(
        tokenize("die died dead death deaths kill killed killing fatal slain murdered beheaded martyred massacred")
    ),
    frozenset(tokenize("injure injured injuries wound wounded hurt")),
)
HOW_MANY_ASKED = re.compile(r"\bhow (?:many|much)\b", re.IGNORECASE)


def asked_fate(question: str) -> frozenset[str]:
    """The stems of the fate a question counting one thing asks about (the killed, the hurt); empty if none."""
    if len(HOW_MANY_ASKED.findall(question)) != 1:  # "How many were taken, and how many killed?" counts two
        return frozenset()
    return next((words for words in FATES if words & set(tokenize(question))), frozenset())


def suffers(text: str, span: TypedSpan, fate: frozenset[str]) -> bool:
    """True when the text says the fate befell the quantity at span: by its verb (befalls), or by a word of the
    fate beside it, which a parse of news prose misses ("the deaths of nearly 900 Egyptians", "Boko Haram,
    which has killed 20,000 people has spread": a nominal fate, a run-on clause). For the verdict, which asks
    whether any figure says it; the short answer marks by befalls alone, where a nearby word over-reads ("11
    others were wounded, among 40 troops there" marks "40 troops" too: tests/test_highlights.py)."""
    before = WORDS.findall(re.split(r"[.!?;]\s", text[max(span.start - 40, 0) : span.start])[-1])[-3:]
    after = WORDS.findall(re.split(r"[.!?;]\s", text[span.end : span.end + 40])[0])[:3]
    return bool(fate & set(tokenize(" ".join(before + after)))) or befalls(text, span, fate)


def befalls(sentence: str, span: TypedSpan, fate: frozenset[str]) -> bool:
    """True when the fate befell the quantity at span: a verb it is subject or object of says so (slots.py)."""
    return bool(fate & set(tokenize(predicate_words(sentence, span.start, span.end))))
