"""Signals that the corpus does not hold an answer: names, places and years it never mentions, and
periods after every source was published.

"What did Haftar do in 2019?" over articles published 2013-2015 names a year no source covers; "How
many Wagner mercenaries...?" names a group no article mentions. Each is evidence of absence that a
high similarity to text on the same topic must not outweigh.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import lru_cache

from .analysis import WORD, question_type, tokenize
from .answer_kinds import places_for_someone
from .entities import PLACE_WORDS, TITLE_WORDS, find_spans, folded, names_with_initials
from .figures import YEAR, gives_figure
from .schema import Article, Excerpt
from .slots import unnamed_mention
from .spelling import Skeletons, respellings
from .store import Snapshot

# A model or type designation ("Su-24", "MiG-29", "C-130J", "F-16s"): letters, a hyphen, a number. The
# keyword index splits it ("su", "24"), so its words are known wherever each occurs apart (dev u225).
DESIGNATION = re.compile(r"\b([A-Z][A-Za-z]{0,3})[-‐‑–](\d{1,4}[A-Z]?)(?=s?\b)")


@dataclass(frozen=True)
class Span:
    """The years the corpus's dated sources were published in (None when no date is known)."""

    first: int | None
    last: int | None

    def describe(self) -> str:
        """ "2013-2015", "2015", or "" when unknown."""
        if self.first is None or self.last is None:
            return ""
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"


@dataclass(frozen=True)
class Absence:
    """How much of what a question names the corpus lacks."""

    unknown_names: tuple[str, ...]  # names (or their words) that occur in no article
    unknown_name_share: float  # of the question's name words
    unknown_years: tuple[int, ...]  # years no article mentions
    late_years: tuple[int, ...]  # of those, years after every dated source was published
    span: Span
    unsupported_years: tuple[int, ...] = ()  # years the best-matching source neither mentions nor was published in
    unsupported_designations: tuple[str, ...] = ()  # designations ("Su-24") the best-matching source never writes
    best_source: str = ""  # that source's title
    years_outside_quote: tuple[int, ...] = ()  # years the quote judged (the first, or the one scored) does not hold
    figure_missing: bool = False  # it asks how many or how much, and the quote judged gives no figure of that kind
    # The quote judged repeats what a which- or who-question describes and names none of it (slots.py):
    # "three other Americans" for "Who were the three other Americans killed with the ambassador?"
    unnamed_mention: str = ""
    # The question asks for someone and the quote judged answers only with places (answer_kinds.py): "Algeria ·
    # Libya · Libyan" for "Which jihadist group carried out the hostage-taking at In Amenas?"
    places_for_someone: tuple[str, ...] = ()
    # The share of the question's name words that the judged quote's source (text and byline) never holds:
    # "How many Syrian refugees has Canada resettled?" quoted from an article without Canada.
    names_outside_source: float = 0.0
    # The question's other words that occur in no article ("sky" of "Why is the sky blue?"): with no passage
    # close in meaning either, the question is about something the corpus does not cover (confidence.far_off).
    unknown_words: tuple[str, ...] = ()


def publication_span(snapshot: Snapshot) -> Span:
    """The first and last year of the known publication dates."""
    years = [int(e.source.date[:4]) for e in snapshot.catalogue() if YEAR.fullmatch(e.source.date[:4])]
    return Span(min(years), max(years)) if years else Span(None, None)


def byline_terms(snapshot: Snapshot) -> frozenset[str]:
    """The stems of every source's title, author and publisher (a question may name a source's author)."""
    return frozenset(
        t
        for entry in snapshot.catalogue()
        for t in tokenize(f"{entry.source.title} {entry.source.author} {entry.source.publisher}")
    )


def absence(
    question: str, snapshot: Snapshot, span: Span, bylines: frozenset[str], spellings: Skeletons | None = None
) -> Absence:
    """What the question names that no article holds, in its text or its byline ("according to Orton"),
    in any spelling ("Hifter" is known when the corpus writes "Haftar")."""
    words = name_word_stems(question)
    others = other_word_stems(question)
    years = sorted({int(y) for y in YEAR.findall(question)})
    asked = [t for stems in words.values() for t in stems] + [str(y) for y in years]
    initialled = names_with_initials(question)  # "International Organization for Migration": "IOM"
    # one store call for all of them (a database round trip each on PostgreSQL)
    known = snapshot.known_terms(
        asked + [t for stems in others.values() for t in stems] + [initials.lower() for initials, _ in initialled]
    )
    known |= bylines & frozenset(asked)  # never a copy of every byline's stems
    known |= frozenset(respelled(frozenset(asked) - known, snapshot, spellings or {}))
    # A word is unknown when a stem of it that says something (not "al" of "al-Sarraj") occurs nowhere.
    # a name the corpus writes only by its initials is known ("IOM spokesman Joel Millman said")
    excused = given_names(question, known) | {
        w for initials, name in initialled if initials.lower() in known for w in name.split()
    }
    unknown_names = [
        w for w, stems in words.items() if w not in excused and any(len(t) > 2 and t not in known for t in stems)
    ]
    unknown_years = tuple(y for y in years if str(y) not in known)
    late = tuple(y for y in years if span.last is not None and y > span.last and str(y) not in known)
    unknown_others = tuple(w for w, stems in others.items() if any(len(t) > 2 and t not in known for t in stems))
    return Absence(
        tuple(unknown_names),
        len(unknown_names) / len(words) if words else 0.0,
        unknown_years,
        late,
        span,
        unknown_words=unknown_others,
    )


