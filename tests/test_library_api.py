"""The library's API: preview, metadata edits that re-embed nothing, rollback over HTTP, build progress events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import assert_error, load_snapshot

from libya_qa.app import create_app
from libya_qa.build import build_index
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus
from libya_qa.encoders import HashingEncoder
from libya_qa.qa import QA
from libya_qa.sources import edit_metadata

DATA = Path(__file__).parent / "data" / "ingest"
TOKEN = "library-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class CountingEncoder(HashingEncoder):
    """The hashing encoder, counting the sentences it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded = 0

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> Any:
        self.encoded += len(texts)
        return super().encode(texts, batch_size, progress)


@pytest.fixture()
def client(tiny_settings: Settings) -> Iterator[TestClient]:
    settings = replace(tiny_settings, admin_token=TOKEN)
    with TestClient(create_app(settings, qa=QA(settings, HashingEncoder()))) as c:
        yield c


def build(client: TestClient) -> dict[str, Any]:
    """Start a build and wait for it; GET /index's body."""
    assert client.post("/index", headers=AUTH).status_code == 202
    client.app.state.services.runner.wait(timeout=60)  # type: ignore[attr-defined]
    return client.get("/index").json()


# --- metadata-only changes --------------------------------------------------------------
def test_a_metadata_edit_is_served_by_the_next_build_without_embedding_anything(tiny_settings: Settings) -> None:
    encoder = CountingEncoder()
    before = load_snapshot(tiny_settings.index_dir)
    edit_metadata(tiny_settings, "beta", {"date": "2015-11", "author": "Bea Writer"})
    report = build_index(tiny_settings, encoder, load_corpus(tiny_settings.corpus_dir))
    assert encoder.encoded == 0 and report.encoded_sentences == 0
    assert report.relabelled == ("beta",) and report.updated == () and report.unchanged == 2
    after = load_snapshot(tiny_settings.index_dir)
    assert after.article_by_id("beta").source.date == "2015-11"
    assert after.article_by_id("beta").source.author == "Bea Writer"
    assert (after.tables.vectors == before.tables.vectors).all()  # the very same vectors, carried forward


def test_a_body_change_is_still_embedded(tiny_settings: Settings) -> None:
    article = load_corpus(tiny_settings.corpus_dir)[1]
    changed = replace(article, body=article.body + " Egypt closed its border in 2015.")
    encoder = CountingEncoder()
    report = build_index(tiny_settings, encoder, [load_corpus(tiny_settings.corpus_dir)[0], changed])
    assert report.updated == ("beta",) and report.relabelled == () and encoder.encoded > 0


def test_patch_changes_only_the_named_fields_and_refuses_bad_values(
    client: TestClient, tiny_settings: Settings
) -> None:
    response = client.patch("/sources/alpha", json={"date": "2015-02", "url": ""}, headers=AUTH)
    assert response.status_code == 200, response.text
    source = response.json()["source"]
    assert (source["date"], source["url"], source["author"]) == ("2015-02", "unknown", "Ann Author")
    assert response.json()["indexed"] is False
    alpha = load_corpus(tiny_settings.corpus_dir)[0]
    assert alpha.source.date == "2015-02" and alpha.body.startswith("Haftar was backed by Egypt.")
    assert "YYYY" in assert_error(
        client.patch("/sources/alpha", json={"date": "Feb 2015"}, headers=AUTH), 400, "bad_metadata"
    )
    assert_error(client.patch("/sources/alpha", json={"id": "other"}, headers=AUTH), 422, "invalid_request")
    assert_error(client.patch("/sources/nope", json={"title": "X"}, headers=AUTH), 404, "unknown_source")
    assert_error(client.patch("/sources/alpha", json={"title": "X"}), 401, "unauthorized")


