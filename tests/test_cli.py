"""The CLI is a thin adapter: same answers as the API, readable output, clear errors."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from libya_qa.app import create_app
from libya_qa.cli import main


@pytest.fixture()
def env(tiny_settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LIBYA_QA_CORPUS", str(tiny_settings.corpus_dir))
    monkeypatch.setenv("LIBYA_QA_INDEX", str(tiny_settings.index_dir))
    monkeypatch.setenv("LIBYA_QA_MODEL", tiny_settings.model)
    monkeypatch.setenv("LIBYA_QA_ANSWER_THRESHOLD", "0")
    return tiny_settings


def test_ask_json_is_exactly_the_api_json(env, tiny_qa, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "Who backed Haftar?", "--json", "--top-k", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with TestClient(create_app(env, tiny_qa)) as client:
        api = client.post("/ask", json={"question": "Who backed Haftar?", "top_k": 2}).json()
    printed.pop("took_ms"), api.pop("took_ms")
    assert printed == api


def test_ask_prints_quotes_with_highlight_and_attribution(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "Who backed Haftar?"]) == 0
    out = capsys.readouterr().out
    assert "«" in out and "»" in out and "Ann Author" in out and "alpha" in out


def test_bad_question_exits_2_with_a_specific_message(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "   "]) == 2
    assert "empty_question" in capsys.readouterr().err


def test_index_prints_a_summary(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["index", "--full"]) == 0
    out = capsys.readouterr().out
    assert "2 articles" in out and "full" in out and "passages" in out
