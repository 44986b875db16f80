"""kill -9 series: add, remove, index and --rollback killed at random file operations, 20+ times each.

Uses tests/crash.py (the same harness as the suite's few tries): a command runs in a subprocess that
SIGKILLs itself at its n-th file operation (np.save, faiss.write_index, fsync, replace, unlink,
rmtree), n drawn at random over the points a full run passes. After every kill: the corpus is the
old or the new one and every file parses; CURRENT names an intact version (checksums verified)
that answers; then the same command runs to the end and leaves no temporary file. The founding
corpus with the model-free hashing encoder (what is tested is the file handling, not the model).

Run: nice -n 10 .venv/bin/python bench/kill9.py --tries 25      (about 4 minutes)
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import FOUNDING_CORPUS, settings_for, table, write_results  # noqa: E402
from crash import check_consistent, run_killed, versions_dir  # noqa: E402

NEW_ARTICLE = (
    "---\nid: kill-test-article\ntitle: A test article\n---\n"
    "Egypt and the United Arab Emirates backed Haftar with airstrikes in 2015.\n"
)


def prepare(folder: Path) -> Any:
    """The founding corpus and two index versions (for rollback), with the hashing encoder."""
    from libya_qa.build import build_index
    from libya_qa.corpus import load_corpus
    from libya_qa.encoders import HashingEncoder

    settings = settings_for(folder / "corpus", folder / "index", model="hashing-test-encoder", keep_versions=10)
    shutil.copytree(FOUNDING_CORPUS, settings.corpus_dir)
    for _ in range(2):
        build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir), full=True)
    return settings


def copy_of(settings: Any, folder: Path) -> Any:
    """A fresh copy of the prepared state."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(settings.corpus_dir, folder / "corpus")
    shutil.copytree(settings.index_dir, folder / "index")
    return replace(settings, corpus_dir=folder / "corpus", index_dir=folder / "index")


def series(base: Any, work: Path, name: str, argv: list[str], setup: Any, tries: int, rng: random.Random) -> dict:
    """Kill one operation `tries` times; count inconsistencies."""
    from libya_qa.corpus import load_corpus
    from libya_qa.index import current_version, list_versions

    state = copy_of(base, work / "count")
    setup(state)
    before_ids = {a.id for a in load_corpus(state.corpus_dir)}
    before_version = current_version(state.index_dir)
    counted = run_killed(state, argv, 0, work)
    after_ids = {a.id for a in load_corpus(state.corpus_dir)}
    versions = {before_version, current_version(state.index_dir), *list_versions(state.index_dir)}
    bad, started = [], time.perf_counter()
    for _ in range(tries):
        point = rng.randint(1, counted.points)
        state = copy_of(base, work / "try")
        setup(state)
        try:
            assert run_killed(state, argv, point, work).returncode < 0, "not killed"
            check_consistent(state, [before_ids, after_ids], versions | set(list_versions(state.index_dir)))
            assert run_killed(state, argv, 0, work).returncode == 0, "the command failed after the kill"
            check_consistent(state, [after_ids], versions | set(list_versions(state.index_dir)))
            if name != "rollback":
                leftovers = [*versions_dir(state).glob(".building-*"), *state.corpus_dir.glob(".tmp-*")]
                assert not leftovers, f"left behind: {leftovers}"
        except AssertionError as exc:
            bad.append(f"point {point}: {exc}")
    return {
        "operation": name,
        "kill_points": counted.points,
        "tries": tries,
        "inconsistent": len(bad),
        "seconds": round(time.perf_counter() - started, 1),
        "failures": bad[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=25)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-kill9-") as tmp:
        work = Path(tmp)
        base = prepare(work / "base")
        source = work / "new.md"
        source.write_text(NEW_ARTICLE, "utf-8")
        first_id = sorted(p.stem for p in base.corpus_dir.glob("*.md"))[0]

        def with_new_article(state: Any) -> None:
            shutil.copy(source, state.corpus_dir / "kill-test-article.md")

        rows = [
            series(base, work, "add", ["add", str(source)], lambda s: None, args.tries, rng),
            series(base, work, "remove", ["remove", first_id], lambda s: None, args.tries, rng),
            series(base, work, "index", ["index"], with_new_article, args.tries, rng),
            series(base, work, "index --full", ["index", "--full"], lambda s: None, args.tries, rng),
            series(base, work, "rollback", ["index", "--rollback"], lambda s: None, args.tries, rng),
        ]
    print(table([{k: v for k, v in r.items() if k != "failures"} for r in rows], title="kill -9 series"))
    for row in rows:
        for failure in row["failures"]:
            print(f"  {row['operation']}: {failure}")
    write_results("kill9", {"tries": args.tries, "seed": args.seed, "series": rows})


if __name__ == "__main__":
    main()
