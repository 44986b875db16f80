"""`libya-qa index --engine ray`: optional, imported only on demand, and the same index as one process.

The cluster test runs the real CLI on the real corpus with the real model, on a local Ray cluster
inside a private network and PID namespace (tests/ray_sandbox.py): Ray can listen on loopback only,
and every Ray process it started ends with the namespace.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from support import ROOT, TINY, load_snapshot, real_encoder_for

from libya_qa import cli
from libya_qa.config import Settings
from libya_qa.corpus import write_article
from libya_qa.qa import QA

HAS_RAY = importlib.util.find_spec("ray") is not None
NEEDS_RAY = pytest.mark.skipif(not HAS_RAY, reason="Ray is an optional extra: pip install -e '.[scale]'")
QUESTIONS = [
    "Who backed Haftar?",
    "Which people from Mali had fought for Gaddafi as hired soldiers?",
    "When did the Islamic State take Sirte?",
    "Who won the 2012 European football championship?",
]


def sandbox_refusal() -> str:
    """Why a private network + PID namespace cannot be made here ('' when it can)."""
    if not shutil.which("unshare"):
        return "needs util-linux `unshare`"
    probe = subprocess.run(["unshare", "--net", "--pid", "--fork", "--mount-proc", "true"], capture_output=True)
    return "" if probe.returncode == 0 else f"cannot make a network namespace ({probe.stderr.decode().strip()})"


def test_the_default_cli_and_build_never_import_ray(tmp_path: Path) -> None:
    script = (
        "import sys; from libya_qa import cli, build, app, qa; "
        "code = cli.main(['index']); assert 'ray' not in sys.modules, 'ray imported'; sys.exit(code)"
    )
    corpus = tmp_path / "corpus"
    for article in TINY:
        write_article(corpus, article)
    env = {
        **os.environ,
        "LIBYA_QA_MODEL": "hashing-test-encoder",
        "LIBYA_QA_CORPUS": str(corpus),
        "LIBYA_QA_INDEX": str(tmp_path / "index"),
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "embedded" in done.stdout


def test_engine_ray_without_ray_installed_exits_2_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    assert cli.main(["index", "--engine", "ray"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error [ray_missing]: --engine ray needs Ray Data: pip install -e '.[scale]'"


def test_address_without_engine_ray_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["index", "--address", "127.0.0.1:6379"]) == 2
    assert "[bad_option]" in capsys.readouterr().err


@NEEDS_RAY
def test_an_unreachable_ray_address_exits_2_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port nobody listens on: bound, never listened
        sock.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{sock.getsockname()[1]}"
        assert cli.main(["index", "--engine", "ray", "--address", address]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error [ray_unreachable]: no Ray cluster answers at {address}")


def test_auto_precision_is_decided_once_for_the_whole_call() -> None:
    from libya_qa.encoders import AUTO_BF16_MIN_BATCH, native_bf16
    from libya_qa.ray_engine import actor_precision, batch_rows

    assert actor_precision("auto", AUTO_BF16_MIN_BATCH - 1) == "fp32"
    assert actor_precision("auto", 10_000) == ("bf16" if native_bf16() else "fp32")
    assert actor_precision("int8", 3) == "int8"
    assert batch_rows(384, 2) == 64 and batch_rows(100_000, 2) == 1024 and batch_rows(5_000, 4) == 320


@pytest.fixture(scope="module")
def ray_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    """The real corpus indexed by `libya-qa index --engine ray` in a sandbox; its folder and the run's JSON."""
    if not HAS_RAY:
        pytest.skip("Ray is an optional extra: pip install -e '.[scale]'")
    if refusal := sandbox_refusal():
        pytest.skip(f"the Ray test runs in a private network namespace and {refusal}")
    index = tmp_path_factory.mktemp("ray") / "index"
    home = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "LIBYA_QA_CORPUS": str(ROOT / "corpus"),
        "LIBYA_QA_INDEX": str(index),
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "HOME": home,
        "RAY_TMPDIR": home,
    }  # the auth token and session files stay in a folder of ours
    try:
        done = subprocess.run(
            [
                "unshare",
                "--net",
                "--pid",
                "--fork",
                "--mount-proc",
                "--kill-child",
                sys.executable,
                str(ROOT / "tests" / "ray_sandbox.py"),
                "index",
                "--engine",
                "ray",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    yield index, json.loads(done.stdout.strip().splitlines()[-1]) | {"stderr": done.stderr}


@pytest.mark.ray
@pytest.mark.model
def test_ray_runs_a_local_cluster_that_listens_on_loopback_only(ray_index: tuple[Path, dict]) -> None:
    _, run = ray_index
    assert "Embedding on Ray" in run["stderr"] and f"{os.cpu_count()} actors" in run["stderr"]
    assert len(run["listening"]) >= 3  # GCS, raylet, object manager at least: the sampler saw the cluster
    assert all(address.rsplit(":", 1)[0] in ("127.0.0.1", "::ffff:127.0.0.1") for address in run["listening"])


@pytest.mark.ray
@pytest.mark.model
def test_ray_vectors_equal_the_single_process_build_sentence_by_sentence(
    ray_index: tuple[Path, dict], real_settings: Settings
) -> None:
    ray_data, local = load_snapshot(ray_index[0]), load_snapshot(real_settings.index_dir)
    assert ray_data.manifest["model"] == local.manifest["model"]
    assert ray_data.manifest["chunking"] == local.manifest["chunking"]
    assert np.array_equal(ray_data.tables.sentences, local.tables.sentences)
    assert np.array_equal(ray_data.tables.passages, local.tables.passages)
    a, b = (d.tables.vectors.astype(np.float32) for d in (ray_data, local))
    cosine = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert len(cosine) == len(local.tables.sentences) and cosine.min() >= 0.999


@pytest.mark.ray
@pytest.mark.model
def test_the_ray_built_index_answers_as_the_single_process_one(
    ray_index: tuple[Path, dict], real_settings: Settings, real_qa: QA
) -> None:
    settings = Settings.from_env(
        corpus_dir=real_settings.corpus_dir, index_dir=ray_index[0], web_dir=real_settings.web_dir
    )
    ray_qa = QA(settings, real_encoder_for(settings))
    for question in QUESTIONS:
        ours, theirs = ray_qa.ask(question), real_qa.ask(question)
        assert ours.status == theirs.status
        assert [(e.source.id, e.start, e.end) for e in ours.excerpts] == [
            (e.source.id, e.start, e.end) for e in theirs.excerpts
        ]
