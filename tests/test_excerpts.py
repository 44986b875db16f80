"""Excerpts grow to the answer beside their best sentence, across a paragraph break too, never into a heading."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from libya_qa import excerpts
from libya_qa.excerpts import CONTEXT_MARGIN, build_excerpts
from libya_qa.ranking import SentenceHit
from libya_qa.schema import Article, Source
from libya_qa.store import SentenceView

BODY = (
    "A Russian air strike killed three Turkish soldiers near al-Bab.\n\n"
    "They were supporting Syrian rebels fighting for the town.\n\n"
    "## Reactions\n\n"
    "The Kremlin sent condolences."
)


def view_of(body: str) -> SentenceView:
    """Every non-empty line of the body as one sentence of article 0."""
    starts = [0] + [i + 1 for i, c in enumerate(body) if c == "\n" and body[i + 1 : i + 2] not in ("\n", "")]
    spans = [(s, body.index("\n", s) if "\n" in body[s:] else len(body)) for s in starts]
    spans = [(s, e) for s, e in spans if e > s]
    n = len(spans)
    return SentenceView(
        ids=np.arange(n, dtype=np.int64),
        article=np.zeros(n, np.int32),
        start=np.array([s for s, _ in spans], np.int32),
        end=np.array([e for _, e in spans], np.int32),
        vectors=np.zeros((n, 4), np.float32),
        passages={0: (0, n - 1)},
        articles={0: Article(Source("bbc", "Friendly fire"), body)},
    )


def hit(sentence: int, score: float) -> SentenceHit:
    return SentenceHit(
        sentence=sentence, position=sentence, article=0, cosine=0.5, coverage=0.5, fusion=1.0, score=score
    )


def test_the_answer_in_the_paragraph_before_joins_the_quote() -> None:
    view = view_of(BODY)
    hits = [hit(1, 10.0), hit(0, 10.0 - CONTEXT_MARGIN / 2), hit(3, 1.0)]  # the heading (2) is no hit: not prose
    (first, _), *_ = build_excerpts(view, hits, 2, "How many Turkish soldiers were killed?")
    assert first.quote == BODY[: BODY.index("\n\n## ")]  # both paragraphs, verbatim, break included
    assert "three Turkish soldiers" in first.quote and first.quote == BODY[first.start : first.end]


def test_a_heading_between_two_paragraphs_never_joins_a_quote() -> None:
    view = view_of(BODY)
    excerpts = build_excerpts(view, [hit(3, 10.0), hit(1, 9.5)], 2, "Who sent condolences?")
    assert all("## Reactions" not in e.quote for e, _ in excerpts)
    assert [e.quote for e, _ in excerpts][0] == "The Kremlin sent condolences."


LINES = "\n".join(f"Sentence {n} of one long paragraph." for n in range(10))


def quoted(excerpts: list) -> list[list[int]]:  # type: ignore[type-arg]
    """The sentence numbers each excerpt quotes."""
    return [[int(w) for w in e.quote.split() if w.isdigit()] for e, _ in excerpts]


def test_a_quote_never_grows_into_a_sentence_a_better_quote_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(excerpts, "MAX_JOINED_WORDS", 0)  # quotes that meet stay apart here
    # 1 grows to 0-3; 5 then grows to 6 and 4, and would have grown over 3 (within the margin of 5) too
    hits = [hit(1, 10.0), hit(0, 9.9), hit(2, 9.8), hit(3, 9.7), hit(5, 9.0), hit(6, 8.9), hit(4, 8.8), hit(8, 0.1)]
    assert quoted(build_excerpts(view_of(LINES), hits, 3, "What does it say?")) == [[0, 1, 2, 3], [4, 5, 6], [8]]


def test_the_better_quote_takes_a_sentence_back_from_a_later_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(excerpts, "MAX_JOINED_WORDS", 0)  # quotes that meet stay apart here
    # 2 is too weak to join 1 at first but joins 3; picked on its own later, it goes to the better quote
    hits = [hit(1, 10.0), hit(3, 8.0), hit(2, 4.0), hit(5, 0.5), hit(8, 0.4)]
    assert quoted(build_excerpts(view_of(LINES), hits, 3, "What does it say?")) == [[1, 2], [3], [5]]


TWICE = (
    "Putin sent condolences after a Russian air strike killed three Turkish soldiers.\n\n"
    "Putin sent condolences after a Russian air strike killed three Turkish soldiers.\n"
    "The strike hit a building near al-Bab.\n\n"
    "The Kremlin issued a statement."
)


def test_a_standfirst_repeated_by_the_next_paragraph_is_quoted_once() -> None:
    view = view_of(TWICE)  # sentences: 0 and 1 say the same words, 2 follows 1 in its paragraph
    hits = [hit(1, 10.0), hit(0, 10.0), hit(2, 9.0), hit(3, 1.0)]
    excerpts = [e for e, _ in build_excerpts(view, hits, 3, "How many Turkish soldiers were killed?")]
    first = excerpts[0]
    assert first.quote.count("Putin sent condolences") == 1 and "near al-Bab" in first.quote
    assert all("Putin sent condolences" not in e.quote for e in excerpts[1:])  # the twin is no excerpt of its own
    assert first.quote == TWICE[first.start : first.end]


def test_a_quote_that_opens_on_a_pronoun_takes_the_sentence_it_points_to() -> None:
    # "How many fighters does ISIS have in Libya?" had been quoted "It is said to have 18,000 fighters." alone:
    # the Al-Qaqa Brigade, which "it" means, was cut off
    body = (
        "Al-Qaqa Brigade: also based in Zintan, the brigade is of a more Islamist hue.\n\n"
        "It is said to have 18,000 fighters.\n\n"
        "## Other groups\n\n"
        "They claim 5,000 men."
    )
    view = view_of(body)
    hits = [hit(1, 10.0), hit(0, 10.0 - 3 * CONTEXT_MARGIN), hit(3, 9.0)]  # the brigade's line scores far lower
    (first, _), (second, _) = build_excerpts(view, hits, 2, "How many fighters does it have?")
    assert first.quote.startswith("Al-Qaqa Brigade") and first.quote.endswith("18,000 fighters.")
    assert first.quote == body[first.start : first.end]
    assert second.quote == "They claim 5,000 men."  # a heading is no antecedent: nothing joins across it


def test_a_quote_that_ends_on_a_colon_takes_what_it_introduces() -> None:
    # "Who backed Haftar?" quoted "... by the Chadians. According to a profile of Haftar:" and stopped there
    body = (
        "Haftar’s brigade was taken prisoner of war by the Chadians. According to a profile of Haftar:\n\n"
        "When Qaddafi publicly disavowed the P.O.W.s, Haftar was enraged."
    )
    cut = body.index("According")
    starts, ends = [0, cut, body.index("When")], [cut - 1, body.index("\n"), len(body)]
    view = SentenceView(
        ids=np.arange(3, dtype=np.int64),
        article=np.zeros(3, np.int32),
        start=np.array(starts, np.int32),
        end=np.array(ends, np.int32),
        vectors=np.zeros((3, 4), np.float32),
        passages={0: (0, 2)},
        articles={0: Article(Source("orton", "Orton"), body)},
    )
    hits = [hit(0, 10.0), hit(1, 10.0 - CONTEXT_MARGIN / 2), hit(2, 10.0 - 3 * CONTEXT_MARGIN)]
    ((first, _),) = build_excerpts(view, hits, 1, "Who took Haftar prisoner?")
    assert first.quote.startswith("Haftar’s brigade") and first.quote.endswith("Haftar was enraged.")
    assert first.quote == body[first.start : first.end]
    # what it introduces is a heading, never quoted: the colon's sentence is left out instead
    headed = body.replace("When Qaddafi publicly disavowed the P.O.W.s, Haftar was enraged.", "## Early life")
    view = replace(
        view,
        end=np.array([ends[0], ends[1], len(headed)], np.int32),
        articles={0: Article(Source("orton", "Orton"), headed)},
    )
    ((first, _),) = build_excerpts(view, hits[:2], 1, "Who took Haftar prisoner?")
    assert first.quote == "Haftar’s brigade was taken prisoner of war by the Chadians."


def test_two_quotes_of_one_article_that_meet_read_as_one_in_the_articles_order() -> None:
    # 1 grows to 0-3 (four sentences, full); 5 grows over 4 and then meets it: one quote, 0-5, not [0-3], [4, 5]
    hits = [hit(1, 10.0), hit(0, 9.9), hit(2, 9.8), hit(3, 9.7), hit(5, 9.0), hit(4, 8.9), hit(8, 0.1)]
    excerpts = build_excerpts(view_of(LINES), hits, 2, "What does it say?")
    assert quoted(excerpts) == [[0, 1, 2, 3, 4, 5], [8]]  # the freed place goes to the next quote
    assert all(e.quote == LINES[e.start : e.end] for e, _ in excerpts)


def test_quotes_that_meet_stay_apart_when_one_would_be_too_long(monkeypatch: pytest.MonkeyPatch) -> None:
    hits = [hit(1, 10.0), hit(0, 9.9), hit(2, 9.8), hit(3, 9.7), hit(5, 9.0), hit(4, 8.9), hit(8, 0.1)]
    monkeypatch.setattr(excerpts, "MAX_JOINED_WORDS", 6 * len("Sentence 0 of one long paragraph.".split()) - 1)
    assert quoted(build_excerpts(view_of(LINES), hits, 2, "What does it say?")) == [[0, 1, 2, 3], [4, 5]]


def test_the_highlights_of_two_joined_quotes_are_the_better_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    # "Who backed Haftar?": the joined half names Libya Dawn's backers; it is context, not highlighted
    body = (
        "Haftar's forces have received help from Egypt.\n"
        "Haftar has also been backed by Saudi Arabia.\n"
        "Libya Dawn has been supported by Qatar.\n"
        "Haftar told citizens of Turkey to leave."
    )
    monkeypatch.setattr(excerpts, "MAX_SENTENCES", 2)  # two quotes of two sentences, which then meet
    hits = [hit(0, 10.0), hit(1, 9.9), hit(3, 9.5), hit(2, 9.4)]
    (first, marked), *_ = build_excerpts(view_of(body), hits, 2, "Who backed Haftar?")
    assert first.quote == body
    assert [body[s:e] for s, e in marked.spans] == ["Egypt", "Saudi Arabia"]


def test_a_joined_quote_is_judged_without_the_quote_it_joined(monkeypatch: pytest.MonkeyPatch) -> None:
    # "How many surface-to-air missiles escaped?" must not count the next paragraph's figure as its answer
    body = (
        "Surface-to-air missiles are believed to have escaped Gaddafi's arsenal.\n"
        "Nobody knows where they went.\n"
        "In 2013, 400 fighters crossed into Mali.\n"
        "They came from the north."
    )
    monkeypatch.setattr(excerpts, "MAX_SENTENCES", 2)
    hits = [hit(0, 10.0), hit(1, 9.9), hit(3, 9.5), hit(2, 9.4)]
    (first, marked), *_ = build_excerpts(view_of(body), hits, 2, "How many surface-to-air missiles escaped?")
    judged = excerpts.judged_part(first, marked)
    assert first.quote == body and "400" not in judged.quote and judged.quote == body[judged.start : judged.end]
    assert judged.quote.endswith("Nobody knows where they went.")


def test_a_quote_may_join_quotes_on_both_sides_and_is_judged_on_its_own_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(excerpts, "MAX_SENTENCES", 2)
    hits = [hit(4, 10.0), hit(5, 9.9), hit(6, 9.5), hit(7, 9.4), hit(3, 9.3), hit(2, 9.2)]
    ((first, marked),) = build_excerpts(view_of(LINES), hits, 2, "What does it say?")
    assert quoted([(first, marked)]) == [[2, 3, 4, 5, 6, 7]]
    judged = excerpts.judged_part(first, marked)
    assert [int(w) for w in judged.quote.split() if w.isdigit()] == [4, 5]
    assert [first.quote[s:e] for s, e in marked.spans] == [judged.quote]  # the joined sentences are not marked


def one_paragraph(body: str) -> SentenceView:
    """The body's sentences (each ending on ". ") as one paragraph of article 0."""
    starts = [0] + [i + 2 for i in range(len(body) - 1) if body[i : i + 2] == ". "]
    ends = [s - 1 for s in starts[1:]] + [len(body)]
    n = len(starts)
    return SentenceView(
        ids=np.arange(n, dtype=np.int64),
        article=np.zeros(n, np.int32),
        start=np.array(starts, np.int32),
        end=np.array(ends, np.int32),
        vectors=np.zeros((n, 4), np.float32),
        passages={0: (0, n - 1)},
        articles={0: Article(Source("sotu", "State of the Union"), body)},
    )


def test_a_terse_sentence_after_a_quote_ends_its_thought_and_joins_it() -> None:
    # "What did Obama say in 2012 about Qadhafi?" was quoted without "Today, he is gone." (dev q178)
    said = "A year ago, Qadhafi was one of the world's longest serving dictators, a murderer with blood on his hands. "
    for coda, joins in (("Today, he is gone.", True), ("Today, he is gone, and his regime is no more.", False)):
        body = f"{said}{coda} And in Syria, the regime will soon discover the forces of change cannot be reversed."
        ((first, _),) = build_excerpts(one_paragraph(body), [hit(0, 10.0)], 1, "What did Obama say about Qadhafi?")
        assert first.quote == (f"{said}{coda}" if joins else said.rstrip())
        assert first.quote == body[first.start : first.end]
