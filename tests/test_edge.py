"""The HTTP edge: one error shape for everything (a crash too), bounded bodies, admission control,
request ids, metrics and log lines, versioned source links, no server paths in any answer."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
import structlog
from fastapi import Request
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send
from support import TINY, assert_error

from libya_qa.api.edge import Edge
from libya_qa.api.metrics import Metrics
from libya_qa.app import create_app
from libya_qa.build import build_index
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.errors import BadSetting
from libya_qa.index import VERSIONS, list_versions, prune_versions
from libya_qa.qa import QA
from libya_qa.schema import Article
from libya_qa.web import CSP

JSON = {"content-type": "application/json"}
TOKEN = "edge-token"


def running(settings: Settings, qa: QA | None = None) -> Iterator[TestClient]:
    """A started app over the settings' index (hashing encoder); server errors come back as responses."""
    app = create_app(settings, qa or QA(settings, HashingEncoder()))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture()
def client(tiny_settings: Settings, tiny_qa: QA) -> Iterator[TestClient]:
    yield from running(tiny_settings, tiny_qa)


# --- one error shape --------------------------------------------------------------------
def test_an_unexpected_exception_is_a_json_500_with_the_security_headers(
    client: TestClient, tiny_qa: QA, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("/srv/secret/path exploded")

    monkeypatch.setattr(tiny_qa, "ask", crash)
    response = client.post("/ask", json={"question": "Who backed Haftar?"})
    message = assert_error(response, 500, "internal_error")
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-request-id"] in message and "secret" not in message and "Runtime" not in message


@pytest.mark.parametrize(
    "body, code, words",
    [
        (b'{"question": "Who backed Haftar? \\ud800"}', "invalid_text", "lone surrogate \\ud800"),
        (
            b'{"question": "Who backed Haftar?", "history": ["earlier \\udfff question"]}',
            "invalid_request",
            "history.0: Input should be a valid string, unable to parse raw data as a unicode string",
        ),
    ],
)
def test_a_lone_surrogate_is_a_422_not_a_500(client: TestClient, body: bytes, code: str, words: str) -> None:
    assert words in assert_error(client.post("/ask", content=body, headers=JSON), 422, code)


@pytest.mark.parametrize("top_k", [True, "5", 5.0, None])
def test_top_k_must_be_a_real_integer(client: TestClient, top_k: object) -> None:
    assert_error(client.post("/ask", json={"question": "Who backed Haftar?", "top_k": top_k}), 422, "invalid_request")


@pytest.mark.parametrize("body", [b"{not json", b'{"question": "\xff\xfe"}', b"", b"[]", b'"text"'])
def test_malformed_bodies_are_invalid_request(client: TestClient, body: bytes) -> None:
    assert_error(
        client.post("/ask", content=body, headers=JSON),
        422 if body[:1] != b"{" or body == b"{not json" else 400,
        "invalid_request",
    )


@pytest.mark.parametrize(
    "path, allowed",
    [("/ask", "POST"), ("/sources", "GET, POST"), ("/index", "GET, POST"), ("/sources/alpha", "DELETE, GET, PATCH")],
)
def test_405_says_which_methods_are_allowed(client: TestClient, path: str, allowed: str) -> None:
    response = client.put(path, json={})
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


def test_unknown_fields_are_refused(client: TestClient) -> None:
    assert "Extra inputs" in assert_error(
        client.post("/ask", json={"question": "Who?", "topk": 3}), 422, "invalid_request"
    )


# --- bounded bodies ---------------------------------------------------------------------
def test_a_huge_history_is_refused_before_it_is_read(client: TestClient) -> None:
    history = b",".join([b'"' + b"x" * 1000 + b'"'] * 100_000)  # 100 MB: answered 200 before, 250 MB kept
    message = assert_error(
        client.post("/ask", content=b'{"question": "Who?", "history": [' + history + b"]}", headers=JSON),
        413,
        "too_large",
    )
    assert "32 KiB" in message and "95.7 MiB" in message


def test_a_body_without_a_length_is_cut_off_at_the_limit(tiny_settings: Settings) -> None:
    """Driven at the ASGI level: the test client would read a streamed body whole before sending it."""
    pulled: list[int] = []
    sent: list[Message] = []

    async def receive() -> Message:
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": len(pulled) < 10_000}  # 10 MB offered

    async def send(message: Message) -> None:
        sent.append(message)

    async def read_all(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive).body()

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/ask",
        "headers": [(b"content-type", b"application/json")],
        "query_string": b"",
    }
    edge = Edge(read_all, tiny_settings, Metrics())
    # A thread of its own: Playwright's sync API (the browser tests) keeps an event loop running in this one.
    worker = threading.Thread(target=lambda: asyncio.run(edge(scope, receive, send)))
    worker.start()
    worker.join(60)
    assert sent[0]["status"] == 413 and len(pulled) == 33  # 32 KiB, and the chunk that crossed the limit
    assert json.loads(sent[1]["body"])["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    "history, status", [(["Who backed Haftar?"] * 20, 200), (["Who?"] * 21, 422), (["x" * 2001], 422)]
)
def test_history_is_bounded_in_count_and_length(client: TestClient, history: list[str], status: int) -> None:
    assert client.post("/ask", json={"question": "And Qatar?", "history": history}).status_code == status


