"""Experiment: passage vectors as the mean of sentence vectors (what the index stores) against
embedding each passage's text directly, on the known-item news task (title -> article).

Needs the news index made by `bench/retrieval_quality.py --from-large bench/data/large`. Every
passage's text is embedded once (37,871 passages, about 6 min with auto precision) and cached in
bench/data/news-passage-vectors.npy, so a rerun embeds nothing.

Run: nice -n 10 .venv/bin/python bench/passage_vectors.py --queries 500
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, settings_for, table, write_results  # noqa: E402
from retrieval_quality import first_ranks, metrics, title_queries  # noqa: E402


def rrf(*rankings: list[int], k: int = 60) -> list[int]:
    """Reciprocal rank fusion of passage rankings."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank + 1)
    return sorted(fused, key=lambda r: -fused[r])


def main() -> int:
    """Rank passages by each kind of vector (alone and fused with BM25) and compare MRR@10."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--depth", type=int, default=100)
    args = parser.parse_args()

    import faiss

    from libya_qa.analysis import tokenize
    from libya_qa.encoders import encoder_for
    from libya_qa.index import load_version

    folder = DATA / "news-3788"
    settings = settings_for(folder / "corpus", folder / "index")
    data = load_version(settings.index_dir)
    encoder = encoder_for(settings)
    cache = DATA / "news-passage-vectors.npy"
    if cache.exists():
        direct = np.load(cache)
    else:
        direct = encoder.encode([data.passage_text(i) for i in range(len(data.passages))], progress=True)
        np.save(cache, direct)
    direct_index = faiss.IndexFlatIP(direct.shape[1])
    direct_index.add(direct.astype(np.float32))
    queries = title_queries(data.articles, args.queries)
    vectors = encoder.encode([q for q, _ in queries])
    owner = data.passages[:, 0]
    ranks: dict[str, list[tuple[int | None, int | None]]] = {}
    for (title, relevant), vector in zip(queries, vectors):
        q = vector.reshape(1, -1).astype(np.float32)
        mean_rows = [int(r) for r in data.dense_search(q, args.depth)[0]]
        direct_rows = [int(r) for r in direct_index.search(q, args.depth)[1][0]]
        scores = data.bm25.get_scores(tokenize(title))
        bm25_rows = [int(r) for r in np.argsort(-scores)[: args.depth] if scores[r] > 0]
        for name, rows in (("dense, mean of sentences", mean_rows), ("dense, passage embedded", direct_rows),
                           ("rrf bm25 + mean", rrf(bm25_rows, mean_rows)),
                           ("rrf bm25 + passage embedded", rrf(bm25_rows, direct_rows)),
                           ("rrf bm25 + mean + passage embedded", rrf(bm25_rows, mean_rows, direct_rows))):
            ranks.setdefault(name, []).append(first_ranks((int(owner[r]) for r in rows), relevant))
    rows = [{"method": name, **metrics(r)} for name, r in ranks.items()]
    print(table(rows, title=f"passage vectors on the news known-item task ({len(queries)} titles)"))
    write_results("passage_vectors", {"rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
