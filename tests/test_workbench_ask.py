"""POST /ask with filters and "what each source says", through the API and the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import assert_error

from libya_qa.by_source import date_key
from libya_qa.cli import main
from libya_qa.qa import QA
from libya_qa.schema import Filters, Source

HAFTAR = "Who backed Haftar?"


def ask(client: TestClient, **body: Any) -> dict[str, Any]:
    """POST /ask, expecting a 200; the answer."""
    response = client.post("/ask", json={"question": HAFTAR, **body})
    assert response.status_code == 200, response.text
    return response.json()


# --- filters ----------------------------------------------------------------------------
def test_a_filter_matching_one_article_still_returns_its_best_excerpts(client: TestClient) -> None:
    body = ask(client, filters={"sources": ["beta"]}, top_k=3)
    assert {e["source"]["id"] for e in body["excerpts"]} == {"beta"}
    assert body["filtered"] == {"articles": 1, "undated_left_out": 0}


def test_without_filters_the_answer_says_nothing_about_filtering(client: TestClient) -> None:
    assert ask(client)["filtered"] is None
    assert ask(client)["groups"] is None


def test_fields_combine_with_and_and_values_with_or(client: TestClient) -> None:
    either = ask(client, filters={"sources": ["alpha", "beta"]})
    assert either["filtered"]["articles"] == 2
    both = ask(client, filters={"sources": ["alpha", "beta"], "publishers": ["pub"]})  # case is ignored
    assert both["filtered"]["articles"] == 1 and {e["source"]["id"] for e in both["excerpts"]} == {"alpha"}


def test_an_unknown_date_is_left_out_by_a_date_filter_and_counted(client: TestClient) -> None:
    body = ask(client, filters={"date_from": "2015", "date_to": "2015-01"})  # partial dates by precision
    assert body["filtered"] == {"articles": 1, "undated_left_out": 1}
    assert {e["source"]["id"] for e in body["excerpts"]} == {"alpha"}
    none = ask(client, filters={"date_to": "2014-12"})
    assert none["filtered"] == {"articles": 0, "undated_left_out": 1} and none["excerpts"] == []


@pytest.mark.parametrize(
    "filters, code, words",
    [
        ({"source": ["alpha"]}, "unknown_filter", "filters.source is not a filter"),
        ({"sources": ["alpha", "gamma"]}, "unknown_source", "'gamma'"),
        ({"date_from": "2015-13"}, "bad_date", "filters.date_from"),
        ({"date_to": "15/01/2015"}, "bad_date", "filters.date_to"),
        ({"date_from": "2016", "date_to": "2015-12-31"}, "bad_date_range", "after"),
        ({"sources": "alpha"}, "invalid_request", "filters.sources"),
        ({"date_to": "2015-02-30"}, "bad_date", "a real date"),
        ({"publishers": ["pub", "Nobody Press"]}, "unknown_publisher", "'Nobody Press'"),  # a typo filters nothing out
        ({"authors": ["Nobody"]}, "unknown_author", "'Nobody'"),
    ],
)
def test_bad_filters_get_a_specific_422(client: TestClient, filters: dict[str, Any], code: str, words: str) -> None:
    assert words in assert_error(client.post("/ask", json={"question": HAFTAR, "filters": filters}), 422, code)


def test_the_cli_filters_with_source_publisher_since_and_until(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert (
        main(
            [
                "ask",
                HAFTAR,
                "--json",
                "--source",
                "alpha",
                "--source",
                "beta",
                "--publisher",
                "Pub",
                "--since",
                "2014",
                "--until",
                "2015-06",
            ]
        )
        == 0
    )
    body = json.loads(capsys.readouterr().out)
    assert body["filtered"] == {"articles": 1, "undated_left_out": 0}
    assert {e["source"]["id"] for e in body["excerpts"]} == {"alpha"}
    assert main(["ask", HAFTAR, "--since", "2014"]) == 0
    assert "(filtered: 1 article(s); 1 left out because their date is unknown)" in capsys.readouterr().out
    for bad in ("2015-02-30x", "2015-02-30"):  # the CLI names its own flag, and 30 February is no date
        assert main(["ask", HAFTAR, "--until", bad]) == 2
        assert capsys.readouterr().err.startswith("error [bad_date]: --until must be a real date")


# --- what each source says --------------------------------------------------------------
def test_group_by_source_gives_each_bearing_source_its_own_excerpts_by_date(client: TestClient) -> None:
    body = ask(client, group="source")
    groups = body["groups"]
    assert [g["source"]["id"] for g in groups] == ["alpha", "beta"]  # dated first, the undated one last
    for group in groups:
        assert 1 <= len(group["excerpts"]) <= 2
        assert {e["source"]["id"] for e in group["excerpts"]} == {group["source"]["id"]}
        assert all(0.0 < e["confidence"] < 1.0 for e in group["excerpts"])  # each shows its own strength, not 0%
    assert body["excerpts"] == ask(client)["excerpts"]  # the ranked view is the same answer


def test_group_by_source_respects_filters(client: TestClient) -> None:
    body = ask(client, group="source", filters={"sources": ["beta"]})
    assert [g["source"]["id"] for g in body["groups"]] == ["beta"]


def test_sources_that_do_not_bear_on_the_question_are_left_out(tiny_settings, tiny_qa, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("libya_qa.qa.BEARS_PROBABILITY", 1.0)  # no probability reaches it
    strict = QA(tiny_settings.__class__(**{**tiny_settings.__dict__, "answer_threshold": 1.0}), tiny_qa.encoder)
    answer = strict.ask(HAFTAR, group="source")
    assert answer.groups == () and answer.status == "not_found"


def test_a_bad_group_is_refused(client: TestClient) -> None:
    assert_error(client.post("/ask", json={"question": HAFTAR, "group": "author"}), 422, "invalid_request")


def test_a_source_bears_on_the_question_when_its_sentences_alone_would_answer_it(tiny_qa) -> None:  # type: ignore[no-untyped-def]
    from libya_qa.absence import absence
    from libya_qa.confidence import source_probability

    loaded = tiny_qa.loaded
    hits = loaded.searcher.search(tiny_qa.query_for(HAFTAR, [])).hits
    missing = absence(HAFTAR, loaded.snapshot, loaded.span, loaded.bylines)
    alpha = [h for h in hits if h.article == loaded.snapshot.article_rows["alpha"]]
    p = source_probability(alpha, missing)
    assert 0.0 < p < 1.0 and p == source_probability(alpha[:1] + alpha[1:], missing)
    assert source_probability([], missing) == 0.0


def test_sources_sort_by_partial_date_with_unknown_dates_last() -> None:
    sources = [
        Source("d", date="unknown"),
        Source("c", date="2015-11-02"),
        Source("b", date="2015-11"),
        Source("a", date="2014"),
    ]
    assert [s.id for s in sorted(sources, key=date_key)] == ["a", "b", "c", "d"]


def test_the_cli_shows_what_each_source_says(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", HAFTAR, "--by-source"]) == 0
    out = capsys.readouterr().out
    assert "What each source says (2 source(s)" in out and "[alpha 1]" in out and "[beta 1]" in out


def test_filters_type_is_inactive_when_empty() -> None:
    assert not Filters().active() and Filters(date_to="2015").active()