def test_an_admin_upload_without_a_length_is_cut_off_at_the_limit(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, admin_token=TOKEN)

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(30):
            yield b"x" * (1 << 20)

    for client in running(settings):
        response = client.post("/sources", content=chunks(), headers={**JSON, "Authorization": f"Bearer {TOKEN}"})
        assert "21.0 MiB" in assert_error(response, 413, "too_large")
        big = client.post(
            "/sources",
            content=b"x" * (100 << 20),
            headers={"content-type": "multipart/form-data; boundary=b", "Authorization": f"Bearer {TOKEN}"},
        )
        assert "100.0 MiB" in assert_error(big, 413, "too_large")  # the size sent, not the 20 MiB read
    assert len(load_corpus(settings.corpus_dir)) == 2


# --- admission control ------------------------------------------------------------------
def test_past_capacity_a_question_gets_a_fast_503_with_retry_after(
    tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = replace(tiny_settings, max_concurrent=1, max_queued=1)
    qa = QA(settings, HashingEncoder())
    entered, release = threading.Event(), threading.Event()
    ask = qa.ask

    def slow_ask(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return ask(*args, **kwargs)

    for client in running(settings, qa):
        monkeypatch.setattr(qa, "ask", slow_ask)
        results: list[int] = []
        workers = [
            threading.Thread(
                target=lambda client=client, results=results: results.append(
                    client.post("/ask", json={"question": "Who backed Haftar?"}).status_code
                )
            )
            for _ in range(2)
        ]
        workers[0].start()
        assert entered.wait(30)
        workers[1].start()  # waits in the queue
        gate = client.app.state.services.gate  # type: ignore[attr-defined]
        for _ in range(3000):
            if gate.waiting:
                break
            threading.Event().wait(0.01)
        shed = client.post("/ask", json={"question": "Who backed Haftar?"})
        assert "at capacity" in assert_error(shed, 503, "overloaded") and shed.headers["retry-after"] == "1"
        assert client.get("/healthz").status_code == 200  # monitoring is never shed
        release.set()
        for worker in workers:
            worker.join(30)
        assert results == [200, 200]
        assert "libya_qa_shed_total 1.0" in client.get("/metrics").text


def test_capacity_is_sized_to_the_machine_by_default(tiny_settings: Settings) -> None:
    assert (
        tiny_settings.concurrent_limit == max(1, tiny_settings.cores - 1)
        and tiny_settings.queue_limit == 2 * tiny_settings.cores
    )
    assert replace(tiny_settings, max_concurrent=3, max_queued=7).queue_limit == 7


def test_an_admin_token_with_whitespace_is_refused_at_start(tiny_settings: Settings) -> None:
    with pytest.raises(BadSetting, match="ADMIN_TOKEN must be free of whitespace") as info:
        replace(tiny_settings, admin_token="secret\n")
    assert "secret" not in info.value.message


# --- observability ----------------------------------------------------------------------
def test_one_log_line_per_request_with_its_id_and_never_the_token(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, admin_token=TOKEN)
    for client in running(settings):
        with structlog.testing.capture_logs() as logs:
            answer = client.post("/ask", json={"question": "Who backed Haftar?"}, headers={"X-Request-ID": "abc-123"})
            client.post("/index?full=true", headers={"Authorization": f"Bearer {TOKEN}"})
            client.app.state.services.runner.wait(60)  # type: ignore[attr-defined]
    lines = [entry for entry in logs if entry["event"] == "request"]
    assert answer.headers["x-request-id"] == "abc-123"
    assert lines[0] == {
        **lines[0],
        "request_id": "abc-123",
        "method": "POST",
        "route": "/ask",
        "status": 200,
        "answered": "answered",
    }
    assert lines[1]["route"] == "/index" and lines[1]["status"] == 202 and lines[1]["duration_ms"] >= 0
    assert TOKEN not in repr(logs)


def test_metrics_cover_requests_answers_the_index_and_builds(client: TestClient, tiny_qa: QA) -> None:
    client.post("/ask", json={"question": "Who backed Haftar?"})
    client.get("/sources/nope")
    text = client.get("/metrics").text
    for line in (
        'libya_qa_requests_total{method="POST",route="/ask",status="200"} 1.0',
        'libya_qa_requests_total{method="GET",route="/sources/{source_id}",status="404"} 1.0',
        'libya_qa_answers_total{status="answered"} 1.0',
        f'libya_qa_index_info{{version="{tiny_qa.loaded.snapshot.version}"}} 1.0',
        "libya_qa_reload_failures_total 0.0",
        "libya_qa_watcher_up 1.0",
        "libya_qa_shed_total 0.0",
        'libya_qa_build_info{stage="",state="idle"} 1.0',
    ):
        assert line in text, line
    assert 'libya_qa_request_duration_seconds_bucket{le="1.5",method="POST",route="/ask",status="200"} 1.0' in text
    assert "libya_qa_index_age_seconds" in text


# --- pages and assets -------------------------------------------------------------------
def test_asset_urls_never_come_from_the_host_header(client: TestClient) -> None:
    page = client.get("/", headers={"Host": "evil.example"}).text
    assert "evil.example" not in page and 'href="/static/style.css"' in page


def test_an_unknown_page_in_a_browser_is_the_page_with_the_message(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "there is nothing at this address" in response.text and response.headers["x-request-id"]


# --- versioned sources ------------------------------------------------------------------
def edit_alpha(settings: Settings, prefix: str) -> str:
    """Change alpha's text (shifting every offset), rebuild; the new version."""
    write_article(settings.corpus_dir, Article(TINY[0].source, prefix + TINY[0].body))
    return build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir)).version


def test_a_quote_from_an_earlier_version_can_still_be_checked(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, keep_versions=2)
    for client in running(settings):
        first = client.post("/ask", json={"question": "Who backed Haftar?"}).json()
        quote = next(e for e in first["excerpts"] if e["source"]["id"] == "alpha")
        edit_alpha(settings, "An editor's note added at the top. ")
        client.app.state.services.qa.reload()  # type: ignore[attr-defined]
        old = client.get("/sources/alpha", params={"version": first["index_version"]}).json()
        assert old["version"] == first["index_version"] and old["changed_since"] is True
        assert old["body"][quote["start"] : quote["end"]] == quote["quote"]
        now = client.get("/sources/alpha").json()
        assert now["changed_since"] is False and now["body"][quote["start"] : quote["end"]] != quote["quote"]
        page = client.get(
            "/sources/alpha",
            params={"version": first["index_version"], "start": quote["start"], "end": quote["end"]},
            headers={"accept": "text/html"},
        ).text
        assert "This article has changed since the quote was made." in page
        assert (
            f'<mark id="quote" class="quote" tabindex="-1" aria-describedby="quote-note">{quote["quote"]}</mark>'
            in page
        )
        unchanged = client.get("/sources/beta", params={"version": first["index_version"]}).json()
        assert unchanged["changed_since"] is False
        edit_alpha(settings, "A second note. ")  # keep_versions=2: the first version is pruned
        assert first["index_version"] not in list_versions(settings.index_dir)
        message = assert_error(
            client.get("/sources/alpha", params={"version": first["index_version"]}), 410, "version_gone"
        )
        assert "no longer kept" in message and "/sources/alpha" in message
        assert_error(client.get("/sources/alpha", params={"version": "../../etc"}), 422, "invalid_request")


def test_answer_links_carry_the_version(client: TestClient) -> None:
    page = client.get("/", params={"q": "Who backed Haftar?"}).text
    version = client.get("/healthz").json()["index_version"]
    assert f"/sources/alpha?version={version}&amp;start=0&amp;end=" in page


# --- no server paths --------------------------------------------------------------------
def test_no_response_carries_a_server_path(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, admin_token=TOKEN)
    (settings.corpus_dir / "broken.md").write_text("no header at all", "utf-8")  # the next build fails on it
    for client in running(settings):
        client.post("/index", headers={"Authorization": f"Bearer {TOKEN}"})
        client.app.state.services.runner.wait(60)  # type: ignore[attr-defined]
        failed = client.get("/index").json()
        (settings.index_dir / "CURRENT").write_text("29990101T000000000000Z\n")  # names a missing version
        client.app.state.services.qa.reload()  # type: ignore[attr-defined]
        health = client.get("/healthz").json()
        busy = client.delete("/sources/nope", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert failed["state"] == "failed" and "broken.md" in failed["error"]["message"]
    assert health["status"] == "degraded" and "manifest" in health["reload_error"]
    root = str(settings.corpus_dir.parent)
    for text in (repr(failed), repr(health), repr(busy)):
        assert root not in text and "/tmp" not in text, text


def test_pruned_versions_are_never_read_back(tiny_settings: Settings) -> None:
    """prune_versions keeps the current version even when told to keep one (the 410 relies on it)."""
    current = edit_alpha(tiny_settings, "x ")
    prune_versions(tiny_settings.index_dir, 1)
    assert [p.name for p in (tiny_settings.index_dir / VERSIONS).iterdir()] == [current]


def test_a_question_runs_on_a_pool_thread_with_the_servers_thread_limit() -> None:
    """OpenMP keeps its thread count per thread: the limit is set in the thread that answers, not only at start-up."""
    from libya_qa import encoders
    from libya_qa.api.gate import Gate

    def seen() -> tuple[int | None, bool]:
        return getattr(encoders._THIS_THREAD, "threads", None), threading.current_thread() is threading.main_thread()

    async def ask_twice() -> list[tuple[int | None, bool]]:
        gate = Gate(1, 1, threads=1)
        return [await gate.answer(seen), await gate.answer(seen)]

    with ThreadPoolExecutor(1) as pool:  # a loop of its own: other tests may leave one running in this thread
        assert pool.submit(asyncio.run, ask_twice()).result() == [(1, False), (1, False)]
    assert seen() == (None, True)  # the caller's own thread is left as it was
