"""The answering words inside a quote, and the short answer read off them.

A question that asks for a name, a number or a date is highlighted at the words of that kind that
the answering sentences add (not the ones it already names): "Who backed Haftar?" marks Egypt, the
United Arab Emirates and Saudi Arabia. Any other question is highlighted at its answering sentences,
so a whole multi-sentence quote is marked only when every sentence answers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from .analysis import WORD, asked_kinds, tokenize, without_continuation, word_stems
from .answer_kinds import asks_for_a_person, asks_for_someone, is_person, only_places
from .described import asked_person
from .entities import PART, SMALL, UNITS, TypedSpan, find_spans, folded, initialisms, new_spans, opens_on_common_word
from .fact_sheets import asks_an_item, figures_asked, names_the_field
from .figures import asked_fate, asked_figure, befalls, of_asked_kind
from .schema import AnswerSpan
from .slots import is_place, naming_names, opens_on_a_modifier

TYPED_KINDS = ("name", "number", "time")
MAX_SHORT_SPANS = 4  # a short answer reads at a glance; more names than this is a list, not an answer
NEAR_WORDS = 8  # in a sentence naming more, the answer sits this close to the question's words
AGENT = re.compile(r"\bby\s+(?:the\s+)?$")  # what comes before the doer of a passive ("backed by Qatar")
# "Who is Khalifa Haftar?" asks what someone is, which a sentence says, not for a name: names there mark nothing.
# What a "how many" question counts: the words before its verb ("How many Syrian children are ...?").
HOW_MANY = re.compile(
    r"\bhow (?:many|much)\b((?:\s+[\w’'-]+?){0,3}?)(?=\s+(?:are|is|was|were|did|does|do|has|have|"
    r"had|will|would|can|could|should|must)\b|\W*$|,)",
    re.IGNORECASE,
)
# The last word of a quantity that counts nothing by name: a figure, a number word, a unit or a share.
BARE = re.compile(rf"\d[\d,.]*|%|percent|cent|{UNITS}|dozens?|half|{SMALL}|{PART}", re.IGNORECASE)
# "Where ...?" is answered by a name after a word of place ("en route to Sudan", "at Andrews Air Force Base").
WHERE = re.compile(r"^\W*where\b", re.IGNORECASE)
LOCATIVE = re.compile(
    r"\b(?:in|at|near|to|from|into|across|along|outside|inside|around|toward|towards|through|via|off|"
    r"between|within)\b(?:\W+[\w’'-]+){0,4}?\W+$",
    re.IGNORECASE,
)
# The verb of a passive and its "by", just before a doer ("a 'militia' led by U.S.-trained General Khalifa Haftar").
DOER_VERB = re.compile(r"\b([a-z]+)\s+by\s+(?:the\s+)?$", re.IGNORECASE)
# Past forms whose stem is not the verb's: "led" is how "Who leads ...?" reads in a passive, and "Who wrote ...?"
# asks for the doer of "written by" (a simple past and its participle both read as the verb).
IRREGULAR = {
    "led": "lead",
    "held": "hold",
    "fought": "fight",
    "ran": "run",
    "sent": "send",
    "bought": "buy",
    "sold": "sell",
    "built": "build",
    "made": "make",
    "shot": "shoot",
    "brought": "bring",
    "taught": "teach",
    "paid": "pay",
    "won": "win",
    "taken": "take",
    "took": "take",
    "kept": "keep",
    "seen": "see",
    "saw": "see",
    "written": "write",
    "wrote": "write",
    "chosen": "choos",
    "chose": "choos",
    "caught": "catch",
    "begun": "begin",
    "began": "begin",
    "given": "give",
    "gave": "give",
    "told": "tell",
    "struck": "strike",
    "spoken": "speak",
    "spoke": "speak",
    "driven": "drive",
    "drove": "drive",
    "broken": "break",
    "broke": "break",
    "thrown": "throw",
    "threw": "throw",
}
WHO_VERB = re.compile(r"^\W*who\s+(?:(?:has|have|had|is|was|were|are|did|does|do|will)\s+)?(?:been\s+)?([a-z]+)", re.I)
# "Who attacked ...?", "Who has backed ...?": a doer asked for by an active verb ("Who was killed ...?" is not).
ASKS_DOER = re.compile(
    r"^\W*(?:and\s+)?who\s+(?:(?:has|have|had)\s+)?(?!(?:is|was|has|does)\b)"
    r"(?:[a-z]+ed|led|hit|shot|struck|took|seized|met|told|sent|held|fought|[a-z]+s)\b",
    re.I,
)
# A name right after an active verb (or after its list of victims) is what the verb acted on: "that killed
# Ambassador Chris Stephens and three other Americans".
ACTED_ON = re.compile(
    r"\b(?<!-)(?:[a-z]{2,}ed|hit|shot|struck|took|seized|met|told|sent|held|fought)\s+(?:the\s+)?"
    r"(?:[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*\s+and\s+(?:\w+\s+){0,2})?$"
)
BY_NEXT = re.compile(r"\s+by\b")  # "attacked by": a passive, whose doer follows
WHICH_SUBJECT = re.compile(
    r"^\W*which\s+(?:[A-Za-z]+\s+)?(?:countries|states|nations|governments|powers|groups|"
    r"militias?|forces|organi[sz]ations?|parties|party|allies|donors|companies)\s+"
    r"(?!(?:did|does|do|is|are|was|were|has|have|had|will|would|can|could)\b)(?=[a-z])",
    re.I,
)
WHO = re.compile(r"^\W*(?:by\s+)?whom?\b", re.IGNORECASE)  # a doer answers "who", not "which cities"


@dataclass(frozen=True)
class QuoteSentence:
    """One sentence of a quote: its offsets in the body, its text, and whether it answers."""

    start: int
    end: int
    text: str
    answers: bool
    best: bool = False  # the highest-scoring sentence of the quote
    close: bool = False  # scores as near the best as a sentence must to share a sentence highlight


@dataclass(frozen=True)
class Marked:
    """Highlights of one quote (relative to it), the main one, and whether they are typed words."""

    spans: tuple[tuple[int, int], ...]
    main: tuple[int, int]
    typed: bool
    close_spans: tuple[tuple[int, int], ...] = ()  # typed spans of the best and the close sentences only
    # Before a long list was cut to its doers: a list tells a follow-up's "he" nothing about which name it means.
    listed: tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]] | None = None
    judged: tuple[int, int] | None = None  # the part judged for years and figures, when context was joined on
    sentence: tuple[int, int] = (0, 0)  # the quote's best sentence
    sentences: tuple[tuple[int, int], ...] = ()  # every sentence of the quote


def mark(
    quote_start: int,
    sentences: list[QuoteSentence],
    kind: str,
    question: str,
    common: AbstractSet[str] = frozenset(),
    given: str = "",
    named: AbstractSet[str] = frozenset(),
) -> Marked:
    """The answering spans of a quote made of `sentences` that starts at body offset quote_start.

    common: the words its article writes in lower case ("Street protests began ..." names no Street).
    named: the words its article capitalises inside a sentence ("... backed by Egypt"): names, not adverbs.
    given: a follow-up's earlier question; what it names is known ("Haftar" answers no "And who supported
    the other side?" after "Who backed Haftar?").
    """
    answering = [s for s in sentences if s.answers] or [s for s in sentences if s.best] or sentences[:1]
    if kind in TYPED_KINDS and not _asks_who_someone_is(question):
        kinds = [k for k in asked_kinds(question) if k in TYPED_KINDS]  # "Who ..., and when?": names and dates
        every = [(s, _asked_spans(s.text, kinds or [kind], f"{question} {given}", common, named)) for s in answering]
        # a row the question asks a figure of lists its figures apart, none nearer the question than another
        terms = frozenset(tokenize(question))
        near = [
            (
                s,
                spans
                if kind == "number" and names_the_field(s.text, terms)
                else _near_question(s.text, spans, question),
            )
            for s, spans in every
        ]
        if kind == "number":
            counted = _doing_the_asked(_counting_the_asked(near, question), question)
            near = _first_of_an_asked_row(_figures_of_the_asked_kind(counted, question), question)
            near = _of_the_asked_items(near, terms)
        elif asks_an_item(terms):  # a row lists the largest first: "Ethnic groups: Hausa 53.1%, Zarma ..." (its first)
            near = _first_of_an_asked_row(near, question)
        opening = without_continuation(question)  # "And who ...?" asks "who" (analysis reads past the "And")
        near = [(s, _places(s.text, spans)) for s, spans in near] if WHERE.match(opening) else near
        subject = WHICH_SUBJECT.match(opening)  # "Which countries back Libya Dawn?" asks who backs it
        opening = f"Who {opening[subject.end() :]}" if subject else opening
        doers = WHO.match(opening) is not None  # of the best sentence: a weaker one's list is no answer to cut
        typed = [
            (s, span)
            for (s, spans), (_, whole) in zip(near, every)
            for span in (_doers(s.text, spans, opening, whole) if doers and s.best else spans)
        ]
        typed = _naming_the_described(typed, question) if kind == "name" else typed
        typed = _someone_asked(typed, question) if kind == "name" else typed
        if typed:
            listed = _relative(
                quote_start,
                [
                    (s, span)
                    for s, spans in near
                    for span in (_not_acted_on(s.text, spans, opening) if s.best else spans)
                ],
            )
            spans, close = _relative(quote_start, typed)
            main = next((spans[i] for i, (s, _) in enumerate(typed) if s.best), spans[0])
            best_sentence, every_sentence = _sentence_bounds(quote_start, sentences)
            return Marked(spans, main, True, close, listed, sentence=best_sentence, sentences=every_sentence)
    spans = _merged([(s.start - quote_start, s.end - quote_start) for s in answering])
    best = next((s for s in answering if s.best), answering[0])
    main = next(span for span in spans if span[0] <= best.start - quote_start < span[1])
    best_sentence, every_sentence = _sentence_bounds(quote_start, sentences)
    return Marked(tuple(spans), main, False, sentence=best_sentence, sentences=every_sentence)


def _sentence_bounds(
    quote_start: int, sentences: list[QuoteSentence]
) -> tuple[tuple[int, int], tuple[tuple[int, int], ...]]:
    """The offsets in the quote of its highest-scoring sentence, and of every sentence."""
    best = next((s for s in sentences if s.best), sentences[0])
    return (
        (best.start - quote_start, best.end - quote_start),
        tuple((s.start - quote_start, s.end - quote_start) for s in sentences),
    )


def _asked_spans(
    text: str,
    kinds: list[str],
    question: str,
    common: AbstractSet[str] = frozenset(),
    named: AbstractSet[str] = frozenset(),
) -> list[TypedSpan]:
    """The spans of every asked kind that the question does not already give, in reading order."""
    spans = (span for kind in kinds for span in new_spans(text, kind, question))
    return sorted(
        (
            span
            for span in spans
            if not opens_on_common_word(text, span, common) and not _opens_on_a_modifier(text, span, named)
        ),
        key=lambda span: span.start,
    )


def _opens_on_a_modifier(text: str, span: TypedSpan, named: AbstractSet[str]) -> bool:
    """True for a one-word name that is the sentence's first word and, read in it, an adverb or adjective
    ("Simply, ...", "Recent reports ..."): a capital there marks the sentence, not a name. Not an initialism:
    the tagger reads "IS fighters" as a verb. A word the article capitalises inside a sentence is a name, and
    saves the tagger's 2 ms."""
    word = text[span.start : span.end]
    return (
        span.kind == "name"
        and word[1:].islower()
        and word not in named
        and not text[: span.start].strip(" “\"‘'(")
        and opens_on_a_modifier(text)
    )


