"""The CLI is a thin adapter: same answers as the API, readable output, clear errors."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from libya_qa.app import create_app
from libya_qa.cli import RELATED_LINE, main, older_analyser
from libya_qa.encoders import HashingEncoder


def test_ask_json_is_exactly_the_api_json(env, tiny_qa, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "Who backed Haftar?", "--json", "--top-k", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with TestClient(create_app(env, tiny_qa)) as client:
        api = client.post("/ask", json={"question": "Who backed Haftar?", "top_k": 2}).json()
    printed.pop("took_ms"), api.pop("took_ms")
    assert printed == api


def test_ask_prints_quotes_with_highlight_and_attribution(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "Who backed Haftar?"]) == 0
    out = capsys.readouterr().out
    assert "«" in out and "»" in out and "Ann Author" in out and "alpha" in out


def test_unknown_metadata_is_said_in_words(env, capsys) -> None:  # type: ignore[no-untyped-def]
    """An article with no known author or link is cited as such, not as a bare "unknown"."""
    assert main(["ask", "Who supported Libya Dawn financially?", "--top-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "Qatar" in out and "— Beta, author unknown, publisher unknown, date unknown (link unknown)" in out
    assert "(unknown)" not in out


def test_bad_question_exits_2_with_a_specific_message(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "   "]) == 2
    assert "empty_question" in capsys.readouterr().err


def test_index_prints_a_summary(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["index", "--full"]) == 0
    out = capsys.readouterr().out
    assert "2 articles" in out and "full" in out and "passages" in out


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("LIBYA_QA_SERVE_THREADS", "two", "LIBYA_QA_SERVE_THREADS must be a whole number, got 'two'"),
        ("LIBYA_QA_SERVE_THREADS", "0", "LIBYA_QA_SERVE_THREADS must be at least 1, got 0"),
        ("LIBYA_QA_ANSWER_THRESHOLD", "high", "LIBYA_QA_ANSWER_THRESHOLD must be a number, got 'high'"),
        ("LIBYA_QA_INDEX_TYPE", "hnws", "LIBYA_QA_INDEX_TYPE must be one of auto, flat, hnsw, hnsw-sq8, ivf-sq8"),
        ("LIBYA_QA_PRECISION", "fp16", "LIBYA_QA_PRECISION must be one of fp32, bf16, int8, auto, got 'fp16'"),
        ("LIBYA_QA_MASKED_MAX_SHARE", "1.5", "LIBYA_QA_MASKED_MAX_SHARE must be between 0 and 1, got 1.5"),
        ("LIBYA_QA_ANSWER_THRESHOLD", "nan", "LIBYA_QA_ANSWER_THRESHOLD must be a probability from 0 to 1, got nan"),
        ("LIBYA_QA_KEEP_VERSIONS", "0", "LIBYA_QA_KEEP_VERSIONS must be at least 1, got 0"),
        (
            "LIBYA_QA_QUESTION_ENCODER",
            "tensorrt",
            "LIBYA_QA_QUESTION_ENCODER must be one of onnx, torch, got 'tensorrt'",
        ),
        ("LIBYA_QA_CACHE", "/etc/passwd", "LIBYA_QA_CACHE must be a folder (or a path where one can be made)"),
    ],
)
def test_a_bad_setting_is_named_before_anything_runs(env, monkeypatch, capsys, variable, value, says) -> None:  # type: ignore[no-untyped-def]
    """A setting no component can use stops every command with one line naming the variable."""
    before = sorted(p.name for p in env.index_dir.rglob("*"))
    monkeypatch.setenv(variable, value)
    assert main(["index"]) == 2
    err = capsys.readouterr().err
    assert "error [bad_setting]" in err and says in err
    assert sorted(p.name for p in env.index_dir.rglob("*")) == before  # nothing was built or touched


def test_an_undecodable_argument_is_one_line_not_a_traceback(env, capsys) -> None:  # type: ignore[no-untyped-def]
    question = b"Who backed \xff?".decode("utf-8", "surrogateescape")  # what Python makes of $'\xff' in argv
    assert main(["ask", question]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [invalid_text]: the question is not valid text") and len(err.splitlines()) == 1


@pytest.mark.parametrize("damage", ["pointer", "manifest", "passages"])
def test_serve_and_ask_refuse_a_damaged_index_in_one_line(env, capsys, damage) -> None:  # type: ignore[no-untyped-def]
    """A non-UTF-8 CURRENT or a manifest of the wrong shape: one line and exit 2, before any server starts."""
    root = env.index_dir
    if damage == "pointer":
        (root / "CURRENT").write_bytes(b"\xff\xfe")
    else:
        manifest_path = root / "versions" / (root / "CURRENT").read_text().strip() / "manifest.json"
        manifest = json.loads(manifest_path.read_text("utf-8"))
        if damage == "passages":  # valid JSON, one count no longer a number
            next(iter(manifest["articles"].values()))["passages"] = "abc"
        manifest_path.write_text("[]" if damage == "manifest" else json.dumps(manifest), "utf-8")
    if damage == "passages":  # the listing still works, and says the index cannot be served
        assert main(["sources"]) == 0 and "warning: the current index cannot be served" in capsys.readouterr().err
    for command in (["serve", "--port", "0"], ["ask", "Who backed Haftar?"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith("error [index_corrupt]: ") and len(err.splitlines()) == 1, err
        assert "libya-qa index --full" in err and "Traceback" not in err


def test_serve_rebuilds_an_index_of_an_older_format_before_serving(env, tiny_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A checkout upgraded in place: `./run serve` rebuilds the index once instead of refusing to start."""
    import json

    from libya_qa.index import VERSIONS, current_version

    old = current_version(tiny_settings.index_dir)
    manifest_path = tiny_settings.index_dir / VERSIONS / str(old) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "format": 2}))
    assert older_analyser({**manifest, "chunking": {**manifest["chunking"], "analysis": "2"}})
    assert not older_analyser(manifest)  # the index this release made is served as it is
    served: list[str] = []
    monkeypatch.setattr("libya_qa.api.server.run", lambda app, settings, host, port: served.append(host))
    monkeypatch.setattr("libya_qa.encoders.encoder_for", lambda settings, questions=True: HashingEncoder())
    monkeypatch.setattr("libya_qa.qa.encoder_for", lambda settings: HashingEncoder())
    assert main(["serve", "--host", "127.0.0.1", "--port", "0"]) == 0
    assert served == ["127.0.0.1"] and current_version(tiny_settings.index_dir) != old


