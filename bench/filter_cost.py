"""The cost of a filter on QA.ask at about 100,000 passages, and of "what each source says".

Filters apply before ranking (a passage mask for BM25, a FAISS ID selector or an exact scan of the
kept passages for the dense search), so their cost is the selection itself plus a search over a
different set. This times QA.ask in-process with and without filters of different selectivity, on
an index the script builds once under bench/data/filters-synth/:

- a **synthetic** corpus (seeded word salad over a Zipf vocabulary, 10,000 articles of about 900
  words: ~100,000 passages, so `auto` picks HNSW as at the real large corpus), dated 2011-2020 with
  every 20th date unknown, 50 publishers and 500 authors;
- the model-free random encoder (bench/common.RandomEncoder): no embedding cost, search cost alone.
  Questions are word runs taken from the corpus, so BM25 finds them.

Each variant is timed over the same questions twice: cold (the first pass meets sentences the
searcher has not scored before) and warm. The first ask of a filter also selects its articles
(cached per index version after that: a conversation keeps its filters).

For each filter it also checks the promise of filtering before ranking: every answer holds
excerpts (top_k of them where the filter keeps enough passages), and only from kept articles.

Run: nice -n 10 .venv/bin/python bench/filter_cost.py [--articles 10000] [--questions 100]
     (first run: ~8 min to write the corpus and build its index; then ~5 min)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, RandomEncoder, percentiles, settings_for, table, write_results  # noqa: E402

from libya_qa.build import build_index  # noqa: E402
from libya_qa.corpus import load_corpus, write_article  # noqa: E402
from libya_qa.filters import passes  # noqa: E402
from libya_qa.qa import QA  # noqa: E402
from libya_qa.schema import UNKNOWN, Article, Filters, Source  # noqa: E402

VOCABULARY = 20_000
WORDS_PER_ARTICLE = 900
SENTENCE_WORDS = (8, 25)


def word(i: int) -> str:
    """The i-th pseudo-word (letters only, so the tokenizer keeps it)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = ""
    i += 26 * 27
    while i:
        i, r = divmod(i, 26)
        out += letters[r]
    return out


def make_corpus(folder: Path, n: int, seed: int = 7) -> None:
    """n synthetic articles written to folder (skipped when it already holds n)."""
    if folder.exists() and len(list(folder.glob("*.md"))) == n:
        return
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, VOCABULARY + 1)
    p = 1.0 / ranks
    p /= p.sum()
    vocab = [word(i) for i in range(VOCABULARY)]
    for a in range(n):
        ids = rng.choice(VOCABULARY, size=WORDS_PER_ARTICLE, p=p)
        sentences, at = [], 0
        while at < len(ids):
            k = int(rng.integers(*SENTENCE_WORDS))
            words = [vocab[i] for i in ids[at : at + k]]
            sentences.append(" ".join(words).capitalize() + ".")
            at += k
        paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
        date = UNKNOWN if a % 20 == 0 else f"{2011 + a % 10}-{1 + a % 12:02d}-{1 + a % 28:02d}"
        source = Source(f"synth-{a:05d}", f"Synthetic article {a}", f"Author {a % 500}", f"Publisher {a % 50}", date)
        write_article(folder, Article(source, "\n\n".join(paragraphs)))


def variants(articles: list[Article]) -> dict[str, Filters | None]:
    """The filters timed, from one article to most of the corpus."""
    return {
        "no filter": None,
        "one source": Filters(sources=(articles[123].id,)),
        "one publisher (2%)": Filters(publishers=("Publisher 7",)),
        "one year (2015, ~10%)": Filters(date_from="2015", date_to="2015"),
        "one author (0.2%)": Filters(authors=("Author 42",)),
        "2012-2019 (~76%)": Filters(date_from="2012", date_to="2019-12"),
    }


def questions(articles: list[Article], n: int, seed: int = 11) -> list[str]:
    """Word runs from random articles, phrased as questions."""
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.integers(0, len(articles), size=n):
        words = articles[int(i)].body.split()
        start = int(rng.integers(0, max(len(words) - 6, 1)))
        out.append("What about " + " ".join(w.strip(".").lower() for w in words[start : start + 5]) + "?")
    return out


def time_variant(
    qa: QA, asked: list[str], filters: Filters | None, group: str | None, kept: set[str]
) -> dict[str, Any]:
    """QA.ask timed over the questions twice: the first pass meets new sentences and a new selection (cold),
    the second reads them from the searcher's caches (warm); and whether every answer held excerpts
    from kept articles only."""
    passes_ms: list[list[float]] = [[], []]
    empty = outside = 0
    for samples in passes_ms:
        for q in asked:
            t0 = time.perf_counter()
            answer = qa.ask(q, filters=filters, group=group)
            samples.append((time.perf_counter() - t0) * 1000)
            empty += not answer.excerpts
            outside += sum(e.source.id not in kept for e in answer.excerpts)
    cold, warm = (percentiles(samples) for samples in passes_ms)
    return {
        "first_ms": passes_ms[0][0],
        "cold_p50_ms": cold["p50_ms"],
        "p50_ms": warm["p50_ms"],
        "p95_ms": warm["p95_ms"],
        "answers_without_excerpts": empty,
        "excerpts_outside_filter": outside,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--out", type=Path, default=DATA / "filters-synth")
    args = parser.parse_args()
    import faiss
    import torch

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    settings = settings_for(args.out / "corpus", args.out / "index", answer_threshold=0.0)
    encoder = RandomEncoder()
    t0 = time.perf_counter()
    make_corpus(settings.corpus_dir, args.articles)
    articles = load_corpus(settings.corpus_dir)
    if not (settings.index_dir / "CURRENT").exists():
        build_index(settings, encoder, articles)
    prepared_s = time.perf_counter() - t0
    qa = QA(settings, encoder)
    counts = qa.loaded.snapshot.manifest["counts"]
    print(
        f"{counts['articles']:,} articles, {counts['passages']:,} passages, "
        f"index {qa.loaded.snapshot.manifest['index_type']} (prepared in {prepared_s:.0f} s)"
    )
    asked = questions(articles, args.questions)
    rows = []
    for name, filters in variants(articles).items():
        kept = {a.id for a in articles if filters is None or passes(a.source, filters)}
        selection = qa.loaded.snapshot.select(filters) if filters else None
        passages = int(selection.handle.sum()) if selection is not None else counts["passages"]
        t0 = time.perf_counter()
        for _ in range(5):
            if filters is not None:
                qa.loaded.snapshot._select(filters)  # uncached: what a new filter costs once per index version
        select_ms = (time.perf_counter() - t0) * 1000 / 5
        row = {"filter": name, "articles": len(kept), "passages": passages, "select_ms": select_ms}
        rows.append({**row, **time_variant(qa, asked, filters, None, kept)})
        print(table(rows[-1:]))
    rows.append(
        {
            "filter": "no filter, group=source",
            "articles": len(articles),
            "passages": counts["passages"],
            **time_variant(qa, asked, None, "source", {a.id for a in articles}),
        }
    )
    print(table(rows, title="\nQA.ask with filters (random encoder, one thread)"))
    write_results(
        "filter_cost",
        {
            "articles": counts["articles"],
            "passages": counts["passages"],
            "index_type": qa.loaded.snapshot.manifest["index_type"],
            "rows": rows,
            "synthetic": True,
            "encoder": "random",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
