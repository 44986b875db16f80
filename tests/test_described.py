"""Whether a quote says who the person a "Who is <a name>?" question names is (described.py)."""

from __future__ import annotations

import pytest

from libya_qa.absence import Absence, Span
from libya_qa.confidence import DESCRIBED_PROBABILITY, judge
from libya_qa.described import asked_name, asked_person, describes, says_who
from libya_qa.ranking import SentenceHit

NOTHING_MISSING = Absence((), 0.0, (), (), Span(2013, 2015))


@pytest.mark.parametrize(
    "quote, name",
    [
        ("said federal police captain Amir Abdul Kareem, whose units are fighting", "Amir Abdul Kareem"),  # a title
        ("a meeting with Niger's Foreign Minister Ibrahim Yacoubou. Lavrov recalled", "Ibrahim Yacoubou"),
        ("said Rose Gottemoeller, NATO's deputy secretary-general.", "Rose Gottemoeller"),  # an apposition
        ("Jean-Marie Guéhenno, who ran the U.N.’s peacekeeping operations", "Jean-Marie Guéhenno"),
        ("Ian Martin, then the special representative of the UN secretary-general", "Ian Martin"),
        ("His lawyer, Farid el-Deeb, told the newspaper", "Farid el-Deeb"),  # an apposition before it
        ("successfully, Russia's ambassador to Egypt, Sergey Kirpichenko told TASS", "Sergey Kirpichenko"),
        ("The RAND Corporation’s Christopher Chivvis argues in his book", "Christopher Chivvis"),  # an affiliation
        ("Jason Pack is president of and an affiliated analyst at Risk Intelligence.", "Jason Pack"),  # a copula
        ("by the Kurdish People's Protection Units (YPG), an armed group", "Kurdish People's Protection Units"),
        ("Libyan National Army (LNA): The banner name for the patchwork of militias", "Libyan National Army"),
        ("Rights group Amnesty International fears that", "Amnesty International"),
    ],
)
def test_a_title_an_apposition_or_a_copula_says_who_someone_is(quote: str, name: str) -> None:
    assert describes(quote, name)


@pytest.mark.parametrize(
    "quote, name",
    [
        ("as reported in a piece by Michael Hastings for Rolling Stone, that", "Michael Hastings"),
        ("When Bryan Ritterby was laid off from his job making furniture", "Bryan Ritterby"),
        ("The actual power is provided by Khalifa Haftar. Haftar met them.", "Haftar"),  # "Khalifa" is his name
        ("Khalifa Ghwell said the talks had failed.", "Khalifa Ghwell"),
        ("Nothing here names him.", "Khalifa Ghwell"),
    ],
)
def test_a_name_quoted_without_a_description_says_nothing_of_who_it_is(quote: str, name: str) -> None:
    assert not describes(quote, name)


def test_only_a_who_is_question_about_a_name_asks_who_a_person_is() -> None:
    assert asked_person("Who is Toby Lanzer?") == "Toby Lanzer"
    assert asked_person("And who was Jean Ping?") == "Jean Ping"
    assert asked_person("Who is the spokesman?") == "" and asked_person("Who backed Haftar?") == ""
    assert asked_name("What is Libya Dawn?") == "Libya Dawn" and asked_person("What is Libya Dawn?") == ""
    assert asked_name("What is the population of Niger?") == ""
    assert asked_name("Who was Jean Ping?") == "Jean Ping"
    assert says_who("Who is Ian Martin?", "Ian Martin, then the special representative of the UN secretary-general")
    assert not says_who("Who backed Ian Martin?", "Ian Martin, then the special representative of the UN")


def test_a_quote_that_says_who_someone_is_answers_however_few_words_it_shares() -> None:
    weak = [SentenceHit(0, 0, 0, cosine=0.3, coverage=0.2, fusion=0.1, score=1.0, confidence=1.0)]
    assert not judge(weak, NOTHING_MISSING).answered
    verdict = judge(weak, NOTHING_MISSING, floor=DESCRIBED_PROBABILITY)
    assert verdict.answered and verdict.probability == DESCRIBED_PROBABILITY
    assert not judge([], NOTHING_MISSING, floor=DESCRIBED_PROBABILITY).answered
