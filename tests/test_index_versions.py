"""Index versions: rollback, pruning, a build killed half-way, corrupt versions, swaps under load."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import ROOT, TINY, kill_build_at, load_snapshot, make_settings, real_encoder_for

from libya_qa.app import create_app
from libya_qa.build import build_index
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.errors import IndexUnavailable
from libya_qa.index import FORMAT, VERSIONS, current_version, list_versions, prune_versions, rollback, set_current
from libya_qa.qa import QA
from libya_qa.schema import Answer, Article

QUESTION = "Who backed Haftar?"


def rebuild_with_alpha(settings: Settings, n: int) -> str:
    """Change alpha's text (shifting every offset) and build a new version; returns it."""
    body = f"Revision {n}{'!' * n} of the notes. " + TINY[0].body
    write_article(settings.corpus_dir, Article(TINY[0].source, body))
    return build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir)).version


def bodies_of(settings: Settings, version: str) -> dict[str, str]:
    """Article id -> body, as stored in one version."""
    return {a.id: a.body for a in load_snapshot(settings.index_dir, version).articles}


def check_answer(answer: Answer, bodies: dict[str, dict[str, str]]) -> None:
    """The answer comes from one known version and every quote is that version's text."""
    assert answer.index_version in bodies
    for e in answer.excerpts:
        assert bodies[answer.index_version][e.source.id][e.start : e.end] == e.quote


# --- rollback and pruning -----------------------------------------------------------------
def test_rollback_returns_to_the_previous_version(tiny_settings: Settings) -> None:
    first = current_version(tiny_settings.index_dir)
    qa = QA(tiny_settings, HashingEncoder())
    second = rebuild_with_alpha(tiny_settings, 1)
    assert qa.reload() and qa.loaded.snapshot.version == second
    assert rollback(tiny_settings.index_dir) == (second, first)
    assert current_version(tiny_settings.index_dir) == first and qa.reload()
    assert qa.ask(QUESTION).index_version == first
    with pytest.raises(IndexUnavailable) as info:
        rollback(tiny_settings.index_dir)
    assert info.value.code == "no_previous_version" and "libya-qa index --full" in info.value.message
    assert set(list_versions(tiny_settings.index_dir)) == {first, second}  # rollback deletes nothing


def test_rollback_skips_a_damaged_version(tiny_settings: Settings) -> None:
    first = current_version(tiny_settings.index_dir)
    second = rebuild_with_alpha(tiny_settings, 1)
    third = rebuild_with_alpha(tiny_settings, 2)
    (tiny_settings.index_dir / VERSIONS / second / "passages.npy").write_bytes(b"damaged")
    assert rollback(tiny_settings.index_dir) == (third, first)


def test_only_the_last_versions_are_kept(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, keep_versions=2)
    versions = [str(current_version(settings.index_dir))] + [rebuild_with_alpha(settings, n) for n in range(1, 4)]
    assert list_versions(settings.index_dir) == versions[-2:]
    set_current(settings.index_dir, versions[-2])  # a rolled-back current version is never pruned
    assert prune_versions(settings.index_dir, 1) == []
    assert list_versions(settings.index_dir) == versions[-2:]


def test_pruning_never_deletes_the_version_a_rollback_needs(tiny_settings: Settings) -> None:
    """Damaged versions newer than the last intact one do not push it out of the kept ones."""
    settings = replace(tiny_settings, keep_versions=2)
    intact = str(current_version(settings.index_dir))
    for n in (1, 2):  # two builds whose versions are then damaged, the newest current
        damaged = rebuild_with_alpha(settings, n)
        (settings.index_dir / VERSIONS / damaged / "passages.npy").write_bytes(b"damaged")
    newest = rebuild_with_alpha(settings, 3)
    assert intact in list_versions(settings.index_dir) and len(list_versions(settings.index_dir)) == 3
    assert rollback(settings.index_dir) == (newest, intact)
    assert prune_versions(settings.index_dir, 1) != [] and list_versions(settings.index_dir)[-1] == newest


