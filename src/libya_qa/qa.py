"""The one entry point that answers questions; the API, the web page and the CLI call it."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .absence import (
    Absence,
    Span,
    absence,
    byline_terms,
    check_first_quote,
    check_quote,
    check_source,
    in_corpus_spelling,
    publication_span,
)
from .analysis import CONTROL, plain_question
from .answer_order import describing_first, naming_first
from .by_source import BEARS_PROBABILITY, Strength, group_by_source
from .confidence import ANSWER_PROBABILITY, described_probability, excerpt_probability, judge, source_probability
from .config import Settings
from .encoders import Encoder, encoder_for
from .errors import BadQuestion, IndexUnavailable, NotFound
from .excerpts import build_excerpts, hits_inside, judged_part
from .filters import check_filters, check_names, check_sources
from .followup import Turn, is_followup, resolved
from .highlights import Marked, short_answer, without_own_publisher
from .index import REPAIR, check_compatible
from .later_quotes import narrowed
from .memory import AnswerMemory, Remembered
from .ranking import SentenceHit
from .schema import Answer, Article, Excerpt, FilterReport, Filters
from .search import Evidence, Query, Searcher
from .spelling import Skeletons, skeleton_index
from .store import CatalogueEntry, Snapshot, Store
from .stores import open_store

DRAFTED = 5  # the quotes drafted for any answer (the page, the API and the CLI show five by default)


@dataclass(frozen=True)
class Loaded:
    """One index version, its searcher and its publication span: swapped as a unit so no request mixes two."""

    snapshot: Snapshot
    searcher: Searcher
    deep: Searcher  # searches more candidate passages, for "what each source says"
    span: Span
    bylines: frozenset[str]  # stems of the sources' titles, authors and publishers
    spellings: Skeletons  # the corpus's stems by consonant skeleton, for names spelled otherwise

    def absence(self, question: str) -> Absence:
        """What the question names that this version holds in no spelling."""
        return absence(question, self.snapshot, self.span, self.bylines, self.spellings)


class QA:
    """Answers questions from the current index version, picking up new versions as they appear."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None, store: Store | None = None) -> None:
        self.settings = settings
        self.encoder = encoder or encoder_for(settings)
        self.store = store or open_store(settings)
        self._lock = threading.Lock()
        self._loaded: Loaded | None = None
        self._failed_version: str | None = None  # not re-verified every poll; retried when CURRENT moves
        self.last_reload_error: str = ""
        self.reload_failures = 0  # since start-up, for /metrics
        self.memory = AnswerMemory()
        self.reload(strict=True)

    # --- index versions -------------------------------------------------------------------
    def reload(self, strict: bool = False, retry_failed: bool = False) -> bool:
        """Load the current version if it is new; on failure keep serving the old one.

        A version that failed to load is not re-verified on every poll (checksumming every second
        would be wasted work); it is tried again when CURRENT moves, or when asked to retry. No
        exception escapes a non-strict reload once a version is loaded: the index watcher calls it
        every second and must not die of one bad poll (a damaged CURRENT, a manifest of the wrong shape).
        """
        with self._lock:
            wanted: str | None = None
            try:
                wanted = self.store.current_version()
                skip = (
                    self._loaded.snapshot.version if self._loaded else None,
                    None if retry_failed else self._failed_version,
                )
                if self._loaded is not None and wanted in skip:
                    return False
                snapshot = self.store.load(wanted)
                check_compatible(dict(snapshot.manifest), self.encoder.name, self.encoder.dimension)
                searcher = Searcher(snapshot, self.encoder, self.settings.candidates, self.settings.rrf_k)
                deep = Searcher(snapshot, self.encoder, self.settings.group_candidates, self.settings.rrf_k)
                loaded = Loaded(
                    snapshot,
                    searcher,
                    deep,
                    publication_span(snapshot),
                    byline_terms(snapshot),
                    skeleton_index(snapshot.vocabulary()),
                )
            except Exception as exc:  # whatever went wrong, the old version keeps serving
                error = (
                    exc
                    if isinstance(exc, IndexUnavailable)
                    else IndexUnavailable(
                        "index_reload_failed",
                        f"loading index version {wanted} failed ({exc.__class__.__name__}: {exc}); {REPAIR}",
                    )
                )
                self.last_reload_error, self._failed_version = error.message, wanted
                self.reload_failures += 1
                if strict or self._loaded is None:
                    raise error from exc
                return False
            # One assignment: requests see the old version or the new one, never both.
            self._loaded = loaded
            self.last_reload_error, self._failed_version = "", None
            return True

    @property
    def loaded(self) -> Loaded:
        """The version requests should use right now."""
        assert self._loaded is not None
        return self._loaded

    # --- questions ------------------------------------------------------------------------
    def validate(self, question: str, top_k: int, history: Sequence[str]) -> tuple[str, list[str]]:
        """Clean inputs or raise a BadQuestion that says what is wrong."""
        if not isinstance(question, str) or not question.strip():
            raise BadQuestion("empty_question", "the question is empty: type a question about Libya")
        question = " ".join(CONTROL.sub(" ", question).split())  # a terminal escape is never part of a question
        if not any(c.isalnum() for c in question):  # "?", zero-width spaces: nothing to search for
            raise BadQuestion("empty_question", "the question has no words: type a question about Libya")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise BadQuestion("question_too_long", f"the question has {len(question)} characters; the limit is {limit}")
        if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= 20:
            raise BadQuestion("bad_top_k", "top_k must be an integer from 1 to 20")
        cleaned = clean_history(history, self.settings)
        for text, what in ((question, "the question"), *((h, "an earlier question") for h in cleaned)):
            _check_text(text, what)
        return question, cleaned

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        history: Sequence[str] = (),
        filters: Filters | None = None,
        group: str | None = None,
    ) -> Answer:
        """Answer one question with verbatim excerpts, or say the corpus does not support it.

        group="source" adds what each source says (by_source); filters narrow the articles first.
        """
        started = time.perf_counter()
        top_k = self.settings.default_top_k if top_k is None else top_k
        question, history = self.validate(question, top_k, history)
        if group not in (None, "source"):
            raise BadQuestion("bad_group", f'group must be "source" or left out, got {group!r}')
        if filters is not None and filters.active():
            check_filters(filters)
            check_sources(filters, lambda i: self.loaded.snapshot.article_by_id(i) is not None)
            check_names(filters, (entry.source for entry in self.loaded.snapshot.catalogue()))
        return self._answer(question, top_k, history, filters, started, recall=True, group=group)

    def query_for(
        self, question: str, history: list[str], filters: Filters | None = None, recall: bool = True
    ) -> Query:
        """What retrieval searches for: the question, a follow-up's referents, and the filter's articles."""
        loaded = self.loaded
        among = loaded.snapshot.select(filters) if filters is not None and filters.active() else None
        turns = (
            self._turns(history, filters)
            if recall and history and is_followup(question)
            else [Turn(h) for h in history]
        )
        # "Who backed Hifter?" searches for, and does not answer with, the corpus's "Haftar"
        plain = plain_question(question)  # "Tell me who ...": the question itself is analysed and searched
        asked = in_corpus_spelling(plain, loaded.snapshot, loaded.spellings)
        text, referents = resolved(question, turns)
        given = history[-1] if history and is_followup(question) else ""
        previous = turns[-1].answer_source if given and turns else ""
        return Query(
            asked,
            asked if text == question else in_corpus_spelling(text, loaded.snapshot, loaded.spellings),
            among,
            given,
            previous,
            in_conversation=bool(history),
            referents=referents,
        )

    def _answer(
        self,
        question: str,
        top_k: int,
        history: list[str],
        filters: Filters | None,
        started: float,
        recall: bool,
        group: str | None = None,
    ) -> Answer:
        """Answer a validated question (recall: look up what the previous answer named, for follow-ups)."""
        loaded = self.loaded
        query = self.query_for(question, history, filters, recall)
        evidence = loaded.searcher.search(query)  # the user's own words decide question or topic
        missing = asked = loaded.absence(plain_question(question))  # not "I'd" of "I'd like to know ..."
        # at least five quotes are drafted: which of them meet and join, and the runner-up that may come first,
        # then do not depend on how many of the five the user asked to see
        scored = scored_excerpts(evidence, max(top_k, DRAFTED), query, missing)
        marked = describing_first(naming_first(scored, query.question), query.question)[:top_k]
        first = marked[0] if marked else None
        if first and first is not scored[0]:  # the verdict reads the quote that now comes first
            evidence = replace(evidence, hits=led_by(evidence, first[0]))
        spans = short_answer(first[0].source.id, first[0].quote, first[0].start, first[1]) if first else ()
        if first:  # a year the question names must be in the source it would be answered from, and its quote
            missing = check_first_quote(
                missing, query.question, evidence.view.articles.values(), judged_part(*first), answer_names(*first)
            )
        said = described_probability(query.question, first[0].quote) if first else 0.0  # "Who is X?" answered
        verdict = judge(evidence.hits, missing, self.threshold, floor=said)
        # A follow-up may point at what the nearest quote names even when it fell short of an answer, and
        # its referents then do not move with the threshold; the user sees a short answer only when answered.
        named = short_answer(first[0].source.id, first[0].quote, first[0].start, first[1], listed=True) if first else ()
        self.memory.remember(
            (loaded.snapshot.version, question, tuple(history)),
            Remembered(tuple(s.text for s in named), tuple(s.text for s in spans), first[0].source.id if first else ""),
        )
        spans = without_own_publisher(spans, first[0].source.publisher) if verdict.answered and first else ()
        bar = min(BEARS_PROBABILITY, self.threshold)  # a source never needs more than an answer does
        groups = (
            group_by_source(
                loaded.deep,
                query,
                source_strength(asked, query.question),
                bar,
                floor=lambda quote: described_probability(query.question, quote),
            )
            if group
            else None
        )
        filtered = FilterReport(len(query.among.keys), query.among.undated_left_out) if query.among else None
        shown = [marked[0][0], *(narrowed(e, m, query.question) for e, m in marked[1:])] if marked else []
        excerpts = label_related(shown, bar, verdict.answered)  # the same bar as a source's
        return Answer(
            question=question,
            status="answered" if verdict.answered else "not_found",
            excerpts=excerpts,
            took_ms=(time.perf_counter() - started) * 1000,
            search_query=query.retrieval_text,
            index_version=loaded.snapshot.version,
            confidence=verdict.probability,
            short_answer=spans,
            message=verdict.message,
            filtered=filtered,
            groups=groups,
        )

    def _turns(self, history: list[str], filters: Filters | None) -> list[Turn]:
        """Earlier questions, the last with the names its answer gave (remembered, or answered again once)."""
        last, before = history[-1], history[:-1]
        key = (self.loaded.snapshot.version, last, tuple(before))

        def answer_again() -> Remembered:  # answering remembers its first quote's names, shown or not
            self._answer(last, 1, before, filters, time.perf_counter(), recall=False)
            return self.memory.names(key)

        recalled = self.memory.recall(key, answer_again)
        return [Turn(h) for h in before] + [Turn(last, recalled.names, recalled.shown, recalled.source)]

    @property
    def threshold(self) -> float:
        """The probability at or above which a question is answered (the setting, else the fitted one)."""
        return ANSWER_PROBABILITY if self.settings.answer_threshold is None else self.settings.answer_threshold

    # --- sources --------------------------------------------------------------------------
    def articles(self) -> list[CatalogueEntry]:
        """Indexed articles with their passage counts."""
        return self.loaded.snapshot.catalogue()

    def article(self, article_id: str) -> tuple[Article, int]:
        """One indexed article (the stored body that quotes are cut from) and its passage count."""
        snapshot = self.loaded.snapshot
        article = snapshot.article_by_id(article_id)
        if article is None:
            raise NotFound("unknown_source", f"no source with id {article_id!r}; GET /sources lists them")
        entry = snapshot.manifest.get("articles", {}).get(article_id, {})
        return article, int(entry.get("passages", 0))


