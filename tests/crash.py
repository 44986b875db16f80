"""kill -9 at chosen points of a CLI command, and the consistency check after it (tests and bench/kill9.py).

The command runs in a subprocess whose file operations (np.save, faiss.write_index, os.fsync,
os.replace, os.unlink, shutil.rmtree) are counted; at the n-th one the process sends itself SIGKILL,
exactly as `kill -9` would land there. A first run without a kill counts the points.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from libya_qa.config import Settings
from libya_qa.corpus import load_corpus
from libya_qa.encoders import HashingEncoder
from libya_qa.filestore import FileStore
from libya_qa.index import VERSIONS, current_version, list_versions
from libya_qa.qa import QA

SRC = Path(__file__).resolve().parents[1] / "src"
KILLER = """
import os, shutil, signal, sys
import numpy as np
import faiss

kill_at, count_file = int(sys.argv[1]), sys.argv[2]
calls = [0]

def point(original):
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return wrapper

np.save = point(np.save)
faiss.write_index = point(faiss.write_index)
for name in ("fsync", "replace", "unlink", "rename"):
    setattr(os, name, point(getattr(os, name)))
shutil.rmtree = point(shutil.rmtree)
from libya_qa.cli import main
code = main(sys.argv[3:])
open(count_file, "w").write(str(calls[0]))
sys.exit(code)
"""


@dataclass(frozen=True)
class Run:
    """One run of a command: how it ended and how many kill points it passed."""

    returncode: int
    points: int  # counted when it ran to the end, else -1


def run_killed(settings: Settings, argv: list[str], kill_at: int, workdir: Path) -> Run:
    """Run `libya-qa argv` against the settings' folders, killed at file operation `kill_at` (0: never)."""
    count_file = workdir / "points"
    count_file.unlink(missing_ok=True)
    env = {
        **os.environ,
        "LIBYA_QA_CORPUS": str(settings.corpus_dir),
        "LIBYA_QA_INDEX": str(settings.index_dir),
        "LIBYA_QA_MODEL": settings.model,
        "LIBYA_QA_KEEP_VERSIONS": str(settings.keep_versions),
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.run(
        [sys.executable, "-c", KILLER, str(kill_at), str(count_file), *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=300,
        check=False,
    )
    if process.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"libya-qa {' '.join(argv)} failed: {process.stderr.decode()[-2000:]}")
    points = int(count_file.read_text()) if count_file.exists() else -1
    return Run(process.returncode, points)


def check_consistent(settings: Settings, allowed_corpora: list[set[str]], allowed_versions: set[str | None]) -> str:
    """The corpus is one of the allowed states and reads cleanly; CURRENT names an intact version that answers.

    Returns the served version. Leftover temporary files and folders are allowed; they must be ignored.
    """
    ids = {a.id for a in load_corpus(settings.corpus_dir)}  # raises on any half-written article
    assert ids in allowed_corpora, f"corpus {sorted(ids)} is none of {allowed_corpora}"
    version = current_version(settings.index_dir)
    assert version in allowed_versions, f"CURRENT is {version!r}, expected one of {allowed_versions}"
    assert version in list_versions(settings.index_dir)
    FileStore(settings.index_dir).load(version, verify=True)  # every checksum holds
    answer = QA(settings, HashingEncoder()).ask("Who backed Haftar?")
    assert answer.index_version == version
    return str(version)


def versions_dir(settings: Settings) -> Path:
    """Where the version folders are."""
    return settings.index_dir / VERSIONS