def _places(text: str, spans: list[TypedSpan]) -> list[TypedSpan]:
    """For a where-question, the names that follow a word of place within four words, if any do.

    "The boat was heading across the Red Sea en route to Sudan, UNHCR's Mantoo said" reads Red Sea and
    Sudan, not UNHCR or Mantoo.
    """
    placed = [
        span for span in spans if span.kind != "name" or LOCATIVE.search(text, max(span.start - 40, 0), span.start)
    ]
    return placed if any(span.kind == "name" for span in placed) else spans


def _asks_who_someone_is(question: str) -> bool:
    """True for "Who is <a name>?": the question is the name, and what answers is a description."""
    return bool(asked_person(question))


def _counting_the_asked(
    near: list[tuple[QuoteSentence, list[TypedSpan]]], question: str
) -> list[tuple[QuoteSentence, list[TypedSpan]]]:
    """The quantities less those that count something else, when some count what the question counts.

    "How many civilians has the coalition killed?" marks "at least 220 civilians", not "more than 19,000
    airstrikes" beside it. A bare number stays when the question asks what befell them: "More than 800 people
    were taken hostage, and at least 39 killed" answers "How many people died?" with its second number; else
    "515,000 children" alone answers "How many children are malnourished?", not "10 million" beside it.
    """
    counted = [m.group(1) for m in HOW_MANY.finditer(question)]
    if len(counted) != 1:  # "How many were taken, and how many killed?" counts two things
        return near
    asked = set(tokenize(counted[0]))

    def noun(sentence: QuoteSentence, span: TypedSpan) -> str:
        """The stem of what a quantity counts ("" for a bare number, a unit or a share)."""
        last = WORD.findall(sentence.text[span.start : span.end])[-1:]
        if not last or BARE.fullmatch(last[0]):
            return ""
        return next(iter(tokenize(last[0])), "")

    if not any(noun(s, span) in asked for s, spans in near for span in spans):
        return near
    kept = asked | {""} if asked_fate(question) else asked
    return [(s, [span for span in spans if noun(s, span) in kept]) for s, spans in near]


