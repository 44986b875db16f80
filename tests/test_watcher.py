"""The index watcher under a running server: damaged pointers and manifests, a bad poll, a stopped watcher."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import TINY

from libya_qa import app as app_module
from libya_qa.app import create_app
from libya_qa.build import build_index
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.index import CURRENT, VERSIONS, current_version, rollback, set_current
from libya_qa.qa import QA
from libya_qa.schema import Article


@pytest.fixture()
def client(tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A running server that polls for new versions every 20 ms."""
    monkeypatch.setattr(app_module, "RELOAD_SECONDS", 0.02)
    with TestClient(create_app(tiny_settings, QA(tiny_settings, HashingEncoder()))) as test_client:
        yield test_client


def health_until(client: TestClient, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Poll /healthz until `done` holds (at most about 30 s); the last body."""
    for _ in range(1500):
        body = client.get("/healthz").json()
        if done(body):
            return body
        time.sleep(0.02)
    raise AssertionError(f"/healthz never reached the expected state: {body}")


def new_version(settings: Settings, n: int) -> str:
    """Edit alpha and build; the new current version."""
    write_article(settings.corpus_dir, Article(TINY[0].source, f"Edit {n}. " + TINY[0].body))
    return build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir)).version


def test_the_watcher_survives_a_damaged_current_and_serves_the_next_build(
    client: TestClient, tiny_settings: Settings
) -> None:
    root = tiny_settings.index_dir
    good = current_version(root)
    (root / CURRENT).write_bytes(b"\xff")  # made the next poll raise, and the watcher end, for good
    broken = health_until(client, lambda h: h["reload_error"] is not None)
    assert broken["status"] == "degraded" and broken["watcher"]["state"] == "failing"
    assert broken["index_version"] == good and "libya-qa index" in broken["reload_error"]
    assert client.post("/ask", json={"question": "Who backed Haftar?"}).json()["index_version"] == good
    set_current(root, good)  # the pointer restored, then a new build: the server must follow
    newer = new_version(tiny_settings, 1)
    healthy = health_until(client, lambda h: h["index_version"] == newer)
    assert healthy["status"] == "ok" and healthy["reload_error"] is None and healthy["watcher"]["state"] == "running"


def test_a_manifest_of_the_wrong_shape_is_refused_and_rollback_takes_effect(
    client: TestClient, tiny_settings: Settings
) -> None:
    root = tiny_settings.index_dir
    first = current_version(root)
    second = new_version(tiny_settings, 1)
    health_until(client, lambda h: h["index_version"] == second)
    damaged = root / VERSIONS / "29990101T000000000000Z"
    shutil.copytree(root / VERSIONS / second, damaged)
    (damaged / "manifest.json").write_text("[]", "utf-8")  # valid JSON, wrong shape
    set_current(root, damaged.name)
    broken = health_until(client, lambda h: h["reload_error"] is not None)
    assert "wrong shape" in broken["reload_error"] and broken["index_version"] == second
    set_current(root, second)
    assert rollback(root) == (second, first)  # `libya-qa index --rollback` under the running server
    health_until(client, lambda h: h["index_version"] == first and h["status"] == "ok")


def test_an_unexpected_error_in_a_poll_does_not_stop_the_watcher(
    client: TestClient, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    qa = client.app.state.services.qa  # type: ignore[attr-defined]
    reload = qa.reload

    def failing_reload(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("simulated failure in a poll")

    monkeypatch.setattr(qa, "reload", failing_reload)
    failing = health_until(client, lambda h: h["watcher"]["error"] is not None)
    assert failing["watcher"]["state"] == "failing" and "simulated failure" in failing["watcher"]["error"]
    monkeypatch.setattr(qa, "reload", reload)
    newer = new_version(tiny_settings, 2)
    health_until(client, lambda h: h["index_version"] == newer and h["watcher"]["state"] == "running")


def test_a_stopped_watcher_makes_healthz_fail(client: TestClient) -> None:
    watcher = client.app.state.services.watcher  # type: ignore[attr-defined]
    client.portal.call(watcher.stop)  # type: ignore[union-attr]
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["watcher"]["state"] == "stopped"
    assert "restart the server" in body["watcher"]["error"]


def test_searcher_failures_are_caught_like_load_failures(
    tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    qa = QA(tiny_settings, HashingEncoder())
    served = qa.loaded.snapshot.version
    new_version(tiny_settings, 3)

    def broken_searcher(*args: Any, **kwargs: Any) -> None:
        raise ValueError("searcher set-up failed")

    monkeypatch.setattr("libya_qa.qa.Searcher", broken_searcher)
    assert qa.reload() is False and "searcher set-up failed" in qa.last_reload_error
    assert qa.loaded.snapshot.version == served and qa.reload_failures == 1
