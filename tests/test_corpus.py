"""The corpus format: readable Markdown + YAML, unknowns recorded as unknown, clean bodies."""

from __future__ import annotations

import pytest

from support import ROOT
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


@pytest.mark.parametrize("text, words", [
    ("no header", "no '---' YAML header"),
    ("---\nid: Bad Id\n---\nBody", "must be lowercase"),
    ("---\nid: ok\n---\n   \n", "body is empty"),
    ("---\nid: [unclosed\n---\nBody", "does not parse"),
])
def test_bad_files_get_specific_errors(text: str, words: str) -> None:
    with pytest.raises(CorpusError, match=words.replace("(", r"\(")):
        parse_article(text, "f.md")


def test_duplicate_ids_are_refused(tmp_path) -> None:
    (tmp_path / "a.md").write_text("---\nid: same\n---\nOne.")
    (tmp_path / "b.md").write_text("---\nid: same\n---\nTwo.")
    with pytest.raises(CorpusError, match="used by two corpus files"):
        load_corpus(tmp_path)


def test_founding_corpus_is_clean_and_attributed() -> None:
    articles = {a.id: a for a in load_corpus(ROOT / "corpus")}
    assert len(articles) == 5
    furniture = ["Print Print Cite Cite", "Style: MLA", "Post a Comment", "Posted by", " date 2015-05-27",
                 "CFR seeks to foster", "* Required", "perfidious England"]
    for article in articles.values():
        for junk in furniture:
            assert junk not in article.body, (article.id, junk)
    assert articles["orton-islamic-state-libya-2015"].source.author == "Kyle Orton"
    assert articles["nato-libya-strategic-mistake-2014"].source.title == "unknown"
    assert articles["tnr-clinton-libya-intervention-2015"].body.startswith("Perhaps more questionable")