def _doing_the_asked(
    near: list[tuple[QuoteSentence, list[TypedSpan]]], question: str
) -> list[tuple[QuoteSentence, list[TypedSpan]]]:
    """The quantities that befell what the question asks (killed, injured), when some did: "More than 800
    people were taken hostage, and at least 39 killed" answers "How many people died?" with 39 alone."""
    fate = asked_fate(question)
    if not fate:
        return near
    numbers = [span for _, spans in near for span in spans if span.kind == "number"]
    if len(numbers) < 2:  # nothing to choose between (and no sentence to parse)
        return near
    return _numbers_that(near, lambda sentence, span: befalls(sentence.text, span, fate))


def _figures_of_the_asked_kind(
    near: list[tuple[QuoteSentence, list[TypedSpan]]], question: str
) -> list[tuple[QuoteSentence, list[TypedSpan]]]:
    """The figures of the asked kind, when some are: "How long did Haftar live in the US?" marks "twenty
    years", not "three hundred and fifty" of his men beside it; other kinds of span stay."""
    asked = asked_figure(question)
    return _numbers_that(near, lambda sentence, span: of_asked_kind(sentence.text, span, asked))


def _numbers_that(
    near: list[tuple[QuoteSentence, list[TypedSpan]]], test: Callable[[QuoteSentence, TypedSpan], bool]
) -> list[tuple[QuoteSentence, list[TypedSpan]]]:
    """The numbers passing the test, when some do (every number otherwise); other kinds of span stay."""

    def kept(sentence: QuoteSentence, span: TypedSpan) -> bool:
        return span.kind != "number" or test(sentence, span)

    if not any(span.kind == "number" and test(s, span) for s, spans in near for span in spans):
        return near
    return [(s, [span for span in spans if kept(s, span)]) for s, spans in near]


