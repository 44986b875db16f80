"""Corpus operations: add with the duplicate and replace rules, remove, list, the CLI commands and locks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from libya_qa.build import build_index
from libya_qa.cli import main
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, parse_article
from libya_qa.encoders import HashingEncoder
from libya_qa.errors import Conflict, NotFound
from libya_qa.ingest import Metadata, read_bytes, read_path
from libya_qa.locks import exclusive
from libya_qa.sources import AddResult, add_source, list_sources, remove_source

DATA = Path(__file__).parent / "data" / "ingest"
GAS = "Gas from the Wafa field reached Italy through the Greenstream pipeline in 2015."


def corpus_state(settings: Settings) -> dict[str, bytes]:
    """Every file in the corpus folder, by name."""
    return {p.name: p.read_bytes() for p in sorted(settings.corpus_dir.iterdir())}


def add_text(settings: Settings, text: str, replace: bool = False, **meta: str) -> AddResult:
    """Add a Markdown text with metadata flags."""
    return add_source(settings, read_bytes(text.encode(), "note.md", Metadata(**meta)), replace)


def test_add_writes_a_normalised_file_and_leaves_the_original_alone(tiny_settings: Settings) -> None:
    original = DATA / "sample-article.html"
    before = (hashlib.sha256(original.read_bytes()).hexdigest(), original.stat().st_mtime_ns)
    result = add_source(tiny_settings, read_path(original))
    assert result.action == "added" and result.missing == ()
    assert (hashlib.sha256(original.read_bytes()).hexdigest(), original.stat().st_mtime_ns) == before
    stored = parse_article(result.path.read_text("utf-8"))
    assert stored == result.article and stored.source.publisher == "Sahel Review"
    assert result.path == tiny_settings.corpus_dir / f"{stored.id}.md"
    assert not [p for p in tiny_settings.corpus_dir.iterdir() if p.name.startswith(".")]  # no temp files left
    assert {a.id for a in load_corpus(tiny_settings.corpus_dir)} == {"alpha", "beta", stored.id}


def test_same_text_is_refused_naming_the_existing_article(tiny_settings: Settings) -> None:
    before = corpus_state(tiny_settings)
    beta_body = load_corpus(tiny_settings.corpus_dir)[1].body
    for text in (beta_body, "  " + beta_body.replace(" ", "\n", 3) + "\n"):  # whitespace does not matter
        with pytest.raises(Conflict) as info:
            add_text(tiny_settings, text, title="Another title")
        assert info.value.code == "duplicate_article" and "'beta'" in info.value.message
    with pytest.raises(Conflict):
        add_text(tiny_settings, beta_body, replace=True, id="beta", title="Beta")  # identical: nothing to do
    assert corpus_state(tiny_settings) == before


def test_changed_version_with_same_id_needs_replace(tiny_settings: Settings) -> None:
    before = corpus_state(tiny_settings)
    with pytest.raises(Conflict) as info:
        add_text(tiny_settings, GAS, id="beta")
    assert info.value.code == "article_exists" and "--replace" in info.value.message
    assert corpus_state(tiny_settings) == before
    result = add_text(tiny_settings, GAS, replace=True, id="beta")
    assert result.action == "replaced"
    assert {a.id: a.body for a in load_corpus(tiny_settings.corpus_dir)}["beta"] == GAS


def test_changed_version_with_same_url_replaces_and_keeps_the_id(tiny_settings: Settings) -> None:
    url = "https://example.org/a"  # alpha's url
    with pytest.raises(Conflict) as info:
        add_text(tiny_settings, GAS, title="Gas to Italy", url=url)
    assert "'alpha'" in info.value.message
    result = add_text(tiny_settings, GAS, replace=True, title="Gas to Italy", url=url)
    assert result.action == "replaced" and result.article.id == "alpha"
    alpha = {a.id: a for a in load_corpus(tiny_settings.corpus_dir)}["alpha"]
    assert alpha.body == GAS and alpha.source.title == "Gas to Italy"
    assert sorted(p.name for p in tiny_settings.corpus_dir.glob("*.md")) == ["alpha.md", "beta.md"]


def test_same_text_with_new_metadata_replaces_when_asked(tiny_settings: Settings) -> None:
    beta = load_corpus(tiny_settings.corpus_dir)[1]
    result = add_text(tiny_settings, beta.body, replace=True, id="beta", title="Beta, corrected")
    assert result.action == "replaced"
    assert load_corpus(tiny_settings.corpus_dir)[1].source.title == "Beta, corrected"


def test_a_different_article_with_the_same_derived_id_gets_a_suffix(tiny_settings: Settings) -> None:
    first = add_text(tiny_settings, GAS, title="Gas", url="https://one.example/gas")
    second = add_text(tiny_settings, GAS + " A second story.", title="Gas", url="https://two.example/gas")
    assert (first.article.id, second.article.id) == ("gas", "gas-2")


def test_one_id_and_another_url_is_ambiguous(tiny_settings: Settings) -> None:
    with pytest.raises(Conflict) as info:
        add_text(tiny_settings, GAS, replace=True, id="beta", url="https://example.org/a")
    assert info.value.code == "ambiguous_article"


def test_remove_and_the_next_build_drops_it(tiny_settings: Settings) -> None:
    path = remove_source(tiny_settings, "beta")
    assert not path.exists()
    with pytest.raises(NotFound):
        remove_source(tiny_settings, "beta")
    report = build_index(tiny_settings, HashingEncoder(), load_corpus(tiny_settings.corpus_dir))
    assert report.removed == ("beta",) and report.articles == 1


def test_list_sources_shows_index_status(tiny_settings: Settings) -> None:
    rows = {r.id: r for r in list_sources(tiny_settings)}
    assert {r.status for r in rows.values()} == {"indexed"} and rows["alpha"].passages >= 1
    add_text(tiny_settings, GAS, id="gas", title="Gas", date="2015")
    add_text(tiny_settings, GAS + " Updated.", id="beta", replace=True)
    remove_source(tiny_settings, "alpha")
    rows = {r.id: r for r in list_sources(tiny_settings)}
    assert rows["gas"].status == "not indexed" and rows["gas"].passages == 1 and rows["gas"].date == "2015"
    assert rows["beta"].status == "changed"
    assert rows["alpha"].status == "removed (still indexed)"
    assert rows["gas"].to_dict()["indexed"] is False


def test_corpus_changes_are_one_at_a_time(tiny_settings: Settings) -> None:
    with exclusive(tiny_settings.corpus_dir, "a test"):
        with pytest.raises(Conflict) as info:
            add_text(tiny_settings, GAS, id="gas")
        assert info.value.code == "busy"
    assert add_text(tiny_settings, GAS, id="gas").action == "added"


# --- the CLI ------------------------------------------------------------------------------
@pytest.fixture()
def cli_env(tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the CLI's settings at the tiny corpus and the hashing encoder."""
    monkeypatch.setenv("LIBYA_QA_CORPUS", str(tiny_settings.corpus_dir))
    monkeypatch.setenv("LIBYA_QA_INDEX", str(tiny_settings.index_dir))
    monkeypatch.setenv("LIBYA_QA_MODEL", "hashing-test-encoder")
    return tiny_settings