def given_names(question: str, known: AbstractSet[str]) -> set[str]:
    """The words opening a name before its known last word: an article may write "El Amrani" and never
    "Issandr", and the question still names someone the corpus knows. They open it (after any title), as a
    given name does: in "Operation Odyssey Dawn" the unknown "Odyssey" follows a known word, and is no given name."""
    excused: set[str] = set()
    for span in find_spans(question):
        words = question[span.start : span.end].split()
        last = [t for t in tokenize(words[-1]) if len(t) > 2]
        if span.kind != "name" or len(words) < 2 or not last or not all(t in known for t in last):
            continue
        given = words[next((n for n, w in enumerate(words) if folded(w) not in TITLE_WORDS), len(words)) : -1]
        if given and any(len(t) > 2 and t not in known for t in tokenize(given[0])):
            excused |= set(given)
    return excused


def other_word_stems(question: str) -> dict[str, list[str]]:
    """The question's words outside its names, numbers and years, with their stems (stop words have none)."""
    edges = [0, *(edge for s in find_spans(question) for edge in (s.start, s.end)), len(question)]
    outside = " ".join(question[a:b] for a, b in zip(edges[::2], edges[1::2]))
    return {w: stems for w in WORD.findall(outside) if (stems := [t for t in tokenize(w) if not t.isdigit()])}


def respelled(stems: Iterable[str], snapshot: Snapshot, spellings: Skeletons) -> dict[str, str]:
    """For stems no article holds, the corpus's spelling of the same name, where there is one."""
    candidates = {stem: found for stem in stems if (found := respellings(stem, spellings))}
    if not candidates:  # the usual case: no store call
        return {}
    present = snapshot.known_terms([c for found in candidates.values() for c in found])
    return {
        stem: next(c for c in found if c in present)
        for stem, found in candidates.items()
        if any(c in present for c in found)
    }


def in_corpus_spelling(text: str, snapshot: Snapshot, spellings: Skeletons) -> str:
    """The text with each name word the corpus spells otherwise in the corpus's spelling ("Hifter" -> "Haftar").

    Retrieval then matches the keyword the articles use, and the question's other words keep their weight
    (a word no passage holds gets the largest idf, which would swamp them).
    """
    names = {text[s.start : s.end] for s in find_spans(text) if s.kind == "name"}
    words = {w: tokenize(w) for name in names for w in WORD.findall(name)}  # names only: "drowned" is no "drawn"
    single = {w: stems[0] for w, stems in words.items() if len(stems) == 1}
    if not single:
        return text
    unknown = frozenset(single.values()) - snapshot.known_terms(list(single.values()))
    found = respelled(unknown, snapshot, spellings) if unknown else {}
    if not found:
        return text

    def spelled(word: str) -> str:
        own = single.get(word, "")
        stem = found.get(own)
        if stem is None:
            return word
        # the word's own ending goes on the corpus's stem: "Stevens" reads "Stephens", not "Stephen"
        respelled = stem + (word[len(own) :].lower() if word.lower().startswith(own) else "")
        return respelled.capitalize() if word[:1].isupper() else respelled

    return WORD.sub(lambda m: spelled(m.group(0)), text)


def check_best_source(found: Absence, question: str, best: Article) -> Absence:
    """The absence with the question's years that the best-matching source never mentions.

    "When did Haftar begin his 2019 offensive?" answered from a source that never says 2019 quotes the
    topic, not the answer; a year is too specific a constraint for nearby text to satisfy.
    """
    missing = years_missing(question, f"{best.source.title} {best.source.date} {best.body}")
    designations = designations_missing(question, f"{best.source.title} {best.body}")
    outside = share_outside(name_words(question), source_terms(best) | named_by_initials(question, best))
    found = replace(found, names_outside_source=outside) if outside != found.names_outside_source else found
    if not (missing or designations):
        return found
    return replace(
        found, unsupported_years=missing, unsupported_designations=designations, best_source=best.source.title
    )


