"""Adding one article to a large existing index: incremental build time beside the embedding time.

Target (issue 5): adding one article to a 100,000-passage corpus is indexed in under 5 s plus that
article's embedding time. The article added is a founding-corpus article under a new id; it is then
removed again (a second incremental build: an HNSW graph keeps the removed passages' vectors, masked at
search time, until a fifth of its vectors are masked; reported too).

Run: nice -n 10 .venv/bin/python bench/add_one.py --corpus bench/data/large/corpus --index bench/data/large/index
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FOUNDING_CORPUS, settings_for, table, write_results  # noqa: E402


def main() -> int:
    """Time load, add (incremental build) and remove (incremental build) on an existing index."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args()

    from libya_qa.build import build_index
    from libya_qa.corpus import load_corpus
    from libya_qa.encoders import encoder_for
    from libya_qa.schema import Source

    settings = settings_for(args.corpus, args.index)
    encoder = encoder_for(settings)
    t0 = time.perf_counter()
    articles = load_corpus(settings.corpus_dir)
    load_s = time.perf_counter() - t0
    base = next(a for a in load_corpus(FOUNDING_CORPUS) if a.id.startswith("orton"))
    extra = dataclasses.replace(base, source=dataclasses.replace(base.source, id="zz-bench-added-article"))
    assert isinstance(extra.source, Source)
    rows = []
    for label, corpus in (("add one article", articles + [extra]), ("remove it again", articles)):
        report = build_index(settings, encoder, corpus)
        rows.append(
            {
                "step": label,
                "passages": report.passages,
                "embedded sentences": report.encoded_sentences,
                "embed s": round(report.encode_seconds, 2),
                "total s": round(report.seconds, 2),
                "besides embedding s": round(report.seconds - report.encode_seconds, 2),
                "index": report.index_type,
            }
        )
    print(f"corpus of {len(articles):,} articles loaded from Markdown in {load_s:.1f}s (CLI only; not in the build)")
    print(table(rows, title="incremental build on a large index"))
    write_results("add_one", {"corpus_load_s": load_s, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
