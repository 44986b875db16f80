"""Admin HTTP endpoints: token rules, adding by upload or JSON, removing, background rebuilds."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import ROOT, assert_error, make_settings, real_encoder_for

from libya_qa import admin
from libya_qa.api import admin as api_admin
from libya_qa.app import create_app
from libya_qa.build import BuildReport, build_index
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus
from libya_qa.encoders import HashingEncoder
from libya_qa.qa import QA
from libya_qa.sources import build_lock

pytestmark = pytest.mark.both_stores
DATA = Path(__file__).parent / "data" / "ingest"
TOKEN = "s3cret-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GAS = {
    "text": "Gas from the Wafa field reached Italy through the Greenstream pipeline in 2015.",
    "title": "Greenstream Gas",
    "author": "Sami Nouri",
    "date": "2015-08-01",
    "id": "greenstream-gas-2015",
}


def client_for(settings: Settings) -> Iterator[TestClient]:
    """A running app (lifespan, watcher) over the settings' index with the hashing encoder."""
    with TestClient(create_app(settings, qa=QA(settings, HashingEncoder()))) as client:
        yield client


@pytest.fixture()
def client(tiny_settings: Settings) -> Iterator[TestClient]:
    """The app with an admin token configured."""
    yield from client_for(replace(tiny_settings, admin_token=TOKEN))


def wait_build(client: TestClient) -> dict[str, Any]:
    """Wait for the background build to end; its status."""
    app: Any = client.app
    app.state.services.runner.wait(timeout=60)
    status = client.get("/index").json()
    assert status["state"] in ("done", "failed")
    return status


def test_admin_endpoints_are_off_without_a_token(tiny_settings: Settings) -> None:
    for client in client_for(tiny_settings):
        for response in (
            client.post("/sources", json=GAS, headers=AUTH),
            client.delete("/sources/beta"),
            client.post("/index", headers=AUTH),
        ):
            assert "LIBYA_QA_ADMIN_TOKEN" in assert_error(response, 403, "admin_disabled")
        assert client.get("/index").json()["state"] == "idle"
    assert len(load_corpus(tiny_settings.corpus_dir)) == 2


def test_wrong_or_missing_token_is_401(client: TestClient, tiny_settings: Settings) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
    ):
        assert_error(client.post("/sources", json=GAS, headers=headers), 401, "unauthorized")
        assert_error(client.delete("/sources/beta", headers=headers), 401, "unauthorized")
        assert_error(client.post("/index", headers=headers), 401, "unauthorized")
    assert len(load_corpus(tiny_settings.corpus_dir)) == 2


