"""A question asking for someone, against a short answer of places only (spaCy's packaged entity recogniser)."""

import pytest

from libya_qa.answer_kinds import asks_for_a_person, asks_for_someone, only_places, places_for_someone


@pytest.mark.parametrize("question, someone", [
    ("Who led the Islamic State gunmen who attacked the Corinthia Hotel?", True),
    ("Which jihadist group carried out the hostage-taking at In Amenas?", True),
    ("And which militia holds Saif al-Islam Qaddafi?", True),
    ("Who backed Haftar?", False),  # backers are as often countries
    ("Who has really backed Haftar?", False),
    ("Which countries backed Haftar?", False),
    ("Where did the attack happen?", False),
    ("Why did the plan fail?", False),
])
def test_a_question_asks_for_a_person_or_a_group(question: str, someone: bool) -> None:
    assert asks_for_someone(question) is someone


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


@pytest.mark.parametrize("question, person", [
    ("Who speaks for the UN refugee agency in Yemen?", True),
    ("Which African Union analyst thought Gaddafi would have accepted exile?", True),
    ("Who is the UN assistant secretary-general interviewed about Lake Chad?", True),
    ("Who had originally ordered them?", False),  # a navy may order ships
    ("Which jihadist group carried out the hostage-taking?", False),
    ("Who backed Haftar?", False),
])
def test_a_question_asks_for_a_person(question: str, person: bool) -> None:
    assert asks_for_a_person(question) is person
