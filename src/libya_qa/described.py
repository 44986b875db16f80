"""Whether a quote says who someone is: "Who is Rose Gottemoeller?" answered by "... said Rose Gottemoeller,
NATO's deputy secretary-general".

"Who is <a name>?" is answered by a description, and an article describes a person where it names them:
a title or role just before the name ("federal police captain Amir Abdul Kareem", "Niger's Foreign Minister
Ibrahim Yacoubou"), an apposition after it (", an analyst on African Union affairs", ", who ran the U.N.'s
peacekeeping operations"), or a copula ("Jason Pack is president of ..."). Such a quote answers however few
of its words the question shares, which is what the confidence model reads; a name quoted with none of
these ("a piece by Michael Hastings for Rolling Stone") does not say who its bearer is.
"""

from __future__ import annotations

import re

from .analysis import without_continuation
from .entities import find_spans
from .slots import parsed, person_spans

# "Who is Toby Lanzer?", "What is Libya Dawn?": the rest is the name when it is one name and nothing else.
IS_WHAT = re.compile(r"^\W*(?P<wh>who|what)\s+(?:is|was|are|were)\s+(?:the\s+)?(?P<rest>.+?)\W*$", re.IGNORECASE)
# After the name, its initials aside: ", the ...", ", an ...", ", who ...", ", NATO's ...", or a list entry's
# definition ("Libyan National Army (LNA): The banner name for ...").
APPOSITION = re.compile(
    r"(?:\s+\([A-Z][\w-]*\))?(?:,\s+(?:(?:then|now|formerly|once)\s+)?"
    r"(?:[Tt]he|[Aa]n?|who|whose|which|[A-Z][\w.&-]*(?:'s|’s))\s|:\s+[A-Z])"
)
# "is president of", "was the ...", not "was laid off"
COPULA = re.compile(r"\s+(?:is|was|has been|had been)\s+(?:the|an?|[a-z]+\s+(?:of|at|for|to)\b|[A-Z])")
# Before the name: "His lawyer, Farid el-Deeb"; a title word the tagger reads as a noun is taken apart below.
APPOSED_BEFORE = re.compile(
    r"(?:\b(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Ii]ts|[Tt]heir)|[A-Z][\w.&-]*(?:'s|’s))"
    r"\s+[\w’'-]+(?:\s+[\w’'-]+){0,3},\s*$"
)
# "The RAND Corporation’s Christopher Chivvis": an affiliation written as an owner
OWNER = re.compile(r"[A-Z][\w.&-]*(?:'s|’s)\s+$")
TITLE_TAGS = frozenset({"NOUN", "PROPN"})
CONTEXT_CHARS = 120  # a title or an apposition sits this close to the name


def asked_person(question: str) -> str:
    """The name a "Who is <a name>?" question asks about, or "" for any other question."""
    wh, name = _asked(question)
    return name if wh == "who" else ""


def asked_name(question: str) -> str:
    """The name a "Who is <a name>?" or "What is <a name>?" question asks about ("Libya Dawn"), or ""."""
    return _asked(question)[1]


def _asked(question: str) -> tuple[str, str]:
    """("who" or "what", the name) of a who-is or what-is question whose rest is one name; ("", "") otherwise."""
    match = IS_WHAT.match(without_continuation(question))
    if match is None:
        return "", ""
    rest = match.group("rest")
    names = [span for span in find_spans(rest) if span.kind == "name"]
    whole = len(names) == 1 and names[0].start == 0 and names[0].end == len(rest)
    return (match.group("wh").lower(), rest) if whole else ("", "")


def says_who(question: str, quote: str) -> bool:
    """True for a "Who is <a name>?" question whose quote describes the person it names."""
    name = asked_person(question)
    return bool(name) and describes(quote, name)


def describes(quote: str, name: str) -> bool:
    """True when the quote writes the name with a title, an apposition or a copula at some mention."""
    people = person_spans(quote)
    for found in re.finditer(re.escape(name), quote):
        # the whole name the recogniser reads: "Haftar" of "provided by Khalifa Haftar" has no title "Khalifa"
        start = min((a for a, b in people if a <= found.start() < b), default=found.start())
        end = max((b for a, b in people if a < found.end() <= b), default=found.end())
        after, before = quote[end : end + CONTEXT_CHARS], quote[max(start - CONTEXT_CHARS, 0) : start]
        if APPOSITION.match(after) or COPULA.match(after) or APPOSED_BEFORE.search(before):
            return True
        if OWNER.search(before) or _titled(before):
            return True
    return False


def _titled(before: str) -> bool:
    """True when the word just before the name is a noun of its clause: a title or role ("spokesman", "Minister",
    "captain"), not a verb, a preposition or the end of a sentence."""
    if not before.strip() or re.search(r"[.!?:;,\"“”(]\s*$", before):
        return False
    tokens = [t for t in parsed(before) if not t.is_space]
    return bool(tokens) and tokens[-1].pos_ in TITLE_TAGS and tokens[-1].text[:1].isalpha() and len(tokens) > 1
