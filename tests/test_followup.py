"""Follow-ups lean on history; questions that stand alone are left alone."""

from __future__ import annotations

import pytest

from libya_qa.followup import is_followup, search_query


@pytest.mark.parametrize("question", ["And who backed Libya Dawn?", "What about Qatar?", "Who led it?",
                                      "What happened to its leader?", "Why?", "How many fighters does it have?"])
def test_followups_are_recognised(question: str) -> None:
    assert is_followup(question)


@pytest.mark.parametrize("question", ["Who backed Haftar?", "Why did Libya's transitional council refuse troops?",
                                      "How many men does the Petroleum Facilities Guard have?"])
def test_standalone_questions_are_not(question: str) -> None:
    assert not is_followup(question)


def test_search_query_blends_history_only_for_followups() -> None:
    history = ["Who backed Haftar?"]
    assert search_query("What about Qatar?", history) == "Who backed Haftar? What about Qatar?"
    assert search_query("When did Gaddafi die?", history) == "When did Gaddafi die?"
    assert search_query("What about Qatar?", []) == "What about Qatar?"


def test_chains_of_followups_keep_the_first_subject() -> None:
    query = search_query("Why could those sponsors help?", ["Who backed Haftar?", "And who backed Libya Dawn?"])
    assert "Haftar" in query and "Libya Dawn" in query and query.endswith("help?")
