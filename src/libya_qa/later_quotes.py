"""The marks of the quotes after the first: only what answers there, not every name they hold.

A quote after the first is the runner-up: its best sentence scored below the answer's, so marking every
name or whole sentences of it, as its own best one ranks them, tells the reader nothing ("Who backed Haftar?"
marked "Salvation Front | Libya | Qaddafi | Chad | C.I.A. | Zaire | ..." in its second quote). It keeps the
names, figures or dates that sit near the question's own predicate ("backed"), else marks its best sentence.
"""

from __future__ import annotations

from dataclasses import replace

from .highlights import Marked, near_predicate
from .schema import Excerpt


def narrowed(excerpt: Excerpt, marked: Marked, question: str) -> Excerpt:
    """The excerpt marked at its typed words near the question's predicate, else at its best sentence alone;
    sentence marks stay as they are (those within the margin of its best, as in the first quote)."""
    if not marked.typed:
        return excerpt
    spans = (
        tuple(
            span
            for start, end in marked.sentences  # near within its own sentence
            for span in near_predicate(
                excerpt.quote[start:end], _inside(marked.spans, start, end), question, offset=start
            )
        )
        or (marked.sentence,)
    )
    main = marked.main if marked.main in spans else spans[0]
    return replace(excerpt, highlights=spans, highlight=main)


def _inside(spans: tuple[tuple[int, int], ...], start: int, end: int) -> list[tuple[int, int]]:
    """The spans that lie within [start, end)."""
    return [(a, b) for a, b in spans if start <= a and b <= end]