def _first_of_an_asked_row(
    near: list[tuple[QuoteSentence, list[TypedSpan]]], question: str
) -> list[tuple[QuoteSentence, list[TypedSpan]]]:
    """In a labelled row the question asks for, its first figure only: "Population: total: 27,322,555 (2025
    est.); male: 13,542,629; female: 13,779,926" answers "What is the population of Niger?" with the total,
    and "Unemployment rate: Unemployment rate 2024: 16.3% ...; Unemployment rate 2023: 15.2%" with the latest."""
    asked = frozenset(tokenize(question))
    return [
        (s, _first_after_an_asked_item(s.text, spans, question)[:1] if names_the_field(s.text, asked) else spans)
        for s, spans in near
    ]


def _of_the_asked_items(
    near: list[tuple[QuoteSentence, list[TypedSpan]]], terms: frozenset[str]
) -> list[tuple[QuoteSentence, list[TypedSpan]]]:
    """In a labelled row of several items, the figures of the item the question (its stems: terms) asks for
    (fact_sheets.figures_asked): "How big are Tunisia's crude oil reserves?" marks the reserves, not the production."""
    kept = []
    for s, spans in near:
        numbers = [span for span in spans if span.kind == "number"]
        asked = figures_asked(s.text, [span.start for span in numbers], terms)
        chosen = {span.start for span, yes in zip(numbers, asked or ()) if yes}
        kept.append((s, spans if asked is None else [sp for sp in spans if sp.kind != "number" or sp.start in chosen]))
    return kept


