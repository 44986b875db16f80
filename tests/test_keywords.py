"""The numpy BM25 builder scores exactly as bm25s's own indexer."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest
from support import ROOT

from libya_qa.analysis import asked_kinds, is_question, plain_question, question_type, tokenize
from libya_qa.chunking import make_passages, split_sentences
from libya_qa.corpus import load_corpus
from libya_qa.keywords import bm25_from_ids


def flat(token_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Token ids, offsets and vocabulary, as a build stores them."""
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(t, len(vocab)) for ts in token_lists for t in ts]
    offsets = np.concatenate(([0], np.cumsum([len(ts) for ts in token_lists])))
    return np.array(ids, dtype=np.int32), offsets, vocab


def test_scores_equal_bm25s_on_the_real_corpus() -> None:
    passages = []
    for article in load_corpus(ROOT / "corpus"):
        sentences = split_sentences(article.id, article.body)
        passages += [article.body[p.start : p.end] for p in make_passages(article.id, article.body, sentences, 90, 1)]
    token_lists = [tokenize(t) for t in passages] + [[]]  # and a passage with no keyword at all
    tokens, offsets, vocab = flat(token_lists)
    ours = bm25_from_ids(tokens, offsets, vocab)
    theirs = bm25s.BM25()
    theirs.index((np.split(tokens, offsets[1:-1]), dict(vocab)), show_progress=False)
    assert ours.vocab_dict == theirs.vocab_dict
    for query in (["haftar", "back"], ["qatar"], ["weapon", "mali", "libya"], ["weapon", "nosuchword"]):
        assert np.allclose(ours.get_scores(query), theirs.get_scores(query), rtol=1e-6, atol=1e-7)
    assert ours.scores["num_docs"] == theirs.scores["num_docs"]
    assert np.array_equal(np.asarray(ours.scores["indptr"]), np.asarray(theirs.scores["indptr"]))


@pytest.mark.parametrize(
    "text, asked",
    [
        ("Who backed Haftar?", True),
        ("who backed haftar", True),
        ("Tell me about the Berlin conference", True),
        ("And the French", True),
        ("Haftar's foreign backers?", True),
        ("In what year did Gaddafi die", True),
        ("Haftar's foreign backers", False),
        ("May will not visit Northern Ireland", False),
        ("Stocks sink as Trump trade flips into reverse", False),
        ("Islamic State provinces in Libya", False),
    ],
)
def test_questions_and_requests_are_told_from_topics(text: str, asked: bool) -> None:
    assert is_question(text) is asked


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("organisation", "organization"),
        ("UN-authorised", "UN-authorized"),
        ("air defence", "air defense"),
        ("neighbouring", "neighboring"),
        ("analysed", "analyzed"),
        ("centre", "center"),
        ("programmes", "programs"),
        ("sceptical", "skeptical"),
        ("stabilising", "stabilizing"),
    ],
)
def test_a_british_spelling_meets_the_american_one(british: str, american: str) -> None:
    # the founding corpus itself writes both "organised" and "organized", "defence" and "defense"
    assert tokenize(british) == tokenize(american) and tokenize(british)


def test_spelling_folds_leave_other_words_apart() -> None:
    assert len(set(tokenize("hours tour four rise raise crisis kill killed"))) == 7  # "kill" and "killed" meet
    assert tokenize("hatred") == ["hatr"]
    assert tokenize("Tunisia Paris") == ["tunisia", "pari"]


def test_back_as_a_particle_is_a_stop_word_and_as_a_verb_a_key_word() -> None:
    # "Who backed Haftar?" had matched "led him back to Libya" through the stem "back" (issue 12's probe)
    assert tokenize("Haftar’s hatred of Qaddafi led him back to Libya. They fought back.") == [
        "haftar",
        "hatr",
        "gaddafi",
        "led",
        "libya",
        "fought",
    ]
    assert "back" in tokenize("Who backed Haftar?")
    assert "back" in tokenize("Egypt and the UAE back Haftar.")
    assert "back" in tokenize("Haftar has also been backed by Saudi Arabia.")