def scored_excerpts(evidence: Evidence, top_k: int, query: Query, missing: Absence) -> list[tuple[Excerpt, Marked]]:
    """The excerpts with their highlights, each with the probability that it answers (judged on its own quote)."""
    if evidence.view is None:
        return []
    # Each quote is judged on its own years and figures; its source's text, and the kind of names its short
    # answer reads, for the first quote only (QA._answer): reading every quoted article's text cost the
    # 100,000-passage index 30 ms at p95, and each new name costs an entity-recogniser call (~2.5 ms).
    # a quote that says who a "Who is <a name>?" question asks about answers as the verdict judges it
    return [
        (
            replace(
                e,
                confidence=max(
                    excerpt_probability(
                        hits_inside(evidence.view, evidence.hits, e),
                        evidence.hits,
                        check_quote(missing, query.question, judged_part(e, m)),
                    ),
                    described_probability(query.question, e.quote),
                ),
            ),
            m,
        )
        for e, m in build_excerpts(evidence.view, evidence.hits, top_k, query.question, query.given)
    ]


def led_by(evidence: Evidence, excerpt: Excerpt) -> list[SentenceHit]:
    """The evidence's scored sentences with those the excerpt quotes first."""
    inside = hits_inside(evidence.view, evidence.hits, excerpt) if evidence.view is not None else []
    return inside + [h for h in evidence.hits if h not in inside]