def test_serve_warns_of_an_index_an_older_keyword_analyser_made_and_serves_it(
    env, tiny_settings, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    """Its vectors still hold: rebuilding a large corpus at start-up is the operator's call, said in one line."""
    import json

    from libya_qa.index import VERSIONS, current_version

    old = current_version(tiny_settings.index_dir)
    manifest_path = tiny_settings.index_dir / VERSIONS / str(old) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "chunking": {**manifest["chunking"], "analysis": "2"}}))
    served: list[str] = []
    monkeypatch.setattr("libya_qa.api.server.run", lambda app, settings, host, port: served.append(host))
    monkeypatch.setattr("libya_qa.qa.encoder_for", lambda settings: HashingEncoder())
    assert main(["serve", "--host", "127.0.0.1", "--port", "0"]) == 0
    assert served == ["127.0.0.1"] and current_version(tiny_settings.index_dir) == old  # served, not rebuilt
    assert "libya-qa index --full" in capsys.readouterr().err


def test_an_answers_related_passages_come_last_under_their_own_line(env, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LIBYA_QA_ANSWER_THRESHOLD", "0.5")  # the bar is then min(0.2, 0.5): weak quotes are related
    assert main(["ask", "Who backed Haftar?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    bearing = sum(not e["related"] for e in answer["excerpts"])
    assert answer["status"] == "answered" and 0 < bearing < len(answer["excerpts"])
    assert main(["ask", "Who backed Haftar?"]) == 0
    out = capsys.readouterr().out
    numbers = re.findall(r"^\[(\d+)\] strength", out, re.MULTILINE)
    assert numbers == [str(n) for n in range(1, len(answer["excerpts"]) + 1)]  # one numbering throughout
    assert out.count(RELATED_LINE) == 1
    assert out.index(f"[{bearing}] strength") < out.index(RELATED_LINE) < out.index(f"[{bearing + 1}] strength")


def test_an_answer_without_related_passages_prints_no_related_line(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "Who backed Haftar?"]) == 0  # threshold 0: nothing is under the bar
    out = capsys.readouterr().out
    assert "[1] strength" in out and "Related passages" not in out


@pytest.mark.parametrize(
    "content, says",
    [
        (None, "cannot read"),
        ("not json\n", "line 1 is not JSON"),
        ("[1]\n", "not a JSON object"),
        ('{"id": "q1"}\n', "line 1 is not a case: question must be"),
        ('{"kind": "unanswerable", "question": "Q?"}\n', "it has no 'id'"),
        # an answer given as a string would be matched letter by letter, and score a hit
        (
            '{"id": "q", "kind": "answerable", "question": "Q?", "articles": ["a"], "answer": "Sudan"}\n',
            "answer must be",
        ),
        (
            '{"id": "q", "kind": "answerable", "question": "Q?", "articles": ["a"], "answer": []}\n',
            "needs its articles",
        ),
        ('{"id": "q", "kind": "bogus", "question": "Q?"}\n', "kind must be one of"),
        ('{"id": "q", "kind": "unanswerable", "question": "Q?", "split": "train"}\n', "split one of dev, test"),
        (
            '{"id": "q", "kind": "followup", "question": "Q?", "articles": ["a"], "answer": ["x"], "history": "Q"}\n',
            "history must be",
        ),
    ],
)
def test_eval_refuses_a_missing_or_malformed_file_in_one_line(env, tmp_path, capsys, content, says) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cases.jsonl"
    if content is not None:
        path.write_text(content, "utf-8")
    assert main(["eval", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [bad_eval_file]: ") and says in err and len(err.splitlines()) == 1, err


def test_eval_with_no_questions_to_ask_says_so_instead_of_printing_zeros(env, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cases.jsonl"
    path.write_text(
        '{"id": "q1", "kind": "unanswerable", "question": "Who backed Haftar?", "split": "test"}\n', "utf-8"
    )
    assert main(["eval", str(path), "--split", "dev"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [no_eval_cases]: ") and "of split dev (its splits: test)" in err, err
    path.write_text("\n", "utf-8")
    assert main(["eval", str(path)]) == 2
    assert "holds no questions" in capsys.readouterr().err


def test_ask_refuses_what_would_filter_or_search_for_nothing_naming_the_flags(env, capsys) -> None:  # type: ignore[no-untyped-def]
    for argv, says in (
        (["--publisher", "Nobody Press"], "error [unknown_publisher]: --publisher names 1"),
        (["--author", "Nobody"], "error [unknown_author]: --author names 1"),
        (["--until", "2015-02-30"], "error [bad_date]: --until must be a real date"),
        (["--source", "nope"], "error [unknown_source]: --source names 1"),
    ):
        assert main(["ask", "Who backed Haftar?", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith(says) and "filters." not in err and "GET /" not in err, err
    for question in ("?", "\u200b\u200b", "\x01\x02"):  # nothing to search for
        assert main(["ask", question]) == 2
        assert capsys.readouterr().err.startswith("error [empty_question]: the question has no words")


def test_a_terminal_escape_in_a_question_never_reaches_the_terminal(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "Who backed \x1b[31mHaftar?\x07"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out


def test_remove_goes_on_past_an_unknown_id_and_exits_2(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["remove", "nope", "beta"]) == 2
    captured = capsys.readouterr()
    assert "error [unknown_source]" in captured.err and "removed beta" in captured.out
    assert not list(env.corpus_dir.glob("beta*"))


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_that_cannot_be_one_before_loading_anything(env, port, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--port", port])
    assert exit_info.value.code == 2 and "is not a port from 0 to 65535" in capsys.readouterr().err


def test_a_file_where_a_folder_belongs_and_a_folder_that_cannot_be_made_are_one_line(
    env, tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    monkeypatch.setenv("LIBYA_QA_INDEX", str(a_file))
    assert main(["index"]) == 2
    assert capsys.readouterr().err.startswith("error [bad_setting]: LIBYA_QA_INDEX must be a folder")
    monkeypatch.setenv("LIBYA_QA_INDEX", str(a_file / "below"))  # under a file: no folder can be made there
    assert main(["index"]) == 2
    err = capsys.readouterr().err.splitlines()[-1]  # after the "Indexing ..." progress line
    assert err.startswith("error [io_error]: Not a directory") and "afile" in err, err


def test_a_path_or_model_setting_set_but_empty_reads_as_unset(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from libya_qa.config import DEFAULT_MODEL, Settings

    for name in ("LIBYA_QA_CORPUS", "LIBYA_QA_INDEX", "LIBYA_QA_MODEL"):
        monkeypatch.setenv(name, " ")
    settings = Settings.from_env()
    assert (
        settings.model == DEFAULT_MODEL and settings.corpus_dir.name == "corpus" and settings.index_dir.name == "index"
    )


def test_serve_on_a_port_another_program_holds_is_one_line_before_anything_loads(env, capsys) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.create_server(("127.0.0.1", 0)) as holder:
        port = holder.getsockname()[1]
        assert main(["serve", "--host", "127.0.0.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == f"error [port_in_use]: port {port} on 127.0.0.1 is in use: stop the other server or pass --port\n"


def test_ask_json_reports_a_refusal_in_the_api_error_shape(env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "?", "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {
        "error": {"code": "empty_question", "message": "the question has no words: type a question about Libya"}
    }
    assert captured.err.startswith("error [empty_question]")


def test_remove_and_rollback_never_make_the_folder_they_were_pointed_at(env, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LIBYA_QA_CORPUS", str(tmp_path / "no-corpus"))
    assert main(["remove", "alpha"]) == 2 and "error [corpus_missing]" in capsys.readouterr().err
    monkeypatch.setenv("LIBYA_QA_INDEX", str(tmp_path / "no-index"))
    assert main(["index", "--rollback"]) == 2 and "there is no index in" in capsys.readouterr().err
    assert not (tmp_path / "no-corpus").exists() and not (tmp_path / "no-index").exists()


def test_add_of_a_damaged_pdf_is_exactly_one_line_and_replace_with_nothing_to_replace_says_so(
    env, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    damaged = tmp_path / "cut.pdf"
    damaged.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")  # no xref, no EOF marker
    assert main(["add", str(damaged)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [bad_pdf]") and len(err.splitlines()) == 1, err  # no pypdf warning before it
    fresh = tmp_path / "fresh.txt"
    fresh.write_text("The Petroleum Facilities Guard closed two oil export terminals in July 2013.")
    assert main(["add", str(fresh), "--replace", "--id", "pfg-terminals"]) == 0
    assert "no article had that id or url, so it was added as a new one" in capsys.readouterr().out


def test_sources_warns_when_a_file_of_the_current_index_is_damaged(env, capsys) -> None:  # type: ignore[no-untyped-def]
    version = (env.index_dir / "CURRENT").read_text().strip()
    (env.index_dir / "versions" / version / "passages.npy").write_bytes(b"damaged")  # the manifest still reads
    assert main(["sources"]) == 0
    captured = capsys.readouterr()
    assert (
        "warning: the current index cannot be served (index_corrupt)" in captured.err and "passages.npy" in captured.err
    )
    assert main(["index"]) == 0  # and the rebuild it asks for brings it back
    capsys.readouterr()
    assert main(["sources"]) == 0 and "warning" not in capsys.readouterr().err
