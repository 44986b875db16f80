"""A quote after the first marks the typed words near the question's predicate, else its best sentence."""

from __future__ import annotations

from libya_qa.highlights import QuoteSentence, mark
from libya_qa.later_quotes import narrowed
from libya_qa.schema import Excerpt, Source


def excerpt_of(body: str, question: str, best: int, kind: str = "name") -> tuple[Excerpt, list[str]]:
    """The narrowed excerpt of a quote that is the whole body, its sentences all answering, and its marks' texts."""
    starts = [0] + [i + 2 for i in range(len(body)) if body.startswith(". ", i)]
    ends = [s - 1 for s in starts[1:]] + [len(body)]
    sentences = [QuoteSentence(a, b, body[a:b], True, best=n == best) for n, (a, b) in enumerate(zip(starts, ends))]
    marked = mark(0, sentences, kind, question)
    excerpt = Excerpt(
        quote=body,
        highlight=marked.main,
        score=1.0,
        start=0,
        end=len(body),
        source=Source(id="x", title="X"),
        highlights=marked.spans,
    )
    later = narrowed(excerpt, marked, question)
    return later, [body[a:b] for a, b in later.highlights]


def test_names_far_from_the_question_s_predicate_give_way_to_the_best_sentence() -> None:
    body = "Qaddafi outflanked him in Chad. The Americans flew his men to Zaire and the United States."
    later, marks = excerpt_of(body, "Who backed Haftar?", best=1)
    assert marks == ["The Americans flew his men to Zaire and the United States."]
    assert later.highlight == later.highlights[0] and later.quote == body


def test_names_near_the_predicate_stay_marked_and_the_rest_do_not() -> None:
    body = "Qaddafi outflanked him in Chad. Haftar was later backed by Egypt, far from Zaire and Tunisia and Mali."
    _, marks = excerpt_of(body, "Who backed Haftar?", best=1)
    assert "Egypt" in marks and "Chad" not in marks and "Qaddafi" not in marks


def test_sentence_marks_are_left_as_they_are() -> None:
    body = "Haftar was angry. He went to Chad."
    marked = mark(
        0,
        [QuoteSentence(0, 17, body[:17], True, best=True), QuoteSentence(18, len(body), body[18:], True)],
        "other",
        "Why did Haftar leave?",
    )
    excerpt = Excerpt(
        quote=body,
        highlight=marked.main,
        score=1.0,
        start=0,
        end=len(body),
        source=Source(id="x", title="X"),
        highlights=marked.spans,
    )
    assert narrowed(excerpt, marked, "Why did Haftar leave?") is excerpt
