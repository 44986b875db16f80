"""Held-out check of the tuned weights: sweep on half the evaluation set, score the other half.

Run: .venv/bin/python bench/holdout.py   (prints train/test figures for both splits)
"""

from __future__ import annotations

import itertools
from pathlib import Path

from libya_qa.config import Settings
from libya_qa.evaluation import load_cases
from libya_qa.followup import search_query
from libya_qa.qa import QA
from libya_qa.search import Weights

from quality_signals import best_threshold, metrics

ROOT = Path(__file__).resolve().parents[1]
GRID = list(itertools.product([0.2, 0.3, 0.45], [0.1, 0.2], [0.3, 0.4, 0.5], [0.1, 0.2], [0.05, 0.1, 0.2]))


def main() -> None:
    """Two-fold: tune on even-numbered cases, test on odd ones, and the reverse."""
    cases = load_cases(ROOT / "tests/data/eval.jsonl")
    qa = QA(Settings.from_env())
    feats = {c.id: qa.loaded.searcher.features(search_query(c.question, list(c.history))) for c in cases}
    folds = [cases[0::2], cases[1::2]]
    for name, train, test in (("A", folds[0], folds[1]), ("B", folds[1], folds[0])):
        best = max(GRID, key=lambda g: metrics(qa, train, feats, Weights(*g))["mrr"])
        tr = metrics(qa, train, feats, Weights(*best))
        threshold = best_threshold(train, tr.pop("tops"))[0]
        te = metrics(qa, test, feats, Weights(*best))
        tops = te.pop("tops")
        pos = [tops[c.id] for c in test if c.kind != "unanswerable"]
        neg = [tops[c.id] for c in test if c.kind == "unanswerable"]
        print(f"fold {name}: weights {best} | train mrr {tr['mrr']:.3f} hit@1 {tr['hit@1']:.3f} | "
              f"test mrr {te['mrr']:.3f} hit@1 {te['hit@1']:.3f} hit@5 {te['hit@5']:.3f} | "
              f"test answered {sum(p >= threshold for p in pos) / len(pos):.3f} "
              f"abstained {sum(x < threshold for x in neg) / len(neg):.3f}")


if __name__ == "__main__":
    main()