# --- a build killed half-way --------------------------------------------------------------
STALL_AT = {
    "encode": "libya_qa.encoders:HashingEncoder.encode",
    "save": "libya_qa.index:_sha256",
}  # files written into the temporary folder, manifest not yet


@pytest.mark.parametrize("point", ["encode", "save"])
def test_a_build_killed_half_way_leaves_the_current_index_serving(
    tiny_settings: Settings, tmp_path: Path, point: str
) -> None:
    before = rebuild_with_alpha(tiny_settings, 1)
    env = {
        **os.environ,
        "LIBYA_QA_CORPUS": str(tiny_settings.corpus_dir),
        "LIBYA_QA_INDEX": str(tiny_settings.index_dir),
        "LIBYA_QA_MODEL": "hashing-test-encoder",
    }
    kill_build_at(STALL_AT[point], env, tmp_path / "stalled")
    index_dir = tiny_settings.index_dir
    assert current_version(index_dir) == before and list_versions(index_dir)[-1] == before
    partial = list((index_dir / VERSIONS).glob(".building-*"))
    assert len(partial) == (1 if point == "save" else 0)
    answer = QA(tiny_settings, HashingEncoder()).ask(QUESTION)
    assert answer.index_version == before and answer.excerpts
    check_answer(answer, {before: bodies_of(tiny_settings, before)})
    after = rebuild_with_alpha(tiny_settings, 2)  # the next build works and sweeps the leftovers
    assert current_version(index_dir) == after and not list((index_dir / VERSIONS).glob(".building-*"))


# --- corrupt versions ---------------------------------------------------------------------
def test_a_corrupt_new_version_is_refused_and_the_old_one_keeps_serving(tiny_settings: Settings) -> None:
    qa = QA(tiny_settings, HashingEncoder())
    good = qa.loaded.snapshot.version
    with TestClient(create_app(tiny_settings, qa=qa)) as client:
        bad = rebuild_with_alpha(tiny_settings, 1)  # CURRENT now points at it
        vectors = tiny_settings.index_dir / VERSIONS / bad / "sentence_vectors.npy"
        vectors.write_bytes(vectors.read_bytes()[:-8])  # truncated, as a half-copied file would be
        assert qa.reload() is False
        assert "libya-qa index --full" in qa.last_reload_error and "sentence_vectors.npy" in qa.last_reload_error
        health = client.get("/healthz").json()
        assert health["index_version"] == good and "--rollback" in health["reload_error"]
        answer = client.post("/ask", json={"question": QUESTION})
        assert answer.status_code == 200 and answer.json()["index_version"] == good
    with pytest.raises(IndexUnavailable) as info:
        QA(tiny_settings, HashingEncoder())  # a fresh start says what is wrong and how to fix it
    assert info.value.code == "index_corrupt" and "libya-qa index --full" in info.value.message


def test_a_partial_version_folder_is_detected(tiny_settings: Settings) -> None:
    qa = QA(tiny_settings, HashingEncoder())
    good = qa.loaded.snapshot.version
    partial = tiny_settings.index_dir / VERSIONS / "29990101T000000000000Z"
    shutil.copytree(tiny_settings.index_dir / VERSIONS / good, partial)
    (partial / "manifest.json").unlink()
    set_current(tiny_settings.index_dir, partial.name)
    assert qa.reload() is False and "no readable manifest" in qa.last_reload_error
    assert qa.ask(QUESTION).index_version == good
    (partial / "manifest.json").write_text(json.dumps({"format": FORMAT}), "utf-8")  # lists no files: no index
    (partial / "passages.faiss").unlink()
    assert qa.reload() is False and "no readable manifest" in qa.last_reload_error  # not re-verified each poll
    assert qa.reload(retry_failed=True) is False and "cannot be read" in qa.last_reload_error


