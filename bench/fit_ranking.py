"""Fit the sentence-ranking weights and the confidence model on the evaluation set's dev half; report test.

The evaluation corpus (tests/data/eval, made by bench/eval_corpus.py as a user would) is indexed once
under bench/data/eval/. For every question the candidate sentences' evidence is computed once; then

1. ranking: an L2-regularised logistic regression (scikit-learn) learns which candidate sentences hold
   an expected answer string, over the evidence fields of SentenceHit. Its regularisation is chosen by
   cross-validation over dev *articles* (questions of one article never sit in both folds), scored on
   the full pipeline's hit@1 (excerpts built from the re-ranked sentences), and the final fit on all of
   dev is scored on test once;
2. confidence: a logistic regression over confidence.signals (the best sentence's score and context
   coverage, the margin over the next article, unknown names and years) predicts whether the first
   excerpt answers (answerable questions and follow-ups) or not (unanswerable ones, label 0); its
   threshold is the one that maximises answered rate + abstained rate on dev.

Nothing is fitted on test. Prints the weights and the model as Python to paste into search.py and
confidence.py, and the figures of the pipeline with them, dev and test side by side.

Run: nice -n 10 .venv/bin/python bench/fit_ranking.py [--current] [--reuse] [--keep-ranking] [--write]
     (--current: score today's weights only; --keep-ranking: refit the confidence model and threshold only)
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, ROOT, table, write_results  # noqa: E402

from libya_qa.absence import Absence, check_first_quote  # noqa: E402
from libya_qa.analysis import is_question  # noqa: E402
from libya_qa.confidence import INPUTS, judge, signals  # noqa: E402
from libya_qa.evaluation import Case, load_cases  # noqa: E402
from libya_qa.excerpts import build_excerpts, judged_part  # noqa: E402
from libya_qa.qa import QA, answer_names  # noqa: E402
from libya_qa.ranking import FEATURES, FITTED, QUESTION_WEIGHTS, SentenceHit, Weights  # noqa: E402
from libya_qa.search import Evidence, Searcher  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "eval" / "questions.jsonl"
EVAL = DATA / "eval"
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
FOLDS = 5


@dataclass
class Item:
    """One question with its candidate sentences' evidence, computed once."""

    case: Case
    evidence: Evidence
    absence: Absence
    labels: np.ndarray  # per hit: holds an expected answer string in a right article


def eval_qa() -> QA:
    """QA over the evaluation corpus, indexed under bench/data/eval (made and built when missing)."""
    import eval_corpus

    from libya_qa.build import build_index
    from libya_qa.config import Settings
    from libya_qa.corpus import load_corpus

    corpus = EVAL / "corpus"
    if not corpus.is_dir() or len(list(corpus.glob("*.md"))) < 30:
        eval_corpus.main([str(corpus)])
    settings = Settings.from_env(corpus_dir=corpus, index_dir=EVAL / "index", web_dir=ROOT / "web")
    if settings.index_dir.joinpath("CURRENT").exists():
        qa = QA(settings)
    else:
        from libya_qa.encoders import encoder_for

        encoder = encoder_for(settings)
        build_index(settings, encoder, load_corpus(corpus))
        qa = QA(settings, encoder)
    return qa


def collect(qa: QA, cases: list[Case]) -> list[Item]:
    """Every case's candidate evidence (the retrieval text as QA.ask makes it, follow-ups resolved)."""
    searcher, loaded = qa.loaded.searcher, qa.loaded
    items = []
    for case in cases:
        if case.history:  # let the answer memory see the earlier turns, as a conversation would
            qa.ask(case.history[-1], 5, list(case.history[:-1]))
        query = qa.query_for(case.question, list(case.history))
        evidence = searcher.features(query)
        view = evidence.view
        labels = np.array(
            [
                view is not None
                and h.article in _keys(qa, case)
                and any(a in view.text(h.position) for a in case.answer)
                for h in evidence.hits
            ],
            dtype=bool,
        )
        items.append(Item(case, evidence, loaded.absence(case.question), labels))
    return items


