"""A which- or who-question quoted with its own description and no name for it (spaCy's packaged parser)."""

import pytest

from libya_qa.slots import asked_description, is_place, naming_names, unnamed_mention

AMERICANS = "Who were the three other Americans killed with the ambassador in the 2012 Benghazi attack?"
AMBASSADOR = "Which Russian ambassador was shot dead in Ankara?"


@pytest.mark.parametrize(
    "question, described",
    [
        (AMERICANS, ("three", "american")),
        ("What were the names of the three Turkish soldiers killed near al-Bab?", ("three", "turkish", "soldier")),
        ("Which type of Russian warplane bombed the building?", ("russian", "warplan")),  # the warplane is described
        ("Which oil export terminals did Ibrahim Jadhran close?", ("oil", "export", "termin")),
        ("Which town did the mission go to?", ("town",)),
        ("What ties does Russia want to expand with Niger?", ()),  # answered by adjectives, not a name
        ("Who backed Haftar?", ()),
    ],
)
def test_the_description_a_question_asks_the_name_of(question: str, described: tuple[str, ...]) -> None:
    assert asked_description(question)[0] == described


def test_a_quote_that_repeats_the_description_without_a_name_is_unnamed() -> None:
    quote = (
        "Responsible for the Sept. 11, 2012, attack on the U.S. Consulate in Benghazi that killed Ambassador "
        "Chris Stephens and three other Americans, ASL was led by Ahmed Abu Khattala."
    )
    assert unnamed_mention(quote, AMERICANS) == "three other Americans"  # other names in the quote name others
    assert unnamed_mention("The Russian ambassador was shot dead in Ankara.", AMBASSADOR) == "The Russian ambassador"


@pytest.mark.parametrize(
    "quote",
    [
        "The Russian ambassador, Andrei Karlov, was shot dead in Ankara.",  # in apposition
        "Andrei Karlov, the Russian ambassador, was shot dead in Ankara.",
        "Andrei Karlov was the Russian ambassador.",  # across a copula
        "Russian ambassador Andrei Karlov was shot dead.",  # inside the phrase
        "A gunman shot Andrei Karlov in Ankara.",  # the description is not repeated: the quote may answer otherwise
    ],
)
def test_a_named_mention_or_none_at_all_is_not(quote: str) -> None:
    assert unnamed_mention(quote, AMBASSADOR) == ""


def test_a_name_the_tagger_reads_as_a_common_noun_still_names() -> None:
    quote = "Families plan to take travel company TUI to a civil court."  # en_core_web_sm tags "TUI" NN
    assert unnamed_mention(quote, "Which travel company do the families want to sue?") == ""


@pytest.mark.parametrize(
    "text, question, names",
    [
        (
            "U.S. Central Command said the coalition spokesman, Col. Joseph Scrocca, had confirmed it.",
            "Who is the spokesman for Operation Inherent Resolve?",
            ["Joseph Scrocca"],
        ),  # not U.S. Central Command
        (
            "Federal police and an elite interior ministry unit known as Rapid Response fought into the airport.",
            "Which interior ministry unit fought its way into Mosul airport?",
            ["Rapid Response"],
        ),
        ("ZMC is a militia under the Defence Ministry.", "Which militia holds him?", ["ZMC"]),  # not the ministry
        ("Tunisia's dictator fled.", "Which dictator fled?", []),  # a possessive describes; it does not name
        (
            "As the AU commission chairperson, Jean Ping of Gabon had led an effort to negotiate.",
            "Who was the AU commission chairperson?",
            ["Jean Ping of Gabon"],
        ),  # "As the <description>, <subject>"
    ],
)
def test_the_names_that_name_what_the_question_describes(text: str, question: str, names: list[str]) -> None:
    assert [text[a:b] for a, b in naming_names(text, question)] == names


def test_a_place_or_a_people_is_read_as_one_a_person_or_an_unknown_name_is_not() -> None:
    assert all(is_place(name) for name in ("Egypt", "United Arab Emirates", "Saudi Arabia", "Qatari"))
    assert not any(is_place(name) for name in ("Khalifa Haftar", "Haftar", "Libya Dawn", "Toby Lanzer"))
