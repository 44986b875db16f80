"""Sweep the two article-level signals (whole-article BM25, lead-passage cosine) on both quality sets.

For each weight pair: the evaluation set's hit@1 / hit@5 / MRR and its best abstention threshold
(bench/quality_signals.py's measures), and the news known-item task's MRR@10 over 500 sampled titles,
also per half (even / odd queries) so a pair that only suits one half shows. Sentence features are
computed once per question; only the combination changes.

Needs the news index made by `bench/retrieval_quality.py --from-large bench/data/large`.
Run: nice -n 10 .venv/bin/python bench/article_signals.py
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, EVAL_FILE, settings_for, table, write_results  # noqa: E402
from quality_signals import best_threshold, metrics as eval_metrics  # noqa: E402
from retrieval_quality import first_ranks, metrics as known_item_metrics, title_queries  # noqa: E402

GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)


def main() -> int:
    """Features once, then every weight pair on both sets."""
    from libya_qa.config import Settings
    from libya_qa.evaluation import load_cases
    from libya_qa.followup import search_query
    from libya_qa.qa import QA

    cases = load_cases(EVAL_FILE)
    founding = QA(Settings.from_env())
    eval_features = {c.id: founding.loaded.searcher.features(search_query(c.question, list(c.history)))
                     for c in cases}
    folder = DATA / "news-3788"
    news = QA(settings_for(folder / "corpus", folder / "index"), founding.encoder)
    searcher = news.loaded.searcher
    queries = title_queries(news.loaded.data.articles, 500)
    vectors = searcher.encoder.encode([title for title, _ in queries])
    news_features = [searcher.features(title, v) for (title, _), v in zip(queries, vectors)]
    rows = []
    for keywords, lead in itertools.product(GRID, GRID):
        weights = dataclasses.replace(searcher.weights, article_keywords=keywords, article_lead=lead)
        quality = eval_metrics(founding, cases, eval_features, weights)
        threshold, answered, abstained = best_threshold(cases, quality.pop("tops"))
        ranks = [first_ranks([h.article for h in searcher.rank(hits, weights)], relevant)
                 for (_, relevant), hits in zip(queries, news_features)]
        rows.append({"article_keywords": keywords, "article_lead": lead, **quality, "threshold": threshold,
                     "answered": answered, "abstained": abstained,
                     "news_mrr@10": known_item_metrics(ranks)["mrr@10"],
                     "news_even": known_item_metrics(ranks[0::2])["mrr@10"],
                     "news_odd": known_item_metrics(ranks[1::2])["mrr@10"]})
    print(table(rows, title="article signals: evaluation set (hit@1, hit@5, mrr, abstention) and news MRR@10"))
    write_results("article_signals", {"rows": rows, "news_queries": len(queries)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