def _first_after_an_asked_item(text: str, spans: list[TypedSpan], question: str) -> list[TypedSpan]:
    """A row's figures from the first item the question names on: "Land boundaries: total: 5,834 km; border
    countries: ...; Libya 342 km" answers "How long is Niger's border with Libya?" with 342 km, not the total."""
    names = [re.escape(question[s.start : s.end]) for s in find_spans(question) if s.kind == "name"]
    first = min((m.end() for name in names for m in re.finditer(rf"(?<!\w){name}(?!\w)", text)), default=None)
    after = [span for span in spans if first is not None and span.start >= first]
    return after or spans


def _naming_the_described(
    typed: list[tuple[QuoteSentence, TypedSpan]], question: str
) -> list[tuple[QuoteSentence, TypedSpan]]:
    """The names that name what the question describes, when some do (slots.naming_names): "Who is the
    spokesman for Operation Inherent Resolve?" marks "Joseph Scrocca" of "the coalition spokesman, Col.
    Joseph Scrocca", not the other names of the sentence. Only the best and close sentences are read (those
    the short answer reads first): each parse costs milliseconds, and "militia" is in every other sentence."""
    naming = {s: naming_names(s.text, question) for s, _ in typed if s.best or s.close}
    named = [(s, span) for s, span in typed if any(span.start < b and a < span.end for a, b in naming.get(s, ()))]
    return named or typed