def test_the_library_lists_edited_articles_as_changed_then_indexed(client: TestClient) -> None:
    client.patch("/sources/beta", json={"title": "Beta, retitled"}, headers=AUTH)
    rows = {r["id"]: r for r in client.get("/library", params={"format": "json"}).json()["sources"]}
    assert rows["beta"]["status"] == "changed" and rows["beta"]["title"] == "Beta, retitled"
    assert rows["alpha"]["status"] == "indexed" and rows["alpha"]["author"] == "Ann Author"
    status = build(client)
    assert status["report"]["relabelled"] == ["beta"] and status["report"]["encoded_sentences"] == 0
    assert status["percent"] == 100.0
    rows = {r["id"]: r for r in client.get("/library", params={"format": "json"}).json()["sources"]}
    assert rows["beta"]["status"] == "indexed"
    assert client.get("/sources/beta").json()["title"] == "Beta, retitled"


# --- preview ----------------------------------------------------------------------------
def test_preview_extracts_a_pdf_without_writing_it(client: TestClient, tiny_settings: Settings) -> None:
    files = {"file": ("sample-article.pdf", (DATA / "sample-article.pdf").read_bytes(), "application/pdf")}
    response = client.post("/sources/preview", files=files, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"]["title"] == "Oasis Schools: Teaching in Kufra" and body["kind"] == "pdf"
    assert body["source"]["id"] == "oasis-schools-teaching-kufra-2018" and "publisher" in body["missing"]
    assert body["words"] > 20 and body["excerpt"]
    assert len(load_corpus(tiny_settings.corpus_dir)) == 2  # nothing written


def test_preview_of_pasted_text_and_its_errors(client: TestClient) -> None:
    body = client.post(
        "/sources/preview", json={"text": "# Gas\n\nGas reached Italy in 2015.", "date": "2015"}, headers=AUTH
    ).json()
    assert body["source"]["title"] == "Gas" and body["source"]["date"] == "2015" and body["kind"] == "markdown"
    assert_error(client.post("/sources/preview", json={"title": "no text"}, headers=AUTH), 422, "invalid_request")
    assert_error(
        client.post("/sources/preview", json={"text": "x", "fetch": "https://a.example/"}, headers=AUTH),
        422,
        "invalid_request",
    )
    assert_error(client.post("/sources/preview", json={"text": "x"}), 401, "unauthorized")


def test_adding_by_url_fetches_the_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake_fetch(url: str, meta: Any) -> Any:  # the network is not used in tests; fetch_url has its own
        from libya_qa.ingest import read_bytes

        seen.append(url)
        return read_bytes((DATA / "sample-article.html").read_bytes(), "page.html", meta, url=url)

    monkeypatch.setattr("libya_qa.api.admin.fetch_url", fake_fetch)
    response = client.post(
        "/sources", json={"fetch": "https://news.example/desert", "date": "2016-05-02"}, headers=AUTH
    )
    assert response.status_code == 201, response.text
    assert seen == ["https://news.example/desert"] and response.json()["action"] == "added"


# --- rollback and progress --------------------------------------------------------------
def test_rollback_over_http_serves_the_previous_version(client: TestClient) -> None:
    first = client.get("/healthz").json()["index_version"]
    client.patch("/sources/alpha", json={"title": "Alpha 2"}, headers=AUTH)
    second = build(client)["current_version"]
    assert client.get("/sources/alpha").json()["title"] == "Alpha 2"
    response = client.post("/index/rollback", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"previous": second, "current": first}
    assert client.get("/healthz").json()["index_version"] == first  # served at once, no watcher wait
    assert client.get("/sources/alpha").json()["title"] == "Alpha"
    assert_error(client.post("/index/rollback"), 401, "unauthorized")


def test_build_events_stream_the_state_until_the_build_ends(client: TestClient) -> None:
    with client.stream("GET", "/index/events") as idle:
        assert idle.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in idle.iter_lines() if line.startswith("data: ")]
    assert [e["state"] for e in events] == ["idle"]
    client.post("/index", headers=AUTH)
    with client.stream("GET", "/index/events") as running:
        events = [json.loads(line[6:]) for line in running.iter_lines() if line.startswith("data: ")]
    assert events[-1]["state"] == "done" and events[-1]["percent"] == 100.0
    percents = [e["percent"] for e in events if e["percent"] is not None]
    assert percents == sorted(percents)
