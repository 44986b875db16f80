"""Shared fixtures: a tiny fake corpus with a hashing encoder, and the real corpus with the real model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from libya_qa.build import build_index
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder, load_encoder
from libya_qa.qa import QA
from libya_qa.schema import Article, Excerpt, Source

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
TINY = [
    Article(Source("alpha", "Alpha", "Ann Author", "Pub", "2015-01-01", "https://example.org/a"),
            "Haftar was backed by Egypt. The weather in Tripoli was warm.\n\n"
            "- First item about oil exports.\n- Second item about the U.N. mission in Libya."),
    Article(Source("beta", "Beta"), "Qatar supported Libya Dawn financially. Turkey also sent an envoy.\n\n"
            "Weapons flowed from Libya into Mali after 2011."),
]


def make_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings rooted in a temporary folder (corpus, index), with the repository's web/."""
    return Settings.from_env(corpus_dir=tmp / "corpus", index_dir=tmp / "index", web_dir=ROOT / "web",
                             **overrides)


@pytest.fixture()
def tiny_settings(tmp_path: Path) -> Settings:
    """A two-article corpus in a temp folder, indexed with the hashing encoder."""
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    for article in TINY:
        write_article(settings.corpus_dir, article)
    build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir))
    return settings


@pytest.fixture()
def tiny_qa(tiny_settings: Settings) -> QA:
    """QA over the tiny corpus (fake encoder: fast, no model)."""
    return QA(tiny_settings, HashingEncoder())


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real corpus/, indexed once per session with the real packaged model into a temp folder."""
    tmp = tmp_path_factory.mktemp("real")
    settings = Settings.from_env(corpus_dir=ROOT / "corpus", index_dir=tmp / "index", web_dir=ROOT / "web")
    build_index(settings, real_encoder_for(settings), load_corpus(settings.corpus_dir))
    return settings


_ENCODERS: dict[str, object] = {}


def real_encoder_for(settings: Settings):  # type: ignore[no-untyped-def]
    """The packaged model, loaded once per test session."""
    if settings.model not in _ENCODERS:
        _ENCODERS[settings.model] = load_encoder(settings.model)
    return _ENCODERS[settings.model]


@pytest.fixture(scope="session")
def real_qa(real_settings: Settings) -> QA:
    """QA over the real corpus with the real model."""
    return QA(real_settings, real_encoder_for(real_settings))


def assert_verbatim(excerpts: list[Excerpt] | tuple[Excerpt, ...], bodies: dict[str, str]) -> None:
    """Quotes are sacred: each is exactly the stored body at its offsets, highlight inside it."""
    for e in excerpts:
        assert bodies[e.source.id][e.start:e.end] == e.quote
        h0, h1 = e.highlight
        assert 0 <= h0 < h1 <= len(e.quote)
