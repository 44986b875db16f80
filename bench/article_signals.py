"""Sweep the article-level signals (whole-article BM25, lead-passage cosine, lead keyword coverage) on
three quality sets.

The assistant has two weight profiles that differ only in these weights: one for questions, one
for topics and headlines (queries not phrased as a question; `analysis.is_question`). For each weight
pair this prints what it would give in either role:
  - as the question weights: the evaluation set's hit@1 / hit@5 / MRR and its best abstention threshold
    (bench/quality_signals.py's measures);
  - as the topic weights: hit@1 / hit@5 / MRR of tests/data/topics.jsonl (evaluation questions rephrased
    as topics, on the founding corpus), and MRR@10 of the news known-item task over every titled
    article, also per half (even / odd titles) so a pair that only suits one half shows. Titles phrased
    as questions keep the question weights, as in the assistant.
Sentence features are computed once per query; only the combination changes. Every (BM25, cosine)
pair is tried without lead coverage; lead coverage is then swept at the two profiles' own pairs.

Needs the news index made by `bench/retrieval_quality.py --from-large bench/data/large`.
Run: nice -n 10 .venv/bin/python bench/article_signals.py
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, EVAL_FILE, ROOT, settings_for, table, write_results  # noqa: E402
from quality_signals import best_threshold, metrics as eval_metrics  # noqa: E402
from retrieval_quality import first_ranks, metrics as known_item_metrics, title_queries  # noqa: E402

GRID = (0.0, 0.15, 0.3, 0.45, 0.65, 0.8)
PROFILE_PAIRS = ((0.15, 0.15), (0.45, 0.45))  # the question and topic weights' (BM25, cosine)
TOPICS_FILE = ROOT / "tests" / "data" / "topics.jsonl"


def main() -> int:
    """Features once, then every weight pair on all three sets."""
    from libya_qa.analysis import is_question
    from libya_qa.config import Settings
    from libya_qa.evaluation import load_cases
    from libya_qa.followup import search_query
    from libya_qa.qa import QA

    cases, topics = load_cases(EVAL_FILE), load_cases(TOPICS_FILE)
    founding = QA(Settings.from_env())
    features = {c.id: founding.loaded.searcher.features(search_query(c.question, list(c.history)))
                for c in cases + topics}
    folder = DATA / "news-3788"
    news = QA(settings_for(folder / "corpus", folder / "index"), founding.encoder)
    searcher = news.loaded.searcher
    queries = title_queries(news.loaded.data.articles)
    vectors = searcher.encoder.encode([title for title, _ in queries])
    news_features = [searcher.features(title, v) for (title, _), v in zip(queries, vectors)]
    asked = [is_question(title) for title, _ in queries]
    rows = []
    combos = [(k, c, 0.0) for k, c in itertools.product(GRID, GRID)]
    combos += [(k, c, coverage) for k, c in PROFILE_PAIRS for coverage in GRID[1:]]
    for keywords, lead, coverage in combos:
        weights = dataclasses.replace(searcher.weights, article_keywords=keywords, article_lead=lead,
                                      lead_coverage=coverage)
        quality = eval_metrics(founding, cases, features, weights)
        threshold, answered, abstained = best_threshold(cases, quality.pop("tops"))
        topic = eval_metrics(founding, topics, features, weights)
        ranks = [first_ranks([h.article for h in searcher.rank(hits, None if question else weights)], relevant)
                 for (_, relevant), hits, question in zip(queries, news_features, asked)]
        rows.append({"article_keywords": keywords, "article_lead": lead, "lead_coverage": coverage, **quality, "threshold": threshold,
                     "answered": answered, "abstained": abstained,
                     "topics_hit@1": topic["hit@1"], "topics_hit@5": topic["hit@5"], "topics_mrr": topic["mrr"],
                     "news_mrr@10": known_item_metrics(ranks)["mrr@10"],
                     "news_even": known_item_metrics(ranks[0::2])["mrr@10"],
                     "news_odd": known_item_metrics(ranks[1::2])["mrr@10"]})
    print(table(rows, title="article signals: as question weights (evaluation set: hit@1, hit@5, mrr, "
                            "abstention) and as topic weights (topics set; news MRR@10)"))
    write_results("article_signals", {"rows": rows, "news_queries": len(queries),
                                      "news_queries_phrased_as_questions": sum(asked)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
