"""Recalibrate the confidence model on the dev half: Platt scaling of its log-odds (a scale and a shift).

The confidence model (bench/fit_ranking.py) was fitted, regularised, on an earlier dev half; the rules read
around it since (caps on its probability, the order of quotes) left its probabilities too timid on today's
dev half. Refitting all its weights has cost verdicts each time it was tried (docs/fitting.md); two numbers
fitted on its log-odds change no verdict and make the stated probability mean what it says.

For every dev question (answerable, unanswerable, follow-up) the served pipeline is asked (`QA.ask`): the label
is whether its first excerpt answers. The model's uncalibrated log-odds come from the evidence the fitting
script reads. Questions whose probability a rule caps or floors (a name no article holds, no figure of the
asked kind, ...) are left out: those probabilities are counted on dev in their own right. Test is printed
beside dev, before and after, and fits nothing.

Run: nice -n 10 .venv/bin/python bench/calibrate.py [--write]   (--write: fitted.json's "calibration")
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, table  # noqa: E402
from fit_ranking import QUESTIONS, Item, collect, eval_qa, judged_absence  # noqa: E402

from libya_qa.confidence import judge, probability, signals  # noqa: E402
from libya_qa.evaluation import CONFIDENCE_BANDS, load_cases, ranks  # noqa: E402
from libya_qa.qa import QA  # noqa: E402
from libya_qa.ranking import FITTED  # noqa: E402

UNCALIBRATED = dict(FITTED["confidence"])


def rows(qa: QA, items: list[Item]) -> list[tuple[float, bool]]:
    """Per question whose probability is the model's own: its log-odds, and whether the served first excerpt
    answers."""
    searcher, out = qa.loaded.searcher, []
    for item in items:
        answer = qa.ask(item.case.question, 5, list(item.case.history))
        right = item.case.kind != "unanswerable" and ranks(answer, item.case)[0] == 1
        ranked = searcher.rank(item.evidence.hits, searcher.weights)
        if not ranked:
            continue
        judged = judged_absence(item, ranked)
        p = probability(signals(ranked, judged), UNCALIBRATED)
        if abs(judge(ranked, judged, model=UNCALIBRATED).probability - p) > 1e-12:
            continue  # capped by a rule: not the model's to calibrate
        out.append((math.log(p / (1 - p)), right))
    return out


def fit(data: list[tuple[float, bool]]) -> tuple[float, float]:
    """Scale and shift of the log-odds (an unregularised one-input logistic regression)."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[z] for z, _ in data])
    y = np.array([right for _, right in data])
    model = LogisticRegression(C=1e6, max_iter=1000).fit(x, y)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def reliability(data: list[tuple[float, bool]], scale: float, shift: float) -> list[dict[str, object]]:
    """Per band of the stated probability: questions, mean stated, share answered; and the ECE over all."""
    stated = np.array([1 / (1 + math.exp(-(scale * z + shift))) for z, _ in data])
    seen = np.array([right for _, right in data], dtype=float)
    out = []
    for low, high in zip(CONFIDENCE_BANDS, CONFIDENCE_BANDS[1:]):
        band = (stated >= low) & (stated < high)
        if band.any():
            out.append(
                {
                    "band": f"{low:.1f}-{min(high, 1.0):.1f}",
                    "n": int(band.sum()),
                    "stated": round(float(stated[band].mean()), 3),
                    "seen": round(float(seen[band].mean()), 3),
                }
            )
    ece = sum(r["n"] * abs(r["stated"] - r["seen"]) for r in out) / max(len(data), 1)
    return [*out, {"band": "ECE", "n": len(data), "stated": round(ece, 3), "seen": ""}]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write the calibration to fitted.json")
    args = parser.parse_args()
    qa = eval_qa()
    cases = load_cases(QUESTIONS)
    data = {split: rows(qa, collect(qa, [c for c in cases if c.split == split])) for split in ("dev", "test")}
    scale, shift = fit(data["dev"])
    print(
        f"fitted on {len(data['dev'])} dev questions (the model's own probability): scale {scale:.4f}, "
        f"shift {shift:.4f}"
    )
    for split, part in data.items():
        for name, (a, b) in (("uncalibrated", (1.0, 0.0)), ("calibrated", (scale, shift))):
            print(f"\n{split}, {name}:\n" + table(reliability(part, a, b)))
    if args.write:
        path = ROOT / "src" / "libya_qa" / "fitted.json"
        fitted = json.loads(path.read_text("utf-8"))
        fitted["calibration"] = {"scale": round(scale, 6), "shift": round(shift, 6)}
        fitted["provenance"]["calibration_by"] = (
            f"bench/calibrate.py --write, Platt scaling on {len(data['dev'])} dev questions whose probability is "
            "the model's own (answerable, unanswerable and follow-ups)"
        )
        path.write_text(json.dumps(fitted, indent=2) + "\n", "utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
