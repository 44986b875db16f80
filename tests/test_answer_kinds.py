"""A question asking for someone, against a short answer of places only (spaCy's packaged entity recogniser)."""

import pytest

from libya_qa.answer_kinds import asks_for_a_person, asks_for_someone, only_places, places_for_someone


@pytest.mark.parametrize(
    "question, someone, person",
    [
        ("Who led the Islamic State gunmen who attacked the Corinthia Hotel?", True, True),
        ("Which jihadist group carried out the hostage-taking at In Amenas?", True, False),
        ("And which militia holds Saif al-Islam Qaddafi?", True, False),
        ("Who speaks for the UN refugee agency in Yemen?", True, True),
        ("Which African Union analyst thought Gaddafi would have accepted exile?", True, True),
        ("Which archaeologist did ISIS behead in Palmyra?", True, True),  # a person is someone too
        ("Who is the UN assistant secretary-general interviewed about Lake Chad?", True, True),
        ("Who had originally ordered them?", True, False),  # a navy may order ships
        ("Which court will try the man arrested in Young?", True, False),  # bodies are no places (dev u268)
        ("Which orchestra played at the concert in Palmyra?", True, False),
        ("Who backed Haftar?", False, False),  # backers are as often countries
        ("Who has really backed Haftar?", False, False),
        ("Which countries backed Haftar?", False, False),
        ("Where did the attack happen?", False, False),
        ("Why did the plan fail?", False, False),
    ],
)
def test_a_question_asks_for_someone_and_perhaps_for_a_person(question: str, someone: bool, person: bool) -> None:
    """Someone is a person or a group; a person is asked for by what only people are or do ("Who heads ...?")."""
    assert asks_for_someone(question) is someone
    assert asks_for_a_person(question) is person


def test_places_and_peoples_adjectives_are_no_one_but_a_plural_people_or_a_person_may_be() -> None:
    assert only_places(["Algeria", "Libya", "Libyan"])
    assert only_places(["Tunisian"])
    assert not only_places(["Russian", "Syrians"])  # "the Syrians" may be who settles it
    assert not only_places(["Abu Nabil al-Anbari"])
    assert not only_places([])
    group = "Which jihadist group carried out the hostage-taking at In Amenas?"
    assert places_for_someone(group, ["Algeria", "Libya"]) == ("Algeria", "Libya")
    assert places_for_someone(group, ["Algeria", "Ansar Dine"]) == ()
    assert places_for_someone("Which countries backed Haftar?", ["Egypt"]) == ()
    where = "The man had been detained in the small town of Young in Australia's New South Wales region."
    assert places_for_someone("Which court will try him?", ["Australia", "New South Wales"], where) == (
        "Australia",
        "New South Wales",
    )
    # a people's name before a body of people names someone (dev f226)
    whom = "Whom does the network hold responsible for his safety?"
    assert places_for_someone(whom, ["Egyptian"], "It holds the Egyptian authorities responsible.") == ()
    assert places_for_someone(whom, ["Egyptian"], "It is an Egyptian network.") == ("Egyptian",)
    # a body a name owns is someone, though the short answer left the name out as one the conversation gave (f232)
    who = "Who rejected his claim?"
    denial = "Russia's foreign ministry called it an attempt by Washington to cover up its failure in Afghanistan."
    assert places_for_someone(who, ["Washington", "Afghanistan"], denial) == ()
    assert places_for_someone(who, ["Washington"], "Washington's claim about Afghanistan's future.") == ("Washington",)


def test_a_name_is_read_where_the_quote_writes_it() -> None:
    """Alone, the recogniser reads "Homs" as an organisation; in "Homs province" it reads a place (dev u42)."""
    question = "Which archaeologist did ISIS behead in Palmyra?"
    quote = (
        "Palmyra is in the central Homs province of Syria, around 225 kilometers (140 miles) "
        "southwest of Raqqa, the group's de facto capital in Syria."
    )
    assert not only_places(["Syria", "Homs", "Raqqa"])  # alone, "Homs" is taken for an organisation
    assert only_places(["Syria", "Homs", "Raqqa"], quote)
    assert places_for_someone(question, ["Syria", "Homs", "Raqqa"], quote) == ("Syria", "Homs", "Raqqa")
    # in context a person stays someone
    assert not only_places(["Dmitry Peskov"], "Kremlin spokesman Dmitry Peskov said the strike was a mistake.")


def test_a_language_is_no_one() -> None:
    """ "English" answers no "Which publisher ...?" (dev u250); the quote reads it as a language."""
    quote = "The book has so far been published in English and will soon appear in other languages."
    assert only_places(["English"], quote)
    assert places_for_someone("Which publisher brought out the German edition?", ["English"], quote) == ("English",)