def test_add_json_rebuild_and_ask_without_restart(client: TestClient) -> None:
    before = client.get("/healthz").json()
    response = client.post("/sources", json=GAS, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["id"] == "greenstream-gas-2015" and response.json()["missing"] == ["publisher", "url"]
    assert client.get("/index").json()["state"] == "idle"
    started = client.post("/index", headers=AUTH)
    assert started.status_code == 202 and started.json()["state"] in ("running", "done")
    status = wait_build(client)
    assert status["state"] == "done" and status["error"] is None
    assert status["stage"].startswith("building the searchers")  # the last stage the build reported
    report = status["report"]
    assert report["added"] == ["greenstream-gas-2015"] and report["unchanged"] == 2 and not report["full"]
    assert status["current_version"] == report["version"] == status["serving_version"]
    assert report["version"] in status["versions"]
    health = client.get("/healthz").json()
    assert health["index_version"] == report["version"] != before["index_version"]
    assert health["articles"] == before["articles"] + 1
    answer = client.post("/ask", json={"question": "Greenstream pipeline gas Italy Wafa"}).json()
    assert answer["index_version"] == report["version"]
    assert answer["excerpts"][0]["source"]["id"] == "greenstream-gas-2015"


def test_upload_html_and_pdf(client: TestClient) -> None:
    for name, content_type in (("sample-article.html", "text/html"), ("sample-article.pdf", "application/pdf")):
        files = {"file": (name, (DATA / name).read_bytes(), content_type)}
        response = client.post("/sources", files=files, data={"publisher": "Uploaded"}, headers=AUTH)
        assert response.status_code == 201, response.text
        assert response.json()["action"] == "added"
    ids = {a["id"] for a in client.get("/sources").json()["sources"]}
    assert "oasis-schools-teaching-kufra-2018" not in ids  # not indexed yet
    client.post("/index", headers=AUTH)
    assert wait_build(client)["report"]["added"] == [
        "desert-pipelines-water-power-southern-libya-2016",
        "oasis-schools-teaching-kufra-2018",
    ]
    source = client.get("/sources/oasis-schools-teaching-kufra-2018").json()
    assert source["publisher"] == "Uploaded" and source["author"] == "Omar Haddad"


def test_upload_without_a_suffix_uses_the_content_type(client: TestClient) -> None:
    files = {"file": ("download", (DATA / "sample-article.pdf").read_bytes(), "application/pdf")}
    response = client.post("/sources", files=files, headers=AUTH)
    assert response.status_code == 201 and response.json()["title"] == "Oasis Schools: Teaching in Kufra"


def test_duplicate_and_replace_over_http(client: TestClient) -> None:
    assert client.post("/sources", json=GAS, headers=AUTH).status_code == 201
    message = assert_error(client.post("/sources", json=GAS, headers=AUTH), 409, "duplicate_article")
    assert "greenstream-gas-2015" in message
    changed = {**GAS, "text": GAS["text"] + " Flows stopped in 2011."}
    assert_error(client.post("/sources", json=changed, headers=AUTH), 409, "article_exists")
    response = client.post("/sources", json={**changed, "replace": True}, headers=AUTH)
    assert response.status_code == 201 and response.json()["action"] == "replaced"


def test_upload_errors_write_nothing(
    client: TestClient, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def upload(name: str, payload: bytes, content_type: str = "text/plain") -> Any:
        return client.post("/sources", files={"file": (name, payload, content_type)}, headers=AUTH)

    assert_error(upload("empty.txt", b""), 400, "empty_source")
    assert_error(upload("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), 400, "binary_file")
    assert_error(upload("report.docx", b"PK\x03\x04"), 400, "unsupported_file")
    assert_error(upload("odd.txt", b"Libya \x81\x8d\x8f\x90\x9d report " * 30), 400, "undecodable_text")
    monkeypatch.setattr(api_admin, "MAX_SOURCE_BYTES", 64)
    assert_error(upload("big.txt", b"word " * 100), 413, "too_large")
    assert_error(
        client.post("/sources", data={"title": "no file"}, files={"x": ("a", b"b")}, headers=AUTH), 400, "missing_file"
    )
    assert_error(
        client.post("/sources", content=b"plain", headers={**AUTH, "Content-Type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    assert_error(
        client.post("/sources", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}),
        422,
        "invalid_request",
    )
    assert_error(client.post("/sources", json={"title": "no text"}, headers=AUTH), 422, "invalid_request")
    assert_error(client.post("/sources", json={**GAS, "date": "soon"}, headers=AUTH), 400, "bad_metadata")
    assert len(load_corpus(tiny_settings.corpus_dir)) == 2


def test_delete_then_rebuild_drops_the_article(client: TestClient) -> None:
    assert_error(client.delete("/sources/nope", headers=AUTH), 404, "unknown_source")
    response = client.delete("/sources/beta", headers=AUTH)
    assert response.status_code == 200 and response.json()["removed"] is True
    assert client.get("/sources/beta").status_code == 200  # still served until the rebuild
    client.post("/index", headers=AUTH)
    assert wait_build(client)["report"]["removed"] == ["beta"]
    assert_error(client.get("/sources/beta"), 404, "unknown_source")


def test_one_build_at_a_time(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    release, entered = threading.Event(), threading.Event()
    original = admin.build_from_corpus

    def slow_build(*args: Any, **kwargs: Any) -> BuildReport:
        entered.set()
        assert release.wait(60)
        return original(*args, **kwargs)

    monkeypatch.setattr(admin, "build_from_corpus", slow_build)
    assert client.post("/index?full=true", headers=AUTH).status_code == 202
    assert entered.wait(60)
    status = client.get("/index").json()
    assert status["state"] == "running" and status["full"] is True and status["report"] is None
    assert_error(client.post("/index", headers=AUTH), 409, "build_running")
    assert client.post("/ask", json={"question": "Who backed Haftar?"}).status_code == 200  # still serving
    release.set()
    status = wait_build(client)
    assert status["state"] == "done" and status["report"]["full"] is True
    assert client.post("/index", headers=AUTH).status_code == 202  # free again
    wait_build(client)


def test_a_build_held_by_another_process_is_409(client: TestClient, tiny_settings: Settings) -> None:
    with build_lock(tiny_settings):  # as a CLI build holds it
        assert_error(client.post("/index", headers=AUTH), 409, "busy")
    assert client.get("/index").json()["state"] == "idle"


def test_a_failed_build_is_reported_and_the_old_index_keeps_serving(
    client: TestClient, tiny_settings: Settings
) -> None:
    version = client.get("/healthz").json()["index_version"]
    for path in tiny_settings.corpus_dir.glob("*.md"):
        path.unlink()
    client.post("/index", headers=AUTH)
    status = wait_build(client)
    assert status["state"] == "failed" and status["error"]["code"] == "corpus_empty"
    assert "libya-qa add" in status["error"]["message"] and status["current_version"] == version
    assert client.post("/ask", json={"question": "Who backed Haftar?"}).json()["index_version"] == version


@pytest.mark.model
def test_real_model_html_and_pdf_added_over_http_are_answered(tmp_path: Path) -> None:
    """Done means: add an HTML and a PDF article, rebuild, ask the running server, no restart."""
    settings = make_settings(tmp_path, admin_token=TOKEN)
    shutil.copytree(ROOT / "corpus", settings.corpus_dir)
    encoder = real_encoder_for(settings)
    build_index(settings, encoder, load_corpus(settings.corpus_dir))
    with TestClient(create_app(settings, qa=QA(settings, encoder))) as client:
        for name in ("sample-article.html", "sample-article.pdf"):
            files = {"file": (name, (DATA / name).read_bytes(), "application/octet-stream")}
            assert client.post("/sources", files=files, headers=AUTH).status_code == 201
        assert client.post("/index", headers=AUTH).status_code == 202
        status = wait_build(client)
        assert status["report"]["encoded_sentences"] < status["report"]["sentences"] / 5  # incremental
        app: Any = client.app
        bodies = {a.id: a.body for a in app.state.services.qa.loaded.snapshot.articles}
        for question, article_id in (
            ("Who shut the valves of the Great Man-Made River?", "desert-pipelines-water-power-southern-libya-2016"),
            ("When did the primary school in Kufra reopen?", "oasis-schools-teaching-kufra-2018"),
        ):
            answer = client.post("/ask", json={"question": question}).json()
            assert answer["status"] == "answered" and answer["index_version"] == status["current_version"]
            assert answer["excerpts"][0]["source"]["id"] == article_id
            for e in answer["excerpts"]:
                assert bodies[e["source"]["id"]][e["start"] : e["end"]] == e["quote"]


def test_a_form_flag_that_is_not_a_boolean_is_refused(client: TestClient, tiny_settings: Settings) -> None:
    files = {"file": ("note.txt", b"Some text about the Wafa field and its gas.", "text/plain")}
    message = assert_error(
        client.post("/sources", files=files, data={"replace": "maybe"}, headers=AUTH), 422, "invalid_request"
    )
    assert message == "replace: Input should be a valid boolean"
    assert len(load_corpus(tiny_settings.corpus_dir)) == 2