def test_cli_add_sources_index_remove_rollback(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in ("sample-article.html", "sample-article.pdf"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    assert main(["add", str(folder), "--publisher", "Field Notes"]) == 0
    out, err = capsys.readouterr()
    assert "added desert-pipelines-water-power-southern-libya-2016" in out
    assert "added oasis-schools-teaching-kufra-2018" in out
    assert "missing metadata, written as unknown: url" in out and "libya-qa index" in out
    assert "skipped" in err and "notes.docx" in err
    assert main(["sources", "--json"]) == 0
    assert '"status": "not indexed"' in capsys.readouterr().out
    assert main(["index"]) == 0
    out = capsys.readouterr().out
    assert "added 2" in out and "unchanged 2" in out
    assert main(["remove", "alpha"]) == 0 and main(["index"]) == 0
    assert "removed: alpha" in capsys.readouterr().out
    assert main(["sources"]) == 0
    assert "3 articles in the corpus, 3 indexed" in capsys.readouterr().out
    assert main(["index", "--rollback"]) == 0
    assert "current index is now" in capsys.readouterr().out
    assert main(["sources"]) == 0
    assert "removed (still indexed)" in capsys.readouterr().out


def test_cli_errors_write_nothing(cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = corpus_state(cli_env)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "a.txt").write_text("Alpha text.", "utf-8")
    (tmp_path / "b.txt").write_text("Beta text.", "utf-8")
    assert main(["add", str(tmp_path / "empty.txt"), str(tmp_path / "missing.pdf")]) == 2
    err = capsys.readouterr().err
    assert "error [empty_source]" in err and "error [path_missing]" in err
    assert main(["add", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--title", "Both"]) == 2
    assert "describe one article" in capsys.readouterr().err
    assert main(["add", str(tmp_path / "a.txt"), "--date", "yesterday"]) == 2
    assert main(["remove", "nope"]) == 2
    assert "error [unknown_source]" in capsys.readouterr().err
    assert corpus_state(cli_env) == before


def test_cli_duplicate_and_replace(cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gas.md"
    path.write_text(GAS, "utf-8")
    assert main(["add", str(path)]) == 0
    assert main(["add", str(path)]) == 2
    assert "already in the corpus as 'gas'" in capsys.readouterr().err
    path.write_text(GAS + " It was shut in 2011.", "utf-8")
    assert main(["add", str(path)]) == 2
    assert main(["add", str(path), "--replace"]) == 0
    assert "replaced gas" in capsys.readouterr().out


def test_a_removed_article_is_never_quoted_from_a_masked_hnsw_index(tmp_path: Path) -> None:
    """Through the user's path (remove, rebuild, the running QA reloads): its own words find nothing of it."""
    from support import load_snapshot, make_settings

    from libya_qa.corpus import write_article
    from libya_qa.qa import QA
    from libya_qa.schema import Article, Source
    from libya_qa.sources import rebuild

    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0, index_type="hnsw")
    topics = ["oil exports", "the U.N. mission", "weapons in Mali", "Libya Dawn", "Sirte", "NATO", "migrants"]
    for i, topic in enumerate(topics):
        write_article(settings.corpus_dir, Article(Source(f"art-{i}", f"A{i}"), f"A report on {topic}. More to say."))
    write_article(settings.corpus_dir, Article(Source("gas", "Gas"), GAS))
    rebuild(settings, HashingEncoder())
    qa = QA(settings, HashingEncoder())
    assert qa.ask(GAS).excerpts[0].source.id == "gas"
    remove_source(settings, "gas")
    rebuild(settings, HashingEncoder())
    assert load_snapshot(settings.index_dir).dense_index.rows is not None  # masked, not rebuilt
    qa.reload()
    answer = qa.ask(GAS, top_k=20)
    assert answer.excerpts and all(e.source.id != "gas" for e in answer.excerpts)
    assert len({e.source.id for e in answer.excerpts}) == len(topics)  # every remaining article still found
