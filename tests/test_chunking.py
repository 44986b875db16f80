"""Sentence and passage splitting keeps exact offsets and respects sentence, paragraph and list boundaries."""

from __future__ import annotations

from support import ROOT

from libya_qa.chunking import make_passages, split_sentences
from libya_qa.corpus import load_corpus

BODY = (
    "The U.S. and the U.N. met Gen. Haftar on Feb. 3. He said “No.” Then he left!\n\n"
    "- Libya Shield Force (LSF): In total, it has 6,000 men. It is loose.\n"
    "- Al-Saiqa: An elite force.\n\nA last paragraph of one sentence"
)


def texts(body: str) -> list[str]:
    return [body[s.start : s.end] for s in split_sentences("x", body)]


def test_sentences_skip_abbreviations_and_keep_quotes() -> None:
    assert texts(BODY)[:3] == ["The U.S. and the U.N. met Gen. Haftar on Feb. 3.", "He said “No.”", "Then he left!"]


def test_bullet_items_are_their_own_sentences_without_the_marker() -> None:
    got = texts(BODY)
    assert "Libya Shield Force (LSF): In total, it has 6,000 men." in got
    assert "Al-Saiqa: An elite force." in got
    assert not any(t.startswith("- ") for t in got)
    assert got[-1] == "A last paragraph of one sentence"


def test_passages_have_exact_offsets_overlap_and_stay_small() -> None:
    body = " ".join(f"Sentence number {i} is here with some words." for i in range(40))
    sentences = split_sentences("x", body)
    passages = make_passages("x", body, sentences, max_words=30, overlap=1)
    assert len(passages) > 5
    for p in passages:
        assert (p.start, p.end) == (sentences[p.first_sentence].start, sentences[p.last_sentence].end)
        assert len(body[p.start : p.end].split()) <= 30 + 8
    for a, b in zip(passages, passages[1:]):
        assert b.first_sentence == a.last_sentence  # one sentence of overlap
    assert passages[-1].last_sentence == len(sentences) - 1


def test_passages_close_at_paragraph_breaks_once_half_full() -> None:
    para = "One two three four five six seven eight nine ten. " * 3
    body = para.strip() + "\n\n" + para.strip()
    passages = make_passages("x", body, split_sentences("x", body), max_words=40, overlap=1)
    assert [body[p.start : p.end].count("\n") for p in passages] == [0, 0]


def test_every_real_article_is_covered_by_passages() -> None:
    for article in load_corpus(ROOT / "corpus"):
        sentences = split_sentences(article.id, article.body)
        passages = make_passages(article.id, article.body, sentences, 90, 1)
        covered = {i for p in passages for i in range(p.first_sentence, p.last_sentence + 1)}
        assert covered == set(range(len(sentences)))
        assert all(
            (p.start, p.end) == (sentences[p.first_sentence].start, sentences[p.last_sentence].end) for p in passages
        )


def test_a_share_bar_pasted_inside_a_paragraph_is_a_sentence_of_its_own() -> None:
    body = (
        "Amnesty said. Send Facebook Twitter Google+ Whatsapp Permalink http://dw.com/p/2WI3Y Amnesty "
        "also voiced concern."
    )
    assert texts(body) == [
        "Amnesty said.",
        "Send Facebook Twitter Google+ Whatsapp Permalink http://dw.com/p/2WI3Y",
        "Amnesty also voiced concern.",
    ]


def test_a_dash_where_a_feed_broke_a_paragraph_ends_a_sentence_but_not_an_initialism() -> None:
    body = (
        'He will be held for another 45 days.- Hussein, an Egyptian, was held.- "We want him back," she said. '
        "The U.S.-led coalition and the E.U.-Turkey deal held. Troops left Jan.-Feb. in 2012."
    )
    assert [body[s.start : s.end] for s in split_sentences("x", body)] == [
        "He will be held for another 45 days.",
        "Hussein, an Egyptian, was held.",
        '"We want him back," she said.',
        "The U.S.-led coalition and the E.U.-Turkey deal held.",
        "Troops left Jan.-Feb. in 2012.",
    ]