def test_a_dotted_initialism_is_the_word_without_its_dots() -> None:
    assert tokenize("The C.I.A. said") == tokenize("the CIA said") == ["cia"]
    assert tokenize("F.B.I. agents") == tokenize("FBI agents")
    assert tokenize("U.S. forces") == ["usa", "forc"]  # the aliases before it still win


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many died?", "number"),
        ("What proportion of fighters are foreign?", "number"),
        ("What is the population of Niger?", "number"),
        ("What was the civilian death toll of the air war?", "number"),
        ("What is Libya's median age?", "number"),
        ("What is the capital of Niger?", "other"),
        ("What is the role of the UN?", "other"),
        ("When did Haftar return?", "time"),
        ("Who backed Haftar?", "name"),
        # a follow-up's "And" continues the conversation; the question after it says what it asks for
        ("And who backed Libya Dawn?", "name"),
        ("And how many militants died?", "number"),
        ("But when?", "time"),
        ("So, who won?", "name"),
        ("And of its capital?", "other"),
        ("Andrea who?", "other"),
        # a date asked after a preposition, and sizes asked other ways than "how many"
        ("On what date did Qaddafi die?", "time"),
        ("In which month did they meet?", "time"),
        ("Between which dates was the strike carried out?", "time"),
        ("Which group struck?", "name"),
        ("How old is Hosni Mubarak?", "number"),
        ("How high is youth unemployment?", "number"),
        # asked otherwise (tests/data/eval/reworded.jsonl): a passive's "by whom", a measure, a phrase before the
        # question
        ("By whom was the investigation ordered?", "name"),
        ("What is the length of Niger's border with Libya?", "number"),
        ("In his 2012 address, where did Obama welcome the troops?", "name"),
        ("According to the 2012 study, how many al-Qaeda operatives were active?", "number"),
        # an approximate count, a duration asked with "for", a phrase opening on "under" or "apart from"
        # (dev q588, q623, q509)
        ("About how many people are affected by the famine?", "number"),
        ("For how much longer will Egypt hold him?", "number"),
        ("Under the light footprint approach, who was to fight on the ground?", "name"),
        ("Apart from Sirte, where did ISIS hold an outpost?", "name"),
        # a count, a sum or an age asked by name (dev q671-q678, f164)
        ("What is the number of Somali refugees in Yemen?", "number"),
        ("What sum will Germany give Tunisia?", "number"),
        ("What age was the man detained?", "number"),
        ("And what figure did the UN refugee agency give?", "number"),
    ],
)
def test_the_kind_of_answer_is_read_from_how_the_question_opens(question: str, kind: str) -> None:
    assert question_type(question) == kind


@pytest.mark.parametrize(
    "asked, plain",
    [
        ("Tell me who backed Haftar.", "who backed Haftar."),
        ("Can you tell me when he returned?", "when he returned?"),
        ("I'd like to know how many died.", "how many died."),
        ("Do you know where the boat went?", "where the boat went?"),
        ("Name the UN resolutions that gave authority.", "Which UN resolutions that gave authority."),
        ("Please list the countries that backed Haftar", "Which countries that backed Haftar"),
        ("Who backed Haftar?", "Who backed Haftar?"),
        ("Named after whom?", "Named after whom?"),
        ("What is the name of the top US general in Europe?", "Which top US general in Europe?"),
        ("What were the names of the suspects detained?", "Which suspects detained?"),
        ("And what's the name of a ship that sank?", "Which ship that sank?"),
        (
            "What is the name of Nadia Murad's lawyer?",
            "What is the name of Nadia Murad's lawyer?",
        ),  # a thing or a person
        ("Tell me about Haftar.", "Tell me about Haftar."),
        (
            "List of militias in Libya",
            "List of militias in Libya",
        ),  # a topic asked for, not a question inside a request
    ],
)
def test_a_request_around_a_question_is_read_as_the_question(asked: str, plain: str) -> None:
    assert plain_question(asked) == plain


def test_a_joined_second_question_adds_the_kind_it_asks_for() -> None:
    assert asked_kinds("Who launched Operation Dignity, and when?") == ("name", "time")
    assert asked_kinds("Where and when was the donors' meeting held?") == ("name", "time")
    assert asked_kinds("What is Niger's capital and how many people live there?") == ("other", "number")
    assert asked_kinds("How many were taken, and how many killed?") == ("number",)
    assert asked_kinds("And who backed Libya Dawn?") == ("name",)  # a continuation, not a second question
    assert asked_kinds("Who fought Haftar and Thani?") == ("name",)