def _someone_asked(
    typed: list[tuple[QuoteSentence, TypedSpan]], question: str
) -> list[tuple[QuoteSentence, TypedSpan]]:
    """A question asking for someone marks no places beside them; one asking for a person, whose quote marks more
    names than a glance takes, marks its people.

    "Who speaks for the UN refugee agency in Yemen?" marks "Shabia Mantoo", not also UNHCR, the Red Sea, Sudan
    and CNN beside her; a list that long gave no short answer at all. The entity recogniser reads its sentence.
    """
    best = [(s, span) for s, span in typed if s.best or s.close]  # what the short answer reads first
    person = asks_for_a_person(question)
    if not (person or asks_for_someone(question)):
        return typed
    if len({folded(s.text[span.start : span.end]) for s, span in best or typed}) <= MAX_SHORT_SPANS:
        # a few names: beside someone in the same sentence, places and peoples are no one ("U.S. · Ambassador Chris
        # Stephens" for a person, "Benghazi · ASL" for "Who attacked the consulate?"), though a plural people may be
        # the someone asked for ("Members of Congress and Americans welcomed ..."); a sentence naming only places
        # keeps them (and the verdict reads that it found no one)
        def nobody(name: str) -> bool:
            return is_place(name) if person else only_places([name])

        places = {
            (s.start, span.start) for s, span in typed if span.kind == "name" and nobody(s.text[span.start : span.end])
        }
        someone = {s.start for s, span in typed if span.kind == "name" and (s.start, span.start) not in places}
        return [(s, span) for s, span in typed if s.start not in someone or (s.start, span.start) not in places]
    if not person:  # a list too long to read, asking for a group: no name can be told from the rest
        return typed
    return [(s, span) for s, span in typed if is_person(s.text, span.start, span.end)] or typed


def _near_question(text: str, spans: list[TypedSpan], question: str) -> list[TypedSpan]:
    """The spans that sit within a few words of the question's words, when the sentence lists more.

    "Libya Dawn has been supported financially by Qatar, and also reportedly by Turkey, which ... the
    Muslim Brotherhood's Justice and Construction Party" marks Qatar and Turkey, not every name.
    """
    if len(spans) <= MAX_SHORT_SPANS:
        return spans
    near = set(near_predicate(text, [(span.start, span.end) for span in spans], question))
    return [span for span in spans if (span.start, span.end) in near] or spans


def _asked_predicate(question: str) -> set[str]:
    """The stems of the question's words less those of the names it gives ("backed", not "Libya Dawn"), or all."""
    asked = set(tokenize(question))
    named = {
        t for span in find_spans(question) if span.kind == "name" for t in tokenize(question[span.start : span.end])
    }
    return asked - named or asked  # the predicate ("supported"), not the subject ("Libya Dawn"), points at answers


def near_predicate(
    text: str, spans: Sequence[tuple[int, int]], question: str, offset: int = 0
) -> list[tuple[int, int]]:
    """The (start, end) spans (of text offset by `offset`) within NEAR_WORDS words of a question's predicate word."""
    asked = _asked_predicate(question)
    words = list(WORD.finditer(text))
    anchors = [n for n, m in enumerate(words) if not asked.isdisjoint(word_stems(m.group(0)))]
    starts = [m.start() for m in words]
    if not anchors:
        return []

    def distance(start: int, end: int) -> int:
        first = max(bisect.bisect_right(starts, start - offset) - 1, 0)
        last = max(bisect.bisect_right(starts, end - offset - 1) - 1, 0)
        return min(min(abs(first - a), abs(last - a)) for a in anchors)

    return [span for span in spans if distance(*span) <= NEAR_WORDS]


def _doers(text: str, spans: list[TypedSpan], question: str, every: list[TypedSpan] | None = None) -> list[TypedSpan]:
    """The sentence's doers of the question's own verb; else, for "Who <verb>ed ...?", its names less whom an
    active verb acted on, cut to the doers of any passive when they are more than a glance takes.

    "Who led ASL?": "... that killed Ambassador Chris Stephens and three other Americans, ASL was led by
    Ahmed Abu Khattala" reads Ahmed Abu Khattala. "Libya Dawn has been supported financially by Qatar, and
    also reportedly by Turkey, which also supports the Libyan branch of the Muslim Brotherhood": Qatar, Turkey.
    """
    asked = WHO_VERB.match(question)
    verb = _lemma(asked.group(1)) if asked else ""
    own = [
        span
        for span in spans
        if verb
        and (passive := DOER_VERB.search(text, max(span.start - 40, 0), span.start))
        and _lemma(passive.group(1)) == verb
    ]
    if own:
        return own
    subjects = _subjects(text, every or spans, verb) if verb and ASKS_DOER.match(question) else []
    if subjects:
        return subjects
    spans = _not_acted_on(text, spans, question)
    if len(spans) <= MAX_SHORT_SPANS:
        return spans
    return [span for span in spans if AGENT.search(text, max(span.start - 12, 0), span.start)] or spans


