"""Faults: kill -9 at chosen points of add, remove, index and rollback; a full disk (a small tmpfs).

bench/kill9.py runs the same series at least 20 times per operation; here a few points each.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from crash import check_consistent, run_killed, versions_dir
from support import TINY

from libya_qa.build import build_index
from libya_qa.cli import main
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.errors import DiskFull
from libya_qa.index import current_version, list_versions
from libya_qa.schema import Article, Source

GAMMA = "---\ntitle: Gamma\nid: gamma\n---\nEgypt and the UAE backed Haftar with airstrikes in 2015.\n"
TRIES = 2  # kill points per operation in the suite (bench/kill9.py: 20 or more)


def snapshot(settings: Settings, folder: Path) -> Settings:
    """A copy of the settings' corpus and index in `folder` (each kill starts from the same state)."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(settings.corpus_dir, folder / "corpus")
    shutil.copytree(settings.index_dir, folder / "index")
    return replace(settings, corpus_dir=folder / "corpus", index_dir=folder / "index")


def kill_series(
    settings: Settings, tmp_path: Path, argv: list[str], corpora: list[set[str]], versions: set[str | None]
) -> list[int]:
    """Count the kill points of `argv`, then kill it at TRIES of them; the state is consistent after each."""
    counted = run_killed(snapshot(settings, tmp_path / "count"), argv, 0, tmp_path)
    assert counted.returncode == 0 and counted.points > 0
    points = random.Random(13).sample(range(1, counted.points + 1), min(TRIES, counted.points))
    for point in points:
        state = snapshot(settings, tmp_path / f"kill-{point}")
        assert run_killed(state, argv, point, tmp_path).returncode < 0, f"not killed at point {point}"
        check_consistent(state, corpora, versions)
        assert run_killed(state, argv if argv[0] != "add" else [*argv, "--replace"], 0, tmp_path).returncode == 0
        check_consistent(state, [corpora[-1]], versions | {current_version(state.index_dir)})
        leftovers = [
            *versions_dir(state).glob(".building-*"),
            *state.index_dir.glob(".current-*"),
            *state.corpus_dir.glob(".tmp-*"),
        ]
        assert not leftovers or argv[0] == "index" and argv[1:] == ["--rollback"], leftovers
    return points


def test_a_killed_add_leaves_the_corpus_whole_and_the_next_add_works(tiny_settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "gamma.md"
    source.write_text(GAMMA, "utf-8")
    version = current_version(tiny_settings.index_dir)
    kill_series(
        tiny_settings, tmp_path, ["add", str(source)], [{"alpha", "beta"}, {"alpha", "beta", "gamma"}], {version}
    )


def test_a_killed_remove_leaves_the_article_or_removes_it_whole(tiny_settings: Settings, tmp_path: Path) -> None:
    version = current_version(tiny_settings.index_dir)
    kill_series(tiny_settings, tmp_path, ["remove", "beta"], [{"alpha", "beta"}, {"alpha"}], {version})


def test_a_killed_index_build_serves_the_old_or_the_new_version(tiny_settings: Settings, tmp_path: Path) -> None:
    write_article(tiny_settings.corpus_dir, Article(Source("gamma", "Gamma"), "Egypt backed Haftar in 2015."))
    version = current_version(tiny_settings.index_dir)
    kill_series(tiny_settings, tmp_path, ["index"], [{"alpha", "beta", "gamma"}], {version})


def test_a_killed_rollback_serves_one_version_or_the_other(tiny_settings: Settings, tmp_path: Path) -> None:
    first = current_version(tiny_settings.index_dir)
    write_article(tiny_settings.corpus_dir, Article(TINY[0].source, "Edited. " + TINY[0].body))
    second = build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir)).version
    settings = replace(tiny_settings, keep_versions=5)
    kill_series(settings, tmp_path, ["index", "--rollback"], [{"alpha", "beta"}], {first, second})


# --- a full disk ----------------------------------------------------------------------------
@pytest.fixture()
def small_disk(tmp_path: Path) -> Path:
    """A 1 MiB tmpfs (root only: CI runs as root)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=False).returncode:
        pytest.skip("this machine refuses to mount a tmpfs (no CAP_SYS_ADMIN in this container)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path, leave: int) -> None:
    """Fill the disk holding `folder` until about `leave` bytes are free."""
    free = shutil.disk_usage(folder).free
    with (folder / "filler").open("wb") as handle:
        handle.write(b"\0" * max(0, free - leave))


def test_a_full_disk_is_one_clear_error_and_leaves_no_partial_build(
    tiny_settings: Settings, small_disk: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = replace(tiny_settings, index_dir=small_disk / "index")
    shutil.copytree(tiny_settings.index_dir, settings.index_dir)
    write_article(settings.corpus_dir, Article(Source("gamma", "Gamma"), "Egypt backed Haftar in 2015. " * 400))
    before = current_version(settings.index_dir)
    fill(small_disk, 20_000)
    with pytest.raises(DiskFull) as info:
        build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir))
    assert info.value.code == "disk_full" and str(versions_dir(settings)) in info.value.message
    assert not list(versions_dir(settings).glob(".building-*")) and current_version(settings.index_dir) == before
    assert list_versions(settings.index_dir) == [before]
    monkeypatch.setenv("LIBYA_QA_CORPUS", str(settings.corpus_dir))
    monkeypatch.setenv("LIBYA_QA_INDEX", str(settings.index_dir))
    monkeypatch.setenv("LIBYA_QA_MODEL", settings.model)
    assert main(["index"]) == 2  # the CLI: one line, exit 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error [disk_full]: no space left on the disk holding") and "Traceback" not in "".join(
        err
    )


def test_a_full_disk_during_add_writes_nothing(tiny_settings: Settings, small_disk: Path) -> None:
    from libya_qa.ingest import read_bytes
    from libya_qa.sources import add_source

    settings = replace(tiny_settings, corpus_dir=small_disk / "corpus")
    shutil.copytree(tiny_settings.corpus_dir, settings.corpus_dir)
    fill(small_disk, 2_000)
    with pytest.raises(DiskFull, match="no space left"):
        add_source(settings, read_bytes(("A long article about Haftar. " * 400).encode(), "long.md"))
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == ["alpha.md", "beta.md"]
