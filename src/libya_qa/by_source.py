"""What each source says: the best one or two excerpts of every article that bears on a question, by date.

A ranked answer shows the strongest quotes whatever their article; this view puts each author's own
words next to the others'. It searches deeper than a ranked answer (more candidate passages), so
that every article with something to say is seen, and leaves out the articles that say nothing
clear: the list is never filled up to a length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from .confidence import on_calibrated_scale
from .excerpts import build_excerpts, hits_inside
from .filters import date_parts
from .ranking import SentenceHit
from .schema import UNKNOWN, Article, Source, SourceGroup
from .search import Query, Searcher
from .store import SentenceView

EXCERPTS_PER_SOURCE = 2
# A source bears on the question when its own sentences reach this probability of answering it: below
# the answer threshold, since one author's view of "Was the intervention a mistake?" need not settle it
# (founding corpus: the NATO, TNR and CFR articles clear it for that question, only Orton's for "Who
# backed Haftar?", none for an off-topic question).
BEARS_PROBABILITY = round(on_calibrated_scale(0.2), 3)  # 0.2 before the model's calibration
MAX_SOURCES = 20  # a readable page; the sources that bear most strongly are kept, then ordered by date


# The probability that these sentences of the article (best first) answer the question on their own.
Strength = Callable[[list[SentenceHit], Article], float]


def group_by_source(
    searcher: Searcher,
    query: Query,
    strength: Strength,
    bar: float = BEARS_PROBABILITY,
    floor: Callable[[str], float] | None = None,
) -> tuple[SourceGroup, ...]:
    """Every source whose evidence bears on the query (strength at least bar), with its best excerpts, by date.

    `strength` is confidence.source_probability (the answer's own model), each article judged on the
    names and years it holds (absence.check_source); each excerpt shows its own, or what `floor` reads in its
    quote when that is more (a quote that says who a "Who is <a name>?" question asks about).
    """
    evidence = searcher.search(query)
    if evidence.view is None:
        return ()
    by_article: dict[int, list[SentenceHit]] = defaultdict(list)
    for hit in evidence.hits:  # best first, so each list's head is the article's best sentence
        by_article[hit.article].append(hit)
    bearing = [hits for key, hits in by_article.items() if strength(hits, evidence.view.articles[key]) >= bar]
    bearing.sort(key=lambda hits: -hits[0].confidence)
    groups = [_group(evidence.view, hits, query, strength, bar, floor) for hits in bearing[:MAX_SOURCES]]
    return tuple(sorted(groups, key=lambda g: date_key(g.source)))


def _group(
    view: SentenceView,
    hits: list[SentenceHit],
    query: Query,
    strength: Strength,
    bar: float,
    floor: Callable[[str], float] | None = None,
) -> SourceGroup:
    """One article's group: its best excerpt, and a second one when that bears on the question too."""
    article = view.articles[hits[0].article]
    excerpts = [
        replace(e, confidence=max(strength(hits_inside(view, hits, e), article), floor(e.quote) if floor else 0.0))
        for e, _ in build_excerpts(view, hits, EXCERPTS_PER_SOURCE, query.question, query.given)
    ]
    kept = excerpts[:1] + [e for e in excerpts[1:] if e.confidence >= bar]
    return SourceGroup(kept[0].source, tuple(kept))


def date_key(source: Source) -> tuple[int, tuple[int, ...], str]:
    """Sort key: dated sources oldest first (a partial date before the days within it), undated ones last."""
    parts = date_parts(source.date) if source.date != UNKNOWN else None
    return (0, parts, source.id) if parts else (1, (), source.id)
