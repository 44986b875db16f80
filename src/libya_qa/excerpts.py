"""Turn scored sentences into short verbatim excerpts: merged, diversified, highlighted."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .analysis import question_type
from .entities import lowercase_words, midsentence_capitals
from .highlights import TYPED_KINDS, Marked, QuoteSentence, mark
from .layout import is_prose
from .ranking import FITTED, SentenceHit
from .schema import Excerpt
from .store import SentenceView

MAX_SENTENCES = 4  # a paragraph at most: readable at a glance (dev: 3 -> 4 took hit@1 0.772 -> 0.795)
# A sentence opening on a pronoun points at the one before it: quoted alone, "it" could be anything.
POINTS_BACK = re.compile(r"[\W]*(?:it|its|he|his|she|her|they|their|them|this|these|those|such)\b", re.IGNORECASE)
SHORT_SENTENCE_WORDS = 8  # a lone sentence this short gets its neighbour for context
CODA_WORDS = 5  # "Today, he is gone.": a sentence this terse after a quote, in its paragraph, ends its thought
# Margins on the ranker's score scale, fitted with it on dev (fitted.json): a sentence of the quote
# scoring within SUPPORT_MARGIN of the best shares the highlight; a neighbour within CONTEXT_MARGIN
# joins the quote (the answer often follows its cue).
SUPPORT_MARGIN: float = FITTED["excerpts"]["support_margin"]
CONTEXT_MARGIN: float = FITTED["excerpts"]["context_margin"]
# For a question asking a name, number or date, an answering sentence adds only its words of that kind to
# the highlight, not itself, so it may share the highlight from further down (fitted apart, on dev).
TYPED_SUPPORT_MARGIN: float = FITTED["excerpts"].get("typed_support_margin", SUPPORT_MARGIN)
# Each further excerpt from an article already quoted needs this much more score (a margin, not a factor:
# the fitted scores are linear and may be negative, where a factor would reward instead of discount).
DIVERSITY_MARGIN = 0.5  # chosen on dev: hit@5 0.944 -> 0.953 against the old factor of 0.85
# Two quotes of one article that meet (one ends where the other begins) read as one passage, in the
# article's order, when it stays this short: shown apart, the second is the first's missing half and the
# reader gets them out of order (dev: hit@1 0.806 -> 0.834, MRR 0.876 -> 0.892; 150 words: 0.822).
MAX_JOINED_WORDS = 200


@dataclass
class _Draft:
    """An excerpt under construction: a run of sentence ids of one article."""

    article: int
    first: int
    last: int
    best: int  # the sentence the draft grew from (its best hit)
    score: float
    joined: frozenset[int] = frozenset()  # sentences of weaker quotes it met and took in: context, never highlighted


def _together(view: SentenceView, a: int, b: int, paragraph: bool = True) -> bool:
    """True when sentence ids a < b are both in the view and in one article (and paragraph, if asked)."""
    i, j = view.position(a), view.position(b)
    if i is None or j is None:
        return False
    return view.same_paragraph(i, j) if paragraph else int(view.article[i]) == int(view.article[j])


def _words(view: SentenceView, sentence: int) -> int:
    """Word count of a sentence in the view."""
    return len(view.text(view.position(sentence)).split())


def _absorb(view: SentenceView, draft: _Draft, hit: SentenceHit, taken: frozenset[int] = frozenset()) -> bool:
    """Grow a draft by an adjacent strong sentence not quoted elsewhere (taken); True when the hit is now covered.

    The neighbour may open the next paragraph or close the one before: news paragraphs are often one
    sentence long, and the answer sits beside its cue across the break ("... killed three Turkish
    soldiers." / "They were supporting Syrian rebels ..."). Hits are prose, so no heading joins this way.
    """
    if hit.article != draft.article:
        return False
    if draft.first <= hit.sentence <= draft.last or _repeats_edge(view, draft, hit.sentence):
        return True
    adjacent = (
        hit.sentence == draft.last + 1
        and _together(view, draft.last, hit.sentence, paragraph=False)
        or (hit.sentence == draft.first - 1 and _together(view, hit.sentence, draft.first, paragraph=False))
    )
    if not adjacent or draft.last - draft.first + 1 >= MAX_SENTENCES or hit.sentence in taken:
        return False
    draft.first, draft.last = min(draft.first, hit.sentence), max(draft.last, hit.sentence)
    return True


def _repeats_edge(view: SentenceView, draft: _Draft, sentence: int) -> bool:
    """True when the sentence next to a draft says word for word what the draft's edge sentence says.

    A page's standfirst often repeats its first paragraph's opening ("President Vladimir Putin has sent
    condolences ..." twice in a row): a quote shows it once, and its twin is no excerpt of its own.
    """
    edge = draft.last if sentence == draft.last + 1 else draft.first if sentence == draft.first - 1 else None
    if edge is None or not _together(view, min(edge, sentence), max(edge, sentence), paragraph=False):
        return False
    return view.text(view.position(edge)).strip() == view.text(view.position(sentence)).strip()


def _with_context(view: SentenceView, draft: _Draft, taken: frozenset[int]) -> None:
    """A very short single sentence ("Haftar has also been backed...") gets a neighbour no other quote has."""
    if draft.first == draft.last and _words(view, draft.first) < SHORT_SENTENCE_WORDS:
        if _may_join(view, draft, draft.first - 1, taken):
            draft.first -= 1
        elif _may_join(view, draft, draft.last + 1, taken):
            draft.last += 1


def _may_join(view: SentenceView, draft: _Draft, neighbour: int, taken: frozenset[int], paragraph: bool = True) -> bool:
    """True when a neighbour of a draft may join it as context: in its paragraph (or article), prose, no repeat."""
    pair = (neighbour, draft.first) if neighbour < draft.first else (draft.last, neighbour)
    return (
        _context(view, neighbour, taken)
        and _together(view, *pair, paragraph=paragraph)
        and not _repeats_edge(view, draft, neighbour)
    )


def _context(view: SentenceView, sentence: int, taken: frozenset[int]) -> bool:
    """True when a neighbour may join a quote as context: not quoted elsewhere, and prose (the rule the
    searcher quotes by; a share bar shares its paragraph, where a heading or caption never does)."""
    i = view.position(sentence)
    if sentence in taken or i is None:
        return False
    article = view.articles[int(view.article[i])]
    return is_prose(article.body, int(view.start[i]), int(view.end[i]), article.source.title)


def _grow(view: SentenceView, draft: _Draft, by_sentence: dict[int, SentenceHit], taken: frozenset[int]) -> None:
    """Pull in adjacent sentences that score nearly as well (answers span sentences), unless already quoted."""
    for step in (1, -1, 1, -1):
        hit = by_sentence.get(draft.last + 1 if step > 0 else draft.first - 1)
        if hit is not None and hit.score >= draft.score - CONTEXT_MARGIN:
            _absorb(view, draft, hit, taken)


def _yield_to_earlier(drafts: list[_Draft], sentence: int) -> None:
    """A later quote that grew over a sentence an earlier, better quote took gives it up (it is at its end)."""
    holders = [d for d in drafts if d.first <= sentence <= d.last]
    for later in holders[1:]:
        if later.first == sentence:
            later.first += 1
        elif later.last == sentence:
            later.last -= 1


def _taken(drafts: list[_Draft], but: _Draft | None = None) -> frozenset[int]:
    """The sentences the drafts quote (except one): no sentence is quoted twice in one answer."""
    return frozenset(s for d in drafts if d is not but for s in range(d.first, d.last + 1))


def select_drafts(view: SentenceView, hits: list[SentenceHit], top_k: int) -> list[_Draft]:
    """Greedy pick by score, discounting articles already quoted, merging neighbours."""
    drafts: list[_Draft] = []
    by_sentence = {h.sentence: h for h in hits}
    remaining = list(hits)
    while remaining and len(drafts) < top_k:
        per_article = {d.article: 0 for d in drafts}
        for d in drafts:
            per_article[d.article] += 1
        best = max(remaining, key=lambda h: h.score - DIVERSITY_MARGIN * per_article.get(h.article, 0))
        remaining.remove(best)
        if any(_absorb(view, d, best, _taken(drafts[:n])) for n, d in enumerate(drafts)):
            _yield_to_earlier(drafts, best.sentence)
            continue
        drafts.append(_Draft(best.article, best.sentence, best.sentence, best.sentence, best.score))
        _grow(view, drafts[-1], by_sentence, _taken(drafts, but=drafts[-1]))
        _join_met(view, drafts)
    for draft in drafts:
        _with_context(view, draft, _taken(drafts, but=draft))
        _with_antecedent(view, draft, _taken(drafts, but=draft))
        _with_sequel(view, draft, _taken(drafts, but=draft))
        _with_coda(view, draft, _taken(drafts, but=draft))
    return drafts


def _join_met(view: SentenceView, drafts: list[_Draft]) -> None:
    """The newest draft joins an earlier one of its article that it meets, when the two fit in one quote.

    The joined sentences are context, not highlighted: "Who backed Haftar?" must not mark the next
    paragraph's backers of Libya Dawn (dev: highlights holding an answer, 181 first quotes before, 180 after).
    """
    new = drafts[-1]
    for earlier in drafts[:-1]:
        meets = new.first == earlier.last + 1 or new.last == earlier.first - 1
        first, last = min(new.first, earlier.first), max(new.last, earlier.last)
        if (
            earlier.article == new.article
            and meets
            and sum(_words(view, s) for s in range(first, last + 1)) <= MAX_JOINED_WORDS
        ):
            earlier.first, earlier.last = first, last
            earlier.joined |= frozenset(range(new.first, new.last + 1)) | new.joined
            drafts.pop()
            return


def _with_sequel(view: SentenceView, draft: _Draft, taken: frozenset[int]) -> None:
    """A quote that ends on a colon ("According to a profile of Haftar:") takes what it introduces, or drops it."""
    if not view.text(view.position(draft.last)).rstrip().endswith(":"):
        return
    if draft.last - draft.first + 1 < MAX_SENTENCES and _may_join(view, draft, draft.last + 1, taken, paragraph=False):
        draft.last += 1
    elif draft.last > draft.first and draft.last != draft.best:
        draft.last -= 1


def _with_coda(view: SentenceView, draft: _Draft, taken: frozenset[int]) -> None:
    """A quote followed in its paragraph by a terse sentence takes it: "A year ago, Qadhafi was one of the
    world's longest serving dictators ..." is not what Obama said of him without "Today, he is gone." (dev q178)."""
    following = draft.last + 1
    if (
        draft.last - draft.first + 1 < MAX_SENTENCES
        and _may_join(view, draft, following, taken)
        and _words(view, following) <= CODA_WORDS
    ):
        draft.last = following


def _with_antecedent(view: SentenceView, draft: _Draft, taken: frozenset[int]) -> None:
    """A quote that opens on a pronoun ("It is said to have 18,000 fighters.") gets the sentence it points to."""
    # across a paragraph break too: news paragraphs are often one sentence long
    if (
        draft.last - draft.first + 1 < MAX_SENTENCES
        and POINTS_BACK.match(view.text(view.position(draft.first)))
        and _may_join(view, draft, draft.first - 1, taken, paragraph=False)
    ):
        draft.first -= 1


def to_excerpt(
    view: SentenceView, draft: _Draft, by_sentence: dict[int, SentenceHit], kind: str, question: str, given: str = ""
) -> tuple[Excerpt, Marked]:
    """Cut the quote out of the stored body at its offsets, with its answering words marked."""
    article = view.articles[draft.article]
    sentences = []
    for sentence in range(draft.first, draft.last + 1):
        i = view.position(sentence)
        hit = by_sentence.get(sentence)
        margin = TYPED_SUPPORT_MARGIN if kind in TYPED_KINDS else SUPPORT_MARGIN
        answers = hit is not None and hit.score >= draft.score - margin and sentence not in draft.joined
        close = answers and hit is not None and hit.score >= draft.score - SUPPORT_MARGIN
        sentences.append(
            QuoteSentence(int(view.start[i]), int(view.end[i]), view.text(i), answers, sentence == draft.best, close)
        )
    start, end = sentences[0].start, sentences[-1].end
    marked = mark(
        start, sentences, kind, question, lowercase_words(article.body), given, midsentence_capitals(article.body)
    )
    if draft.joined:  # a quote it met is context: its years and figures answer nothing (judged_part)
        first, last = _own_run(draft)
        marked = replace(
            marked, judged=(sentences[first - draft.first].start - start, sentences[last - draft.first].end - start)
        )
    excerpt = Excerpt(
        quote=article.body[start:end],
        highlight=marked.main,
        score=draft.score,
        start=start,
        end=end,
        source=article.source,
        highlights=marked.spans,
    )
    return excerpt, marked


def build_excerpts(
    view: SentenceView, hits: list[SentenceHit], top_k: int, question: str = "", given: str = ""
) -> list[tuple[Excerpt, Marked]]:
    """The top_k excerpts for a list of scored sentences, each with how its answering words were marked
    (given: a follow-up's earlier question, whose names answer nothing)."""
    by_sentence = {h.sentence: h for h in hits}
    kind = question_type(question)
    return [to_excerpt(view, d, by_sentence, kind, question, given) for d in select_drafts(view, hits, top_k)]


def _own_run(draft: _Draft) -> tuple[int, int]:
    """The first and last sentence of the draft's own run around its best one (joined quotes left out)."""
    first = last = draft.best
    while first - 1 >= draft.first and first - 1 not in draft.joined:
        first -= 1
    while last + 1 <= draft.last and last + 1 not in draft.joined:
        last += 1
    return first, last


def judged_part(excerpt: Excerpt, marked: Marked) -> Excerpt:
    """The excerpt as its years and figures are judged: without the sentences of a quote it joined."""
    if marked.judged is None:
        return excerpt
    a, b = marked.judged
    return replace(excerpt, quote=excerpt.quote[a:b], start=excerpt.start + a, end=excerpt.start + b)


def hits_inside(view: SentenceView, hits: list[SentenceHit], excerpt: Excerpt) -> list[SentenceHit]:
    """The scored sentences an excerpt quotes, in the order given (best first when hits are ranked)."""
    return [
        h
        for h in hits
        if view.articles[h.article].id == excerpt.source.id
        and excerpt.start <= int(view.start[h.position]) < excerpt.end
    ]