def answer_names(excerpt: Excerpt, marked: Marked) -> list[str]:
    """The names an excerpt's short answer would read (what its quote answers with)."""
    return [s.text for s in short_answer(excerpt.source.id, excerpt.quote, excerpt.start, marked)]


def source_strength(asked: Absence, question: str) -> Strength:
    """Each source's probability of answering on its own sentences, judged on its own names and years.

    A source's names and years are checked once per answer: its group asks again for each excerpt.
    """
    judged: dict[str, Absence] = {}

    def strength(hits: list[SentenceHit], article: Article) -> float:
        if article.id not in judged:
            judged[article.id] = check_source(asked, question, article)
        return source_probability(hits, judged[article.id])

    return strength


def label_related(excerpts: Sequence[Excerpt], bar: float, answered: bool) -> tuple[Excerpt, ...]:
    """The excerpts, those under the bar marked related; an answer's first excerpt is the answer, so never is.

    The bar is the one a source must clear in "what each source says": a quote below it shares the
    question's topic without bearing on it (dev: 31% of excerpts, 2 of 250 answering ones among them).
    """
    return tuple(replace(e, related=e.confidence < bar and not (answered and n == 0)) for n, e in enumerate(excerpts))


def clean_history(history: Sequence[str], settings: Settings) -> list[str]:
    """Earlier questions as answering uses them: blanks dropped, spaces collapsed, cut to the limits.

    The one clean-up for the API, the page and the CLI, so a shared link replays the same conversation.
    """
    limit = settings.max_question_chars
    cleaned = [" ".join(h.split())[:limit] for h in history if isinstance(h, str) and h.strip()]
    return cleaned[-settings.max_history :]


def _check_text(text: str, what: str) -> None:
    """Refuse text that is not Unicode text: a lone surrogate (JSON "\\ud800", undecodable argv bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = f"\\u{ord(text[exc.start]):04x}"
        raise BadQuestion(
            "invalid_text", f"{what} is not valid text: it holds the lone surrogate {bad}; send UTF-8 text"
        ) from None