# --- swapping under load ------------------------------------------------------------------
def hammer(ask: Callable[[], Any], answers: list[Any], errors: list[Exception], stop: threading.Event) -> None:
    """Ask until told to stop (bounded by a count)."""
    for _ in range(20_000):
        if stop.is_set():
            return
        try:
            answers.append(ask())
        except Exception as exc:  # collected and asserted on: no request may fail during a swap
            errors.append(exc)


def swap_under_load(settings: Settings, qa: QA, ask: Callable[[], Any]) -> tuple[list[Any], dict[str, dict[str, str]]]:
    """Build and swap four versions while four threads ask; returns the answers and each version's bodies."""
    bodies = {qa.loaded.snapshot.version: bodies_of(settings, qa.loaded.snapshot.version)}
    answers: list[Any] = []
    errors: list[Exception] = []
    stop = threading.Event()
    threads = [threading.Thread(target=hammer, args=(ask, answers, errors, stop)) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for n in range(1, 5):
            version = rebuild_with_alpha(settings, n)
            bodies[version] = bodies_of(settings, version)
            assert qa.reload()
            seen = len(answers)
            for _ in range(2000):  # let some requests run on this version before the next swap
                if len(answers) > seen + 5 or errors:
                    break
                time.sleep(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert not errors, errors[:3]
    return answers, bodies


def test_concurrent_asks_during_swaps_never_fail_or_mix_versions(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, keep_versions=10)
    qa = QA(settings, HashingEncoder())
    answers, bodies = swap_under_load(settings, qa, lambda: qa.ask(QUESTION))
    assert len({a.index_version for a in answers}) >= 3
    for answer in answers:
        check_answer(answer, bodies)


def test_concurrent_http_requests_during_swaps(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, keep_versions=10, max_queued=16)  # four clients are never shed
    qa = QA(settings, HashingEncoder())
    with TestClient(create_app(settings, qa=qa)) as client:

        def ask() -> dict[str, Any]:
            response = client.post("/ask", json={"question": QUESTION})
            assert response.status_code == 200, response.text
            return response.json()

        answers, bodies = swap_under_load(settings, qa, ask)
    assert len({a["index_version"] for a in answers}) >= 3
    for answer in answers:
        assert answer["index_version"] in bodies
        for e in answer["excerpts"]:
            assert bodies[answer["index_version"]][e["source"]["id"]][e["start"] : e["end"]] == e["quote"]


# --- the real corpus: incremental vs full -------------------------------------------------
@pytest.mark.model
def test_real_corpus_incremental_build_embeds_only_the_new_article(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    shutil.copytree(ROOT / "corpus", settings.corpus_dir)
    encoder = real_encoder_for(settings)
    full = build_index(settings, encoder, load_corpus(settings.corpus_dir), full=True)
    original = load_corpus(settings.corpus_dir)[0]
    copy = Article(
        replace(original.source, id=original.id + "-copy", url="unknown"),
        original.body.replace("Libya", "Libya's neighbour", 1) + "\n\nAn added closing note.",
    )
    write_article(settings.corpus_dir, copy)
    incremental = build_index(settings, encoder, load_corpus(settings.corpus_dir))
    again = build_index(settings, encoder, load_corpus(settings.corpus_dir), full=True)
    print(
        f"\nreal corpus: full {full.seconds:.2f}s (encode {full.encode_seconds:.2f}s), "
        f"+1 article incremental {incremental.seconds:.2f}s (encode {incremental.encode_seconds:.2f}s), "
        f"full again {again.seconds:.2f}s"
    )
    assert incremental.added == (copy.id,) and incremental.unchanged == full.articles
    assert incremental.encoded_sentences == again.sentences - full.sentences
    assert again.encoded_sentences == again.sentences
    answer = QA(settings, encoder).ask("What was added at the end of the copy?")
    assert answer.index_version == again.version
