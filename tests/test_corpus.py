"""The corpus format: readable Markdown + YAML, unknowns recorded as unknown, clean bodies."""

from __future__ import annotations

import re

import pytest
from support import ALIAS_BOMB, ROOT

from libya_qa.corpus import load_corpus, parse_article, render_article, write_article
from libya_qa.errors import CorpusError
from libya_qa.schema import Article, Source


def test_round_trip_keeps_metadata_and_body(tmp_path) -> None:
    article = Article(Source("a-1", "Title: with colon", "A and B", "Pub", "2015-11", "unknown"), "Body.\n\nTwo.")
    write_article(tmp_path, article)
    [loaded] = load_corpus(tmp_path)
    assert loaded == article and loaded.sha256 == article.sha256
    assert render_article(loaded).startswith("---\nid: a-1\n")


def test_missing_fields_are_unknown_never_invented() -> None:
    article = parse_article("---\nid: x\ntitle: T\n---\nBody text.")
    assert (article.source.author, article.source.publisher, article.source.url) == ("unknown",) * 3


@pytest.mark.parametrize(
    "text, words",
    [
        ("no header", "no '---' YAML header"),
        ("---\nid: Bad Id\n---\nBody", "must be lowercase"),
        ("---\nid: ok\n---\n   \n", "body is empty"),
        ("---\nid: [unclosed\n---\nBody", "does not parse"),
    ],
)
def test_bad_files_get_specific_errors(text: str, words: str) -> None:
    with pytest.raises(CorpusError, match=words.replace("(", r"\(")):
        parse_article(text, "f.md")


def test_duplicate_ids_are_refused(tmp_path) -> None:
    (tmp_path / "a.md").write_text("---\nid: same\n---\nOne.")
    (tmp_path / "b.md").write_text("---\nid: same\n---\nTwo.")
    with pytest.raises(CorpusError, match="used by two corpus files") as info:
        load_corpus(tmp_path)
    assert "a.md" in info.value.message and "b.md" in info.value.message  # both files, to fix either


def test_founding_corpus_is_clean_and_attributed() -> None:
    articles = {a.id: a for a in load_corpus(ROOT / "corpus")}
    assert len(articles) == 5
    furniture = [
        "Print Print Cite Cite",
        "Style: MLA",
        "Post a Comment",
        "Posted by",
        " date 2015-05-27",
        "CFR seeks to foster",
        "* Required",
        "perfidious England",
    ]
    for article in articles.values():
        for junk in furniture:
            assert junk not in article.body, (article.id, junk)
    assert articles["orton-islamic-state-libya-2015"].source.author == "Kyle Orton"
    assert articles["nato-libya-strategic-mistake-2014"].source.title == "unknown"
    assert articles["tnr-clinton-libya-intervention-2015"].body.startswith("Perhaps more questionable")


def test_a_yaml_alias_bomb_is_refused_before_it_expands() -> None:
    assert len(ALIAS_BOMB) < 600  # 533 bytes made a 72 MB title at about 1 GB of memory
    with pytest.raises(CorpusError, match=r"aliases \(\*name\) are not allowed"):
        parse_article(f"---\nid: bomb\n{ALIAS_BOMB}\n---\nBody.", "bomb.md")


@pytest.mark.parametrize(
    "header, words",
    [
        ("title: " + "x" * 2001, "'title' is too long"),
        ("notes: " + "x" * 20_001, "'notes' is too long"),
        ("author: [" + ", ".join(["A"] * 51) + "]", "'author' is too long"),
        ("title: {nested: mapping}", "'title' must be text or a list of texts"),
        ("author: [[nested]]", "'author' must be text or a list of texts"),
        ("? [a, b]\n: complex key", "does not parse"),
    ],
)
def test_header_fields_are_bounded_scalars(header: str, words: str) -> None:
    with pytest.raises(CorpusError, match=re.escape(words)):
        parse_article(f"---\nid: x\n{header}\n---\nBody.", "x.md")


def test_a_killed_writes_temp_file_is_never_read_as_an_article(tmp_path) -> None:
    write_article(tmp_path, Article(Source("real"), "The real article."))
    (tmp_path / ".tmp-abc123.md").write_text("---\nid: half\ntitle: Half wri", "utf-8")  # killed mid-write
    (tmp_path / ".tmp-empty.md").write_text("", "utf-8")  # killed before a byte was written
    assert [a.id for a in load_corpus(tmp_path)] == ["real"]


def test_written_articles_are_readable_by_other_users(tmp_path) -> None:
    path = write_article(tmp_path, Article(Source("shared"), "Text."))
    assert path.stat().st_mode & 0o777 == 0o644