def _not_acted_on(text: str, spans: list[TypedSpan], question: str) -> list[TypedSpan]:
    """For "Who <verb>ed ...?", the names less whom an active verb acted on ("that killed Ambassador Chris
    Stephens"), if any are left."""
    if not ASKS_DOER.match(question):
        return spans
    return [span for span in spans if not ACTED_ON.search(text, max(span.start - 80, 0), span.start)] or spans


def _subjects(text: str, spans: list[TypedSpan], verb: str) -> list[TypedSpan]:
    """The names of the clause before the question's own verb, used actively ("four I.S. jihadists, at least
    one of them a Tunisian, attacked the Corinthia Hotel" reads I.S. and Tunisian for "Who attacked ...?")."""
    for match in WORD.finditer(text):
        if _lemma(match.group(0)) == verb and match.group(0).islower() and not BY_NEXT.match(text, match.end()):
            clause = text.rfind(";", 0, match.start()) + 1  # a quote's sentence: its clauses part at semicolons
            return [span for span in spans if clause <= span.start and span.end <= match.start()]
    return []


def _lemma(word: str) -> str:
    """A verb's stem, an irregular participle's read as its verb's ("led" -> "lead"); "" for a stop word."""
    stem = next(iter(tokenize(word)), "")
    return IRREGULAR.get(stem, stem)


def _relative(
    quote_start: int, typed: list[tuple[QuoteSentence, TypedSpan]]
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """The typed spans as offsets in the quote, all of them and those of the best and close sentences."""
    spans = tuple((s.start - quote_start + span.start, s.start - quote_start + span.end) for s, span in typed)
    return spans, tuple(span for span, (s, _) in zip(spans, typed) if s.best or s.close)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent sentence spans joined (only whitespace between them) so a run reads as one mark."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start - out[-1][1] <= 2:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def short_answer(
    source_id: str, quote: str, quote_start: int, marked: Marked, listed: bool = False
) -> tuple[AnswerSpan, ...]:
    """The typed highlights of the first quote as verbatim spans, each once; empty for sentence highlights.

    Those of its best and closest sentences, when they hold any: a weaker sentence the quote marks is
    context ("Haftar has also been backed by Saudi Arabia." before "Libya Dawn has been supported
    financially by Qatar ..." answers nothing about Libya Dawn). Otherwise all it marks, up to what a
    glance takes. listed: read them from before long lists were cut to their doers (what a follow-up
    may point at), all first.
    """
    if not marked.typed:
        return ()
    for spans in marked.listed if listed and marked.listed else (marked.close_spans, marked.spans):
        # a name's initials beside it name it again ("Abu Salim Martyrs’ Brigade · ASMB")
        seen, out = initialisms(" · ".join(quote[start:end] for start, end in spans)), []
        for start, end in spans:
            key = folded(quote[start:end]).removeprefix("the ")
            if key not in seen:
                seen.add(key)
                out.append(AnswerSpan(quote[start:end], source_id, quote_start + start, quote_start + end))
        if out and len(out) <= MAX_SHORT_SPANS:
            return tuple(out)
    return ()


def without_own_publisher(spans: tuple[AnswerSpan, ...], publisher: str) -> tuple[AnswerSpan, ...]:
    """The short answer less the quote's own publisher beside other names: "Sergey Kirpichenko · TASS" in a TASS
    report is "Sergey Kirpichenko"; what the report attributes to itself answers nothing."""
    kept = tuple(s for s in spans if folded(s.text) != folded(publisher))
    return kept or spans
