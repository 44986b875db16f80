"""Which quote comes first: one that names nothing of the kind asked, or does not say who or what the question
asks about, gives way to a close one that does.

"Which CIA-backed exile group did Haftar join in the late 1980s?" ranked "The C.I.A. had to airlift Haftar
and three hundred and fifty of his men to Zaire ..." first, a sentence on the topic that names no group,
just above the one naming the National Front for the Salvation of Libya. A who, which or when question's
first quote is its answer; when the entity reader finds nothing in it to answer with and the next quote,
about as likely to answer on its own evidence, does, the next one answers.
"""

from __future__ import annotations

from .analysis import question_type
from .confidence import before_calibration
from .described import asked_name, describes
from .highlights import Marked, short_answer
from .schema import Excerpt

# Asked for a name or a time: a figure question's quote without a figure is judged apart (figures.py).
NAMING_KINDS = ("name", "time")
# How much less likely to answer, on its own quote's evidence, the runner-up may be and still come first (on the
# scale the model stated before its calibration, where this was chosen: confidence.before_calibration).
# Chosen on dev: up to 0.15 moved q20, q203 and q398 to a right first quote and no right one away; at 0.16
# f74's right first quote would give way to one that names a place, not the party asked for.
CLOSE_PROBABILITY = 0.15


def names_something(pair: tuple[Excerpt, Marked]) -> bool:
    """True when the quote's highlights give a short answer (names, dates or figures of the kind asked)."""
    excerpt, marked = pair
    return bool(short_answer(excerpt.source.id, excerpt.quote, excerpt.start, marked))


def naming_first(marked: list[tuple[Excerpt, Marked]], question: str) -> list[tuple[Excerpt, Marked]]:
    """The quotes, the second first when the first names nothing it was asked for and the second, as likely
    to answer within CLOSE_PROBABILITY, does."""
    if len(marked) < 2 or question_type(question) not in NAMING_KINDS:
        return marked
    first, second = marked[0], marked[1]
    if before_calibration(second[0].confidence) < before_calibration(first[0].confidence) - CLOSE_PROBABILITY:
        return marked
    if names_something(first) or not names_something(second):
        return marked
    return [second, first, *marked[2:]]


def describing_first(marked: list[tuple[Excerpt, Marked]], question: str) -> list[tuple[Excerpt, Marked]]:
    """The quotes, one of the next two first when the first does not say who or what a "Who is <a name>?" or
    "What is <a name>?" question asks about and it does, as likely to answer within CLOSE_PROBABILITY.

    "What is Libya Dawn?" quoted "On May 16, 2014, Haftar launched Operation DIGNITY ..." first, above
    "... drawn from Libya Dawn, the Islamist coalition that ousted the internationally-recognised government".
    """
    name = asked_name(question)
    if not name or not marked or describes(marked[0][0].quote, name):
        return marked
    floor = before_calibration(marked[0][0].confidence) - CLOSE_PROBABILITY
    for n, (excerpt, marks) in enumerate(marked[1:3], 1):
        if before_calibration(excerpt.confidence) >= floor and describes(excerpt.quote, name):
            return [(excerpt, marks), *marked[:n], *marked[n + 1 :]]
    return marked
