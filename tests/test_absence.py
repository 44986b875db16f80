"""A year the question names must be in the source it would be answered from, and counts against a quote without it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from support import make_settings

from libya_qa.absence import (
    Absence,
    Span,
    check_best_source,
    check_quote,
    check_source,
    given_names,
    named_by_initials,
    other_word_stems,
)
from libya_qa.analysis import tokenize
from libya_qa.build import build_index
from libya_qa.confidence import (
    FAR_COSINE,
    FAR_PROBABILITY,
    NO_FIGURE_PROBABILITY,
    OTHER_SUBJECT_PROBABILITY,
    UNKNOWN_NAME_PROBABILITY,
    judge,
    probability,
    signals,
)
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.qa import QA
from libya_qa.ranking import SentenceHit
from libya_qa.schema import Article, Excerpt, Source

NOTHING_MISSING = Absence((), 0.0, (), (), Span(2013, 2015))
BODY = "In May 2014 Haftar launched Operation Dignity; by 2015-16 the war had spread."


def article(date: str = "2015-02-19", body: str = BODY) -> Article:
    return Article(Source("orton", title="Orton", date=date), body)


def test_years_the_best_source_never_mentions_are_recorded_with_its_title() -> None:
    found = check_best_source(NOTHING_MISSING, "What did Haftar do in 2014 and 2019?", article())
    assert found.unsupported_years == (2019,) and found.best_source == "Orton"


def test_a_year_in_the_body_in_a_range_or_in_the_publication_date_is_supported() -> None:
    for question in ("What happened in 2014?", "What happened in 2015?", "What happened in 2016?"):
        assert check_best_source(NOTHING_MISSING, question, article("2016-01-02")) is NOTHING_MISSING
    # a longer number holding the same digits is not the year
    longer = check_best_source(NOTHING_MISSING, "What happened in 2015?", article("", "in 12015 units"))
    assert longer.unsupported_years == (2015,)


def test_a_designation_the_best_source_never_writes_is_not_found_however_high_the_score() -> None:
    source = article(body="Turkey shot down a Russian Su-25; Mig-29 jets and F 16 fighters flew over.")
    strong = [SentenceHit(0, 0, 0, cosine=0.9, coverage=1.0, fusion=1.0, score=20.0, confidence=20.0)]
    found = check_best_source(NOTHING_MISSING, "What happened to the pilots of the Su-24 Turkey shot down?", source)
    verdict = judge(strong, found, threshold=0.0)
    assert found.unsupported_designations == ("Su-24",)  # "su" and "24" both occur, apart: not the jet
    assert not verdict.answered and "Orton" in verdict.message and "Su-24" in verdict.message
    # written in another case or without its hyphen, and with a plural s, it is there
    assert check_best_source(NOTHING_MISSING, "How many MiG-29s and F-16s flew?", source).unsupported_designations == ()


def test_an_unsupported_year_is_not_found_however_high_the_score() -> None:
    strong = [SentenceHit(0, 0, 0, cosine=0.9, coverage=1.0, fusion=1.0, score=20.0, confidence=20.0)]
    found = check_best_source(NOTHING_MISSING, "When did Haftar begin his 2019 offensive?", article())
    verdict = judge(strong, found, threshold=0.0)
    assert not verdict.answered and "Orton" in verdict.message and "2019" in verdict.message
    assert judge(strong, NOTHING_MISSING, threshold=0.0).answered


def test_the_share_of_question_names_the_source_lacks_lowers_the_probability() -> None:
    # "How many Syrian refugees has Canada resettled?" had been answered from an article without Canada
    question = "How many Syrian refugees has Canada resettled in Turkey?"
    refugees = Article(Source("unhcr", title="Five million Syrians"), "Turkey hosts three million Syrian refugees.")
    found = check_best_source(NOTHING_MISSING, question, refugees)
    assert found.names_outside_source == 1 / 3  # Canada; "Syrian" and "Turkey" are there
    assert check_best_source(NOTHING_MISSING, "Who backed Haftar in the Gulf?", article()).names_outside_source == 0
    hits = [SentenceHit(0, 0, 0, cosine=0.7, coverage=0.8, fusion=1.0, score=5.0, confidence=5.0)]
    # the fitted model weighs it as evidence of absence (fitted.json, dev)
    assert probability(signals(hits, found)) < probability(signals(hits, NOTHING_MISSING))


def quoted(text: str, date: str = "2024-06-01") -> Excerpt:
    return Excerpt(text, (0, len(text)), 1.0, 0, len(text), Source("factbook", title="Libya", date=date))


def test_a_year_the_quote_lacks_is_recorded_and_lowers_the_probability_of_answering() -> None:
    question = "How many barrels a day did Libya produce in 2022?"
    without = check_quote(NOTHING_MISSING, question, quoted("Petroleum production: 1.245 million bbl/day (2023 est.)"))
    within = check_quote(NOTHING_MISSING, question, quoted("In 2022 Libya produced 1.2 million bbl/day."))
    assert without.years_outside_quote == (2022,) and within.years_outside_quote == ()
    assert check_quote(NOTHING_MISSING, "How much oil did Libya produce?", quoted("no year")).years_outside_quote == ()
    hits = [SentenceHit(0, 0, 0, cosine=0.7, coverage=0.8, fusion=1.0, score=5.0, confidence=5.0)]
    # the fitted model weighs it as evidence of absence (fitted.json, dev): never a verdict on its own
    assert probability(signals(hits, without)) < probability(signals(hits, within))


def test_a_quote_without_a_year_of_its_own_speaks_of_its_publication_year() -> None:
    question = "How many people died when gunmen hit a Tripoli hotel in January 2015?"
    attack = "On Jan. 27, four jihadists attacked the Corinthia Hotel, killing nine people."
    assert check_quote(NOTHING_MISSING, question, quoted(attack, "2015-02-19")).years_outside_quote == ()
    assert check_quote(NOTHING_MISSING, question, quoted(attack, "2017-02-19")).years_outside_quote == (2015,)


def test_a_how_many_question_quoted_without_a_figure_is_not_found_however_high_the_score() -> None:
    question = "How many U212A submarines are Norway and Germany buying?"
    none = check_quote(
        NOTHING_MISSING,
        question,
        quoted("Norway and Germany are buying a new class of submarines, known as U212A, that are hard to detect."),
    )
    some = check_quote(NOTHING_MISSING, question, quoted("Norway and Germany are buying six U212A submarines."))
    assert none.figure_missing and not some.figure_missing
    strong = [SentenceHit(0, 0, 0, cosine=0.9, coverage=1.0, fusion=1.0, score=20.0, confidence=20.0)]
    verdict = judge(strong, none)  # the probability is capped below the fitted threshold
    assert not verdict.answered and "no figure" in verdict.message and verdict.probability <= NO_FIGURE_PROBABILITY
    assert judge(strong, some).answered
    # a figure in words or with a unit glued on counts; a "how long" question is answered by a date too
    for text in (
        "They received approximately $100bn.",
        "It filled well over a thousand depots.",
        "It is the fourth biggest response.",
        "Dozens were hurt.",
    ):
        assert not check_quote(NOTHING_MISSING, "How much did they get?", quoted(text)).figure_missing, text
    assert not check_quote(
        NOTHING_MISSING, "How long has the PKK fought?", quoted("It has fought since 1984.", "")
    ).figure_missing
    assert check_quote(NOTHING_MISSING, "How many fought?", quoted("It has fought since 1984.", "")).figure_missing
    assert not check_quote(NOTHING_MISSING, "Who fought?", quoted("No figure here.")).figure_missing  # not asked


def test_each_source_of_what_each_source_says_is_judged_on_its_own_names_and_years() -> None:
    # the answer's first quote had lent every source its verdict: its missing year and its source's names
    question = "Did Qatar back Haftar in 2011?"
    haftar = Article(Source("alpha", date="2015-01-01"), "Haftar was backed by Egypt.")
    qatar = Article(Source("beta", date=""), "Qatar supported Libya Dawn. Weapons flowed into Mali after 2011.")
    alpha, beta = check_source(NOTHING_MISSING, question, haftar), check_source(NOTHING_MISSING, question, qatar)
    assert alpha.years_outside_quote == (2011,) and beta.years_outside_quote == ()
    assert alpha.names_outside_source == beta.names_outside_source == 0.5  # Qatar, then Haftar
    inputs = [signals([SentenceHit(0, 0, 0, cosine=0.5, coverage=0.5, fusion=1.0)], a) for a in (alpha, beta)]
    assert probability(inputs[0]) < probability(inputs[1])  # the year the source lacks counts against it alone


def test_with_no_rival_article_the_margin_reads_zero() -> None:
    alone = [
        SentenceHit(0, 0, 0, cosine=0.5, coverage=0.5, fusion=1.0, confidence=9.0),
        SentenceHit(1, 1, 0, cosine=0.4, coverage=0.4, fusion=1.0, confidence=7.0),
    ]
    rival = SentenceHit(2, 2, 1, cosine=0.3, coverage=0.3, fusion=1.0, confidence=6.0)
    assert signals(alone, NOTHING_MISSING)["margin"] == 0.0  # not 9.0: a filter to one source leaves no rival
    assert signals([*alone, rival], NOTHING_MISSING)["margin"] == 3.0


def test_a_question_s_other_words_leave_out_its_names_numbers_and_stop_words() -> None:
    question = "How many legs did the Abu Salim spider have in 2014?"
    assert other_word_stems(question) == {"legs": ["leg"], "spider": ["spider"]}


def test_a_word_no_article_holds_with_no_passage_close_in_meaning_is_not_found() -> None:
    # "Why is the sky blue?" had been answered at 0.56 from "a classic case for blue helmets"
    off = Absence((), 0.0, (), (), Span(2013, 2015), unknown_words=("sky",))
    far = [SentenceHit(0, 0, 0, cosine=FAR_COSINE - 0.15, coverage=0.5, fusion=1.0, score=20.0, confidence=20.0)]
    close = [*far, SentenceHit(1, 1, 1, cosine=FAR_COSINE + 0.1, coverage=0.5, fusion=1.0, confidence=1.0)]
    verdict = judge(far, off, threshold=0.0)
    assert not verdict.answered and verdict.probability <= FAR_PROBABILITY and "“sky”" in verdict.message
    # a sentence close in meaning somewhere among the candidates: a paraphrase ("retaliate"), not another topic
    assert judge(close, off, threshold=0.0).answered
    assert judge(far, NOTHING_MISSING, threshold=0.0).answered  # every word known: the model decides


def test_a_name_the_source_writes_by_its_initials_is_not_outside_it() -> None:
    article = Article(Source("boat", "Boat"), "The boat was attacked, IOM spokesman Joel Millman said.")
    question = "Which International Organization for Migration spokesman spoke about the boat?"
    assert named_by_initials(question, article) == frozenset(tokenize("International Organization for Migration"))
    assert check_best_source(NOTHING_MISSING, question, article).names_outside_source == 0.0
    assert named_by_initials(question, Article(Source("x", "X"), "A spokesman spoke.")) == frozenset()


def test_a_fact_sheet_about_something_the_question_does_not_name_is_not_found_however_high_the_score() -> None:
    """ "What is the exchange rate of the Egyptian pound?" quoted from Libya's "Exchange rates:" row (dev u78)."""
    strong = SentenceHit(0, 0, 0, cosine=0.9, coverage=1.0, fusion=1.0, score=20.0, confidence=20.0)
    assert judge([strong], NOTHING_MISSING).answered
    verdict = judge([replace(strong, other_subject=1.0)], NOTHING_MISSING)
    assert not verdict.answered and verdict.probability <= OTHER_SUBJECT_PROBABILITY
    assert "fact sheet about something the question does not name" in verdict.message