def check_source(found: Absence, question: str, article: Article) -> Absence:
    """The absence one source is judged on in "what each source says": its own names and years.

    The question's absence (found) must not yet be judged on a quote: the answer's first quote lacking
    a year says nothing of whether another source holds it.
    """
    checked = check_best_source(found, question, article)
    return replace(checked, years_outside_quote=checked.unsupported_years)


def named_by_initials(question: str, article: Article) -> frozenset[str]:
    """The stems of the question's names that the article writes by their initials only ("IOM spokesman Joel
    Millman" names the International Organization for Migration)."""
    return frozenset(
        t
        for initials, name in names_with_initials(question)
        if re.search(rf"\b{initials}\b", article.body)
        for t in tokenize(name)
    )


def name_word_stems(question: str) -> dict[str, list[str]]:
    """Each word of the question's names with its stems (no word of place: "Gulf" of "Which Gulf states ...?"
    describes, and no article need say it for the question to be answerable)."""
    names = [question[s.start : s.end] for s in find_spans(question) if s.kind == "name"]
    return {w: stems for name in names for w in name.split() if w.lower() not in PLACE_WORDS and (stems := tokenize(w))}


def name_words(question: str) -> list[str]:
    """The stems of the question's name words that say something (not "al" of "al-Sarraj", not "Gulf")."""
    return [t for stems in name_word_stems(question).values() for t in stems if len(t) > 2]


@lru_cache(maxsize=256)  # a snapshot's articles never change, and the same few answer question after question
def source_terms(article: Article) -> frozenset[str]:
    """The stems of an article's text, title, author and publisher."""
    source = article.source
    return frozenset(tokenize(f"{source.title} {source.author} {source.publisher} {article.body}"))


def share_outside(words: list[str], terms: AbstractSet[str]) -> float:
    """The share of the words the terms do not hold (0 when there are none)."""
    return sum(w not in terms for w in words) / len(words) if words else 0.0


def check_quote(found: Absence, question: str, excerpt: Excerpt, answer_names: Sequence[str] = ()) -> Absence:
    """The absence with the question's years that this quote neither writes nor was published in.

    Evidence, not a verdict: on dev, 37% of unanswerable questions were first quoted without the year
    they name ("How many barrels a day did Libya produce in 2022?" -> "... (2023 est.)"), against 2% of
    the answerable ones answered right; the confidence model weighs it (bench/fit_ranking.py). A quote
    with no year of its own ("On Jan. 27, four jihadists attacked ...") speaks of its publication's year.
    answer_names: the quote's short answer, read against the kind of answer the question asks for (given for
    the first quote only: QA._answer).
    """
    return replace(
        found,
        years_outside_quote=years_missing(question, f"{excerpt.quote} {excerpt.source.date}"),
        figure_missing=question_type(question) == "number" and not gives_figure(excerpt.quote, question),
        unnamed_mention=unnamed_mention(excerpt.quote, question),
        places_for_someone=places_for_someone(question, answer_names, excerpt.quote),
    )


def check_first_quote(
    found: Absence, question: str, articles: Iterable[Article], first: Excerpt, answer_names: Sequence[str] = ()
) -> Absence:
    """The absence an answer is judged on: with the years its first quote and that quote's source lack.

    The source is taken from articles the search already loaded (no fetch); QA.ask and the fitting
    script both call this, so the served verdict and the fitted threshold cannot drift apart.
    """
    source = next(a for a in articles if a.id == first.source.id)
    return check_quote(check_best_source(found, question, source), question, first, answer_names)


def designations_missing(question: str, text: str) -> tuple[str, ...]:
    """The designations the question names that the text never writes, in any case or hyphenation
    ("MiG-29" is written "Mig-29" or "MiG 29"; "Su-24" is not written by "Su-25" or "Su-245")."""

    def written(letters: str, number: str) -> bool:
        return (
            re.search(rf"(?<![A-Za-z]){re.escape(letters)}[\s‐‑–-]?{re.escape(number)}(?!\d)", text, re.IGNORECASE)
            is not None
        )

    return tuple(m.group(0) for m in DESIGNATION.finditer(question) if not written(m.group(1), m.group(2)))


def years_missing(question: str, text: str) -> tuple[int, ...]:
    """The years the question names that the text never writes (as a number of its own: not "20151")."""
    years = sorted({int(y) for y in YEAR.findall(question)})
    return tuple(y for y in years if not re.search(rf"(?<!\d){y}(?!\d)", text))
