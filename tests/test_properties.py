"""Property tests (hypothesis): offsets over arbitrary Unicode, corpus headers, /ask bodies never a 5xx."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import make_settings

from libya_qa.app import create_app
from libya_qa.build import build_index
from libya_qa.chunking import make_passages, split_sentences
from libya_qa.config import Settings
from libya_qa.corpus import MAX_OTHER_FIELD_CHARS, load_header, parse_article, render_article
from libya_qa.encoders import HashingEncoder
from libya_qa.errors import CorpusError, IndexUnavailable
from libya_qa.qa import QA
from libya_qa.schema import Article, Source

WORDS = st.sampled_from(
    "Haftar Egypt Libya Qatar backed the in 2015 . , ! ? - \n \n\n U.N. Gen. “No.” é 中 👍".split(" ")
)
BODY = st.one_of(st.text(min_size=1, max_size=400), st.lists(WORDS, min_size=1, max_size=120).map(" ".join))
FIELD = (
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=120)
    .map(str.strip)
    .filter(lambda v: v and v != "unknown")
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- chunking, excerpts, answers ----------------------------------------------------------------
@FAST
@given(BODY)
def test_every_sentence_and_passage_is_an_exact_slice(body: str) -> None:
    sentences = split_sentences("x", body)
    previous_end = 0
    for s in sentences:
        text = body[s.start : s.end]
        assert previous_end <= s.start < s.end <= len(body) and text == text.strip() and "\n" not in text
        previous_end = s.end
    for p in make_passages("x", body, sentences, 12, 1):
        assert (p.start, p.end) == (sentences[p.first_sentence].start, sentences[p.last_sentence].end)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="props-") as folder:
        yield Path(folder)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(BODY, min_size=1, max_size=3), st.lists(WORDS, min_size=1, max_size=8).map(" ".join), st.integers(1, 20)
)
def test_answers_over_arbitrary_text_quote_the_stored_body(bodies: list[str], question: str, top_k: int) -> None:
    """The suite-wide fixture checks body[start:end] == quote for every answer; here over any text."""
    assume(any(c.isalnum() for c in question))  # a question with no words is refused (empty_question)
    with tempfile.TemporaryDirectory(prefix="props-") as folder:
        qa_settings = make_settings(Path(folder), model="hashing-test-encoder", answer_threshold=0.0)
        # Each body ends with one plain sentence: a corpus with no indexable word at all (e.g. only "0")
        # makes bm25s raise at search time, a search-layer limit reported separately, not what this checks.
        articles = [Article(Source(f"a{i}"), f"{body.strip()}\n\nLibya was backed.") for i, body in enumerate(bodies)]
        try:
            build_index(qa_settings, HashingEncoder(), articles)
        except IndexUnavailable:
            assume(False)  # no sentence at all (only spaces and marks): nothing to index
        answer = QA(qa_settings, HashingEncoder()).ask(question, top_k)
    assert len(answer.excerpts) <= top_k
    for e in answer.excerpts:
        assert 0 <= e.highlight[0] < e.highlight[1] <= len(e.quote)


# --- corpus headers -----------------------------------------------------------------------------
@FAST
@given(
    st.fixed_dictionaries({"title": FIELD, "author": FIELD, "publisher": FIELD, "date": FIELD, "url": FIELD}),
    st.text(min_size=1, max_size=200).filter(str.strip),
    FIELD,
)
def test_headers_round_trip(fields: dict[str, str], body: str, notes: str) -> None:
    article = Article(Source("round-trip", **fields), body.strip(), notes)
    assert parse_article(render_article(article)) == article


@FAST
@given(st.sampled_from(["title", "author", "notes", "tags"]), st.integers(1, 8))
def test_any_alias_is_refused(key: str, copies: int) -> None:
    header = f"base: &b hello\n{key}: [{', '.join(['*b'] * copies)}]"
    with pytest.raises(ValueError, match="aliases"):
        load_header(header)


@FAST
@given(st.sampled_from(["title", "author", "publisher", "url", "anything"]), st.integers(0, 3000))
def test_header_fields_are_bounded(key: str, length: int) -> None:
    header = f"{key}: {'x' * length}" if length else f"{key}: ''"
    if length > MAX_OTHER_FIELD_CHARS:
        with pytest.raises(ValueError, match="too long"):
            load_header(header)
    else:
        assert load_header(header)[key] == "x" * length


@FAST
@given(st.text(max_size=300))
def test_any_header_text_parses_or_is_refused_by_name(header: str) -> None:
    try:
        parse_article(f"---\nid: any\n{header}\n---\nBody.", "any.md")
    except CorpusError as exc:
        assert exc.code == "bad_corpus_file"


# --- /ask bodies --------------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
ASK_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "question": JSON_VALUES | st.text(max_size=600),
        "top_k": JSON_VALUES,
        "history": JSON_VALUES | st.lists(st.text(max_size=80), max_size=25),
    },
)


@pytest.fixture(scope="module")
def client(scratch: Path) -> Iterator[TestClient]:
    from support import TINY

    from libya_qa.corpus import load_corpus, write_article

    app_settings: Settings = make_settings(scratch, model="hashing-test-encoder", answer_threshold=0.0)
    for article in TINY:
        write_article(app_settings.corpus_dir, article)
    build_index(app_settings, HashingEncoder(), load_corpus(app_settings.corpus_dir))
    with TestClient(
        create_app(app_settings, QA(app_settings, HashingEncoder())), raise_server_exceptions=False
    ) as test_client:
        yield test_client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ASK_BODIES | JSON_VALUES)
def test_ask_never_answers_a_json_body_with_a_5xx(client: TestClient, body: object) -> None:
    response = client.post("/ask", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code in (200, 422), response.text
    if response.status_code != 200:
        assert set(response.json()["error"]) == {"code", "message"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300), st.sampled_from(["application/json", "text/plain", "multipart/form-data", ""]))
def test_ask_never_answers_raw_bytes_with_a_5xx(client: TestClient, body: bytes, content_type: str) -> None:
    response = client.post("/ask", content=body, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500 and set(response.json()["error"]) == {"code", "message"}