def _keys(qa: QA, case: Case) -> set[int]:
    """The article keys of a case's articles in the served snapshot."""
    rows = qa.loaded.snapshot.article_rows  # file store: key = row
    return {rows[a] for a in case.articles if a in rows}


def matrix(items: list[Item]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stacked evidence (one row per candidate sentence), labels and the item index of each row."""
    rows = [[getattr(h, f) for f in FEATURES.values()] for item in items for h in item.evidence.hits]
    labels = np.concatenate([item.labels for item in items]) if items else np.zeros(0, bool)
    owner = np.concatenate([[n] * len(item.evidence.hits) for n, item in enumerate(items)])
    return np.asarray(rows, dtype=np.float64), labels, owner


def fit_weights(items: list[Item], c: float) -> Weights:
    """Pairwise logistic regression (a sentence that answers against one that does not, of the same question)
    over the candidates of answerable questions and follow-ups -> linear weights."""
    from sklearn.linear_model import LogisticRegression

    training = [i for i in items if i.case.kind != "unanswerable" and i.labels.any() and not i.labels.all()]
    x, _, _ = matrix(training)
    scale = x.std(axis=0) + 1e-9
    differences = []
    start = 0
    for item in training:
        rows = x[start : start + len(item.labels)] / scale
        start += len(item.labels)
        positives, negatives = rows[item.labels], rows[~item.labels]
        # every positive against each negative, weighted so each question counts once
        pairs = (positives[:, None, :] - negatives[None, :, :]).reshape(-1, rows.shape[1])
        differences.append((pairs, 1.0 / len(pairs)))
    features = np.vstack([d for d, _ in differences] + [-d for d, _ in differences])
    weight = np.concatenate([np.full(len(d), w) for d, w in differences] * 2)
    labels = np.concatenate([np.ones(len(features) // 2), np.zeros(len(features) // 2)])
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(features, labels, sample_weight=weight)
    return Weights(**{name: float(w / s) for name, w, s in zip(FEATURES, model.coef_[0], scale)})


def first_right(item: Item, weights: Weights, searcher: Searcher) -> tuple[int | None, list[SentenceHit]]:
    """The rank of the first excerpt holding every answer string, and the ranked hits."""
    hits = searcher.rank(item.evidence.hits, weights if is_question(item.case.question) else topic_weights(weights))
    if item.evidence.view is None:
        return None, hits
    for n, (excerpt, _) in enumerate(build_excerpts(item.evidence.view, hits, 5, item.case.question), 1):
        if excerpt.source.id in item.case.articles and all(a in excerpt.quote for a in item.case.answer):
            return n, hits
    return None, hits


def topic_weights(weights: Weights) -> Weights:
    """The question weights with whole-article evidence raised for headlines and topics (fitted.json's extras)."""
    return replace(weights, **{n: getattr(weights, n) + extra for n, extra in FITTED["topic_extra"].items()})


def ranking_figures(items: list[Item], weights: Weights, searcher: Searcher) -> dict[str, float]:
    """hit@1, hit@5 and MRR of answerable questions; follow-up hit@1."""
    answerable = [first_right(i, weights, searcher)[0] for i in items if i.case.kind == "answerable"]
    follow = [first_right(i, weights, searcher)[0] for i in items if i.case.kind == "followup"]
    n = max(len(answerable), 1)
    return {
        "hit@1": sum(r == 1 for r in answerable) / n,
        "hit@5": sum(r is not None for r in answerable) / n,
        "mrr": sum(1 / r for r in answerable if r) / n,
        "followup_hit@1": sum(r == 1 for r in follow) / max(len(follow), 1),
    }


def cross_validated(items: list[Item], c: float, searcher: Searcher) -> float:
    """Dev MRR (answerable and follow-ups) with weights fitted on the other folds of dev articles.

    MRR rather than hit@1: it moves with every question's rank, not only with the first place, so the
    choice of C is less at the mercy of two or three questions.
    """
    articles = sorted({a for i in items for a in i.case.articles})
    fold_of = {a: n % FOLDS for n, a in enumerate(articles)}
    reciprocal = total = 0.0
    for fold in range(FOLDS):
        held = [i for i in items if i.case.articles and fold_of[i.case.articles[0]] == fold]
        train = [i for i in items if i not in held]
        weights = fit_weights(train, c)
        for item in held:
            if item.case.kind != "unanswerable":
                rank = first_right(item, weights, searcher)[0]
                reciprocal += 1 / rank if rank else 0.0
                total += 1
    return reciprocal / max(total, 1)


def confidence_rows(items: list[Item], weights: Weights, searcher: Searcher) -> tuple[np.ndarray, np.ndarray]:
    """Per question: the confidence model's inputs (in INPUTS' order) and whether the first excerpt answers."""
    x, y = [], []
    for item in items:
        rank, hits = first_right(item, weights, searcher)
        ranked = searcher.rank(item.evidence.hits, weights)  # confidence is on the question scale
        inputs = signals(ranked, judged_absence(item, ranked))
        x.append([inputs[n] for n in INPUTS])
        y.append(item.case.kind != "unanswerable" and rank == 1)
    return np.asarray(x), np.asarray(y)


def fit_confidence(items: list[Item], weights: Weights, searcher: Searcher) -> dict[str, float]:
    """The logistic confidence model fitted on these items (inputs standardised, C by cross-validated log-loss)."""
    from sklearn.linear_model import LogisticRegressionCV

    x, y = confidence_rows(items, weights, searcher)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegressionCV(Cs=[0.01, 0.03, 0.1, 0.3, 1.0, 3.0], cv=5, scoring="neg_log_loss", max_iter=5000).fit(
        (x - mean) / scale, y
    )
    coef = model.coef_[0] / scale
    return {"bias": float(model.intercept_[0] - (coef * mean).sum()), **{n: float(w) for n, w in zip(INPUTS, coef)}}


def abstention(
    items: list[Item], weights: Weights, model: dict[str, float], searcher: Searcher, threshold: float
) -> dict[str, float]:
    """Answered rate (answerable), abstained rate (unanswerable) at a probability threshold."""
    answered = abstained = n_ans = n_un = 0
    for item in items:
        ranked = searcher.rank(item.evidence.hits, weights)
        judged = judged_absence(item, ranked)
        yes = judge(ranked, judged, threshold, model).answered  # the served verdict, rules and all
        if item.case.kind == "answerable":
            n_ans += 1
            answered += yes
        elif item.case.kind == "unanswerable":
            n_un += 1
            abstained += not yes
    return {"answered": answered / max(n_ans, 1), "abstained": abstained / max(n_un, 1)}


def judged_absence(item: Item, ranked: list[SentenceHit]) -> Absence:
    """The question's absence as QA.ask judges it: with the years its first excerpt and that one's source lack."""
    if item.evidence.view is None or not ranked:
        return item.absence
    built = build_excerpts(item.evidence.view, ranked, 1, item.case.question)
    if not built:
        return item.absence
    return check_first_quote(
        item.absence,
        item.case.question,
        item.evidence.view.articles.values(),
        judged_part(*built[0]),
        answer_names(*built[0]),
    )


def best_threshold(items: list[Item], weights: Weights, model: dict[str, float], searcher: Searcher) -> float:
    """The probability threshold maximising answered + abstained rates on these items."""
    grid = [t / 100 for t in range(5, 96)]
    return max(grid, key=lambda t: (sum(abstention(items, weights, model, searcher, t).values()), -abs(t - 0.5)))


MARGINS = (0.5, 1.0, 2.0, 3.0, 5.0)
MAX_HIGHLIGHTED_SHARE = 0.4  # highlights that mark more than this of the first quotes tell the reader little


def excerpt_figures(items: list[Item], weights: Weights, searcher: Searcher) -> tuple[float, float, float]:
    """First-excerpt hit rate, the share of right first excerpts whose highlights hold an answer string,
    and the highlighted share of first excerpts' characters (answerable questions)."""
    from libya_qa.evaluation import _highlight_holds, _highlight_share

    hit = hold = share = n = 0
    for item in items:
        if item.case.kind != "answerable" or item.evidence.view is None:
            continue
        n += 1
        hits = searcher.rank(item.evidence.hits, weights if is_question(item.case.question) else topic_weights(weights))
        excerpts = build_excerpts(item.evidence.view, hits, 1, item.case.question)
        if excerpts:
            first = excerpts[0][0]
            right = first.source.id in item.case.articles and all(a in first.quote for a in item.case.answer)
            hit, share = hit + right, share + _highlight_share(first)
            hold += right and _highlight_holds(first, item.case)
    return hit / max(n, 1), hold / max(hit, 1), share / max(n, 1)


def tune_margins(dev: list[Item], weights: Weights, searcher: Searcher) -> dict[str, float]:
    """The context margin with the best dev hit@1, then the support margins (for sentences, and for the typed
    words of name/number/date questions) whose highlights hold an answer most often while marking at most
    MAX_HIGHLIGHTED_SHARE of the quotes."""
    from libya_qa import excerpts

    best_context = max(
        MARGINS,
        key=lambda m: (
            _with_margins(excerpts, m, excerpts.SUPPORT_MARGIN, m, lambda: excerpt_figures(dev, weights, searcher)[0]),
            -m,
        ),
    )
    pairs = [(support, typed) for support in MARGINS for typed in MARGINS if typed >= support]
    scored = {
        pair: _with_margins(excerpts, best_context, *pair, lambda: excerpt_figures(dev, weights, searcher))
        for pair in pairs
    }
    allowed = [p for p, (_, _, share) in scored.items() if share <= MAX_HIGHLIGHTED_SHARE] or [pairs[0]]
    support, typed = max(allowed, key=lambda p: (scored[p][1], -p[0], -p[1]))
    excerpts.CONTEXT_MARGIN, excerpts.SUPPORT_MARGIN, excerpts.TYPED_SUPPORT_MARGIN = best_context, support, typed
    return {"support_margin": support, "typed_support_margin": typed, "context_margin": best_context}


def _with_margins(module: Any, context: float, support: float, typed: float, measure: Any) -> Any:
    """A measure taken with the excerpt margins set (restored afterwards)."""
    saved = module.CONTEXT_MARGIN, module.SUPPORT_MARGIN, module.TYPED_SUPPORT_MARGIN
    module.CONTEXT_MARGIN, module.SUPPORT_MARGIN, module.TYPED_SUPPORT_MARGIN = context, support, typed
    try:
        return measure()
    finally:
        module.CONTEXT_MARGIN, module.SUPPORT_MARGIN, module.TYPED_SUPPORT_MARGIN = saved


def write_fitted(
    weights: Weights,
    model: dict[str, float],
    threshold: float,
    c: float,
    cv: float,
    dev: list[Item],
    margins: dict[str, float],
    keep_ranking: bool = False,
) -> None:
    """Record the fitted parameters, with how they were made, where the package reads them.

    keep_ranking: the ranking weights are the ones in use, so their provenance stays as it was, and the
    confidence model's is recorded beside it.
    """
    kinds = {k: sum(i.case.kind == k for i in dev) for k in ("answerable", "unanswerable", "followup")}
    on = f"the dev half of tests/data/eval/questions.jsonl ({kinds})"
    provenance = (
        {
            **{k: v for k, v in FITTED["provenance"].items() if k != "calibration_by"},  # a refit model: uncalibrated
            "confidence_fitted_on": on,
            "confidence_by": "bench/fit_ranking.py --keep-ranking --write",
        }
        if keep_ranking
        else {
            "fitted_on": on,
            "by": "bench/fit_ranking.py --write",
            "ranking": f"pairwise logistic regression, C={c} chosen by {FOLDS}-fold cross-validation over dev articles",
            "c": c,
            "cross_validated_mrr": round(cv, 4),
        }
    )
    fitted = {
        "provenance": provenance,
        "ranking": {f.name: round(getattr(weights, f.name), 6) for f in fields(Weights)},
        "topic_extra": FITTED["topic_extra"],
        "confidence": {k: round(v, 6) for k, v in model.items()},
        "answer_probability": threshold,
        "excerpts": margins,
    }
    path = ROOT / "src" / "libya_qa" / "fitted.json"
    path.write_text(json.dumps(fitted, indent=2) + "\n", "utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--current", action="store_true", help="score the weights in search.py only")
    parser.add_argument("--reuse", action="store_true", help="reuse the evidence collected by the last run")
    parser.add_argument("--write", action="store_true", help="write the fitted weights and model to fitted.json")
    parser.add_argument(
        "--keep-ranking",
        action="store_true",
        help="keep fitted.json's ranking weights and excerpt margins; refit the confidence model only",
    )
    args = parser.parse_args()
    qa = eval_qa()
    cases = load_cases(QUESTIONS)
    cache = EVAL / "evidence.pkl"
    if args.reuse and cache.exists():
        items = pickle.loads(cache.read_bytes())
    else:
        items = collect(qa, cases)
        cache.write_bytes(pickle.dumps(items))
    searcher = qa.loaded.searcher
    dev = [i for i in items if i.case.split == "dev"]
    test = [i for i in items if i.case.split == "test"]
    current = QUESTION_WEIGHTS
    rows = [
        {"weights": "current", "split": s, **ranking_figures(part, current, searcher)}
        for s, part in (("dev", dev), ("test", test))
    ]
    if args.current:
        print(table(rows))
        return 0
    if args.keep_ranking:  # a change that touches only not_found need not move the ranking with CV noise
        weights, margins = current, dict(FITTED["excerpts"])
        best_c = float(FITTED["provenance"]["c"])
        cv = {best_c: float(FITTED["provenance"]["cross_validated_mrr"])}
    else:
        cv = {c: cross_validated(dev, c, searcher) for c in C_GRID}
        for c, score in cv.items():
            print(f"C={c:<6} dev cross-validated MRR (answerable + follow-ups) {score:.3f}", flush=True)
        best_c = max(cv, key=cv.get)
        weights = fit_weights(dev, best_c)
        rows += [
            {"weights": f"fitted C={best_c}", "split": s, **ranking_figures(part, weights, searcher)}
            for s, part in (("dev", dev), ("test", test))
        ]
        margins = tune_margins(dev, weights, searcher)
    searcher.weights = weights  # confidence reads scores on the scale of the weights it will be served with
    print(f"excerpt margins (dev): {margins}", flush=True)
    model = fit_confidence(dev, weights, searcher)
    threshold = best_threshold(dev, weights, model, searcher)
    for s, part in (("dev", dev), ("test", test)):
        rows.append(
            {
                "weights": f"confidence >= {threshold}",
                "split": s,
                **abstention(part, weights, model, searcher, threshold),
            }
        )
    print(table(rows, title="dev (fitted on) and test (held out)"))
    print("\nWeights(" + ", ".join(f"{f.name}={getattr(weights, f.name):.4f}" for f in fields(Weights)) + ")")
    print("MODEL = {" + ", ".join(f'"{k}": {v:.4f}' for k, v in model.items()) + "}")
    print(f"ANSWER_PROBABILITY = {threshold}")
    if args.write:
        write_fitted(weights, model, threshold, best_c, cv[best_c], dev, margins, args.keep_ranking)
    write_results(
        "fit_ranking",
        {"cv": cv, "c": best_c, "weights": weights.__dict__, "model": model, "threshold": threshold, "rows": rows},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
