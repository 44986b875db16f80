"""Turn scored sentences into short verbatim excerpts: merged, diversified, highlighted."""

from __future__ import annotations

from dataclasses import dataclass

from .index import IndexData
from .schema import Excerpt
from .search import SentenceHit

MAX_SENTENCES = 3  # an excerpt stays readable at a glance
SHORT_SENTENCE_WORDS = 8  # a lone sentence this short gets its neighbour for context
SUPPORT_RATIO = 0.9  # a neighbour scoring nearly as well as the best shares the highlight
CONTEXT_RATIO = 0.6  # a neighbour scoring this close joins the quote (the answer often follows its cue)
DIVERSITY = 0.85  # each further excerpt from the same article is discounted by this factor


@dataclass
class _Draft:
    """An excerpt under construction: a run of sentence rows of one article."""

    article: int
    first: int
    last: int
    hit_first: int
    hit_last: int
    score: float


def _same_paragraph(data: IndexData, a: int, b: int) -> bool:
    """True when sentence rows a < b belong to one article and no line break separates them."""
    if a < 0 or b >= len(data.sentences) or data.sentences[a, 0] != data.sentences[b, 0]:
        return False
    article, _, end_a = data.sentences[a]
    start_b = data.sentences[b, 1]
    return "\n" not in data.articles[article].body[end_a:start_b]


def _words(data: IndexData, row: int) -> int:
    """Word count of a sentence row."""
    article, start, end = data.sentences[row]
    return len(data.articles[article].body[start:end].split())


def _absorb(data: IndexData, draft: _Draft, hit: SentenceHit) -> bool:
    """Grow a draft by an adjacent strong sentence; True when the hit is now covered."""
    if hit.article != draft.article:
        return False
    if draft.first <= hit.row <= draft.last:
        if hit.score >= SUPPORT_RATIO * draft.score:
            draft.hit_first, draft.hit_last = min(draft.hit_first, hit.row), max(draft.hit_last, hit.row)
        return True
    adjacent = hit.row == draft.last + 1 and _same_paragraph(data, draft.last, hit.row) or (
        hit.row == draft.first - 1 and _same_paragraph(data, hit.row, draft.first))
    if not adjacent or draft.last - draft.first + 1 >= MAX_SENTENCES:
        return False
    draft.first, draft.last = min(draft.first, hit.row), max(draft.last, hit.row)
    if hit.score >= SUPPORT_RATIO * draft.score:
        draft.hit_first, draft.hit_last = min(draft.hit_first, hit.row), max(draft.hit_last, hit.row)
    return True


def _with_context(data: IndexData, draft: _Draft) -> None:
    """A very short single sentence ("Haftar has also been backed...") gets its neighbour."""
    if draft.first == draft.last and _words(data, draft.first) < SHORT_SENTENCE_WORDS:
        if _same_paragraph(data, draft.first - 1, draft.first):
            draft.first -= 1
        elif _same_paragraph(data, draft.last, draft.last + 1):
            draft.last += 1


def _grow(data: IndexData, draft: _Draft, by_row: dict[int, SentenceHit]) -> None:
    """Pull in adjacent sentences of the paragraph that score nearly as well (answers span sentences)."""
    for step in (1, -1, 1, -1):
        row = draft.last + 1 if step > 0 else draft.first - 1
        hit = by_row.get(row)
        if hit is not None and hit.score >= CONTEXT_RATIO * draft.score:
            _absorb(data, draft, hit)


def select_drafts(data: IndexData, hits: list[SentenceHit], top_k: int) -> list[_Draft]:
    """Greedy pick by score, discounting articles already quoted, merging neighbours."""
    drafts: list[_Draft] = []
    by_row = {h.row: h for h in hits}
    remaining = list(hits)
    while remaining and len(drafts) < top_k:
        per_article = {d.article: 0 for d in drafts}
        for d in drafts:
            per_article[d.article] += 1
        best = max(remaining, key=lambda h: h.score * DIVERSITY ** per_article.get(h.article, 0))
        remaining.remove(best)
        if any(_absorb(data, d, best) for d in drafts):
            continue
        drafts.append(_Draft(best.article, best.row, best.row, best.row, best.row, best.score))
        _grow(data, drafts[-1], by_row)
    for draft in drafts:
        _with_context(data, draft)
    return drafts


def to_excerpt(data: IndexData, draft: _Draft) -> Excerpt:
    """Cut the quote out of the stored body at its offsets; the highlight is relative to the quote."""
    article = data.articles[draft.article]
    start, end = int(data.sentences[draft.first, 1]), int(data.sentences[draft.last, 2])
    h_start, h_end = int(data.sentences[draft.hit_first, 1]), int(data.sentences[draft.hit_last, 2])
    return Excerpt(quote=article.body[start:end], highlight=(h_start - start, h_end - start),
                   score=draft.score, start=start, end=end, source=article.source)


def build_excerpts(data: IndexData, hits: list[SentenceHit], top_k: int) -> list[Excerpt]:
    """The top_k excerpts for a list of scored sentences."""
    return [to_excerpt(data, d) for d in select_drafts(data, hits, top_k)]
