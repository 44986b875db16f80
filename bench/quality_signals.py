"""Measure each sentence-scoring signal on the evaluation set and sweep weights and the threshold.

Run: .venv/bin/python bench/quality_signals.py [tests/data/eval.jsonl]
Prints hit@1/hit@5/MRR per weight setting (features computed once per question), then the
abstention threshold that best separates answerable from unanswerable questions.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from libya_qa.config import Settings
from libya_qa.evaluation import Case, load_cases
from libya_qa.excerpts import build_excerpts
from libya_qa.followup import search_query
from libya_qa.qa import QA
from libya_qa.search import Weights

ROOT = Path(__file__).resolve().parents[1]


def metrics(qa: QA, cases: list[Case], feats: dict[str, list], weights: Weights) -> dict[str, float]:
    """hit@1, hit@5, MRR over answerable+followup cases, and each case's top score."""
    searcher, data = qa.loaded.searcher, qa.loaded.data
    ranks, tops = [], {}
    for case in cases:
        hits = searcher.rank(feats[case.id], weights)
        tops[case.id] = hits[0].score if hits else 0.0
        if case.kind == "unanswerable":
            continue
        rank = None
        for n, e in enumerate(build_excerpts(data, hits, 5), 1):
            if e.source.id in case.articles and all(a in e.quote for a in case.answer):
                rank = n
                break
        ranks.append(rank)
    n = len(ranks)
    return {"hit@1": sum(r == 1 for r in ranks) / n, "hit@5": sum(r is not None for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n, "tops": tops}


def best_threshold(cases: list[Case], tops: dict[str, float]) -> tuple[float, float, float]:
    """The threshold maximising answered(answerable) + abstained(unanswerable), balanced."""
    pos = [tops[c.id] for c in cases if c.kind != "unanswerable"]
    neg = [tops[c.id] for c in cases if c.kind == "unanswerable"]
    best = (0.0, 0.0, 0.0, -1.0)
    for t in sorted(set(pos + neg)):
        answered = sum(p >= t for p in pos) / len(pos)
        abstained = sum(x < t for x in neg) / len(neg)
        score = answered + abstained
        if score > best[3]:
            best = (t, answered, abstained, score)
    return best[:3]


def main() -> None:
    """Compute features once, sweep weights, report."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/data/eval.jsonl"
    cases = load_cases(path)
    qa = QA(Settings.from_env())
    feats = {c.id: qa.loaded.searcher.features(search_query(c.question, list(c.history))) for c in cases}
    rows = []
    grid = itertools.product([0.2, 0.3, 0.45], [0.1, 0.2], [0.3, 0.4, 0.5], [0.1, 0.2], [0.05, 0.1, 0.2])
    for cos, cov, fus, nb, fit in grid:
        w = Weights(cos, cov, fus, nb, fit)
        m = metrics(qa, cases, feats, w)
        t, answered, abstained = best_threshold(cases, m.pop("tops"))
        rows.append({"weights": [cos, cov, fus, nb, fit], **{k: round(v, 3) for k, v in m.items()},
                     "threshold": round(t, 3), "answered": round(answered, 3), "abstained": round(abstained, 3)})
    rows.sort(key=lambda r: (-r["mrr"], -(r["answered"] + r["abstained"])))
    print(f"{'cos cov fus nb':24s} hit@1  hit@5  mrr    thr    answered abstained")
    for r in rows[:15]:
        print(f"{str(r['weights']):24s} {r['hit@1']:.3f}  {r['hit@5']:.3f}  {r['mrr']:.3f}  {r['threshold']:.3f}  "
              f"{r['answered']:.3f}    {r['abstained']:.3f}")
    for single in ([1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1]):
        m = metrics(qa, cases, feats, Weights(*single))
        print("only", single, {k: round(v, 3) for k, v in m.items() if k != "tops"})
    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "quality_signals.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