def test_a_given_name_before_a_known_surname_is_not_unknown() -> None:
    """An article may write "El Amrani" and never "Issandr": the question still names someone it knows."""
    known = frozenset(tokenize("El Amrani Haftar operation Libya Dawn"))
    assert given_names("What does Issandr El Amrani believe?", known) == {"Issandr", "El"}
    assert given_names("What did President Issandr El Amrani say?", known) == {"Issandr", "El"}
    # the unknown word follows a known one: no given name, so "Odyssey" stays unknown
    assert given_names("When did Operation Odyssey Dawn begin?", known) == set()
    assert given_names("Who is John Smith?", known) == set()  # the surname is unknown too: the name is unknown
    assert given_names("What did Haftar say?", known) == set()  # one word: nothing before it


def test_a_name_no_article_holds_is_not_found_however_small_its_share_of_the_names() -> None:
    """ "When did the United States launch Operation Odyssey Dawn in Libya?" had been answered at 0.57 (dev u105)."""
    strong = SentenceHit(0, 0, 0, cosine=0.9, coverage=1.0, fusion=1.0, score=20.0, confidence=20.0)
    odyssey = Absence(("Odyssey",), 1 / 6, (), (), Span(2013, 2015))
    assert probability(signals([strong], odyssey)) > 0.5  # the model alone, reading one name word in six, answers
    verdict = judge([strong], odyssey)
    assert not verdict.answered and verdict.probability <= UNKNOWN_NAME_PROBABILITY
    assert "no article in the corpus mentions Odyssey" in verdict.message


def test_a_name_the_corpus_writes_only_by_its_initials_is_no_unknown_name(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, model="hashing-test-encoder")
    write_article(
        settings.corpus_dir,
        Article(Source("boat", "Boat"), "The boat was attacked, IOM spokesman Joel Millman said. Dozens were hurt."),
    )
    build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir))
    qa = QA(settings, HashingEncoder())
    found = qa.loaded.absence("What did the International Organization for Migration's spokesman say?")
    assert found.unknown_names == ()  # not capped at UNKNOWN_NAME_PROBABILITY
    assert qa.loaded.absence("What did the Xqzv Organization for Migration's spokesman say?").unknown_names
