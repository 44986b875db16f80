"""The first quote of a who, which or when question names something of the kind asked, when a close one does."""

from __future__ import annotations

from libya_qa.answer_order import describing_first, naming_first
from libya_qa.highlights import Marked, QuoteSentence, mark
from libya_qa.schema import Excerpt, Source

ON_TOPIC = "The agency had to airlift the general and three hundred and fifty of his men out of the country."
NAMING = "He joined the National Front for the Salvation of Libya, an exile group backed by the C.I.A."


def quoted(text: str, question: str, confidence: float) -> tuple[Excerpt, Marked]:
    """One one-sentence quote with its marks for the question, as likely to answer as given."""
    marked = mark(0, [QuoteSentence(0, len(text), text, True, best=True)], "name", question)
    return Excerpt(text, (0, len(text)), 1.0, 0, len(text), Source(text[:8]), confidence=confidence), marked


def order(question: str, first: float, second: float) -> list[str]:
    """The quotes' texts in the order the answer gives them."""
    pairs = [quoted(ON_TOPIC, question, first), quoted(NAMING, question, second)]
    return [excerpt.quote for excerpt, _ in naming_first(pairs, question)]


def test_a_quote_naming_nothing_asked_gives_way_to_a_close_one_that_names_it() -> None:
    question = "Which exile group did the general join?"
    assert order(question, 0.65, 0.63) == [NAMING, ON_TOPIC]


def test_a_far_less_likely_quote_does_not_come_first_for_its_names() -> None:
    assert order("Which exile group did the general join?", 0.80, 0.40) == [ON_TOPIC, NAMING]


def test_a_question_asking_for_no_name_keeps_the_order() -> None:
    assert order("Why did the general leave?", 0.65, 0.63) == [ON_TOPIC, NAMING]


def test_a_quote_saying_what_a_name_is_comes_before_one_that_only_names_it() -> None:
    question = "What is Libya Dawn?"
    plain = "On May 16, 2014, Haftar launched Operation DIGNITY against the militias of Libya Dawn."
    said = "The militias are drawn from Libya Dawn, the Islamist coalition that ousted the government."
    pairs = [quoted(plain, question, 0.64), quoted(said, question, 0.60)]
    assert [e.quote for e, _ in describing_first(pairs, question)] == [said, plain]
    far = [quoted(plain, question, 0.80), quoted(said, question, 0.40)]  # far less likely: the order stays
    assert [e.quote for e, _ in describing_first(far, question)] == [plain, said]
    other = "Why did Libya Dawn fight?"  # asks no "what is": the order stays
    assert [e.quote for e, _ in describing_first([quoted(plain, other, 0.64), quoted(said, other, 0.60)], other)] == [
        plain,
        said,
    ]
