"""The HTML side without a browser: server-rendered answers (no JavaScript), escaping, CSP, the source viewer."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from libya_qa.app import create_app
from libya_qa.build import build_index
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.qa import QA
from libya_qa.schema import Answer, Article, Excerpt, Source
from libya_qa.web import CSP, EXAMPLES, answer_link, in_reading_order, year_span

HTML = {"accept": "text/html"}
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>']
ROOT = Path(__file__).resolve().parents[1]


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text of each element id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Parse a page into its start tags."""
    parser = Tags()
    parser.feed(html)
    return parser.tags


def assert_no_inline_code(html: str) -> None:
    """CSP-safe markup: scripts are files (or inert JSON data), no style attributes, no on* handlers."""
    for tag, attrs in tags(html):
        if tag == "script":
            assert attrs.get("src") or attrs.get("type") == "application/json", attrs
        assert "style" not in attrs, (tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "cite"):
            assert not (attrs.get(name) or "").strip().lower().startswith(("javascript:", "data:")), (tag, attrs)


def quotes(html: str) -> list[str]:
    """The inner HTML of every block quote on a page."""
    return re.findall(r"<blockquote[^>]*>(.*?)</blockquote>", html, re.S)


def assert_quoted(html: str, words: str) -> None:
    """Some block quote contains `words` and highlights part of itself with <mark>."""
    hits = [q for q in quotes(html) if words in re.sub(r"</?mark>", "", q)]
    assert hits, f"no quote contains {words!r}"
    assert all(re.search(r"<mark>[^<]+</mark>", q) for q in hits)


def initial_turn(html: str) -> dict[str, object]:
    """The answer the server hands to chat.js in its JSON data block."""
    found = re.search(r'<script type="application/json" id="initial-turn">(.*?)</script>', html, re.S)
    assert found, "no initial-turn data block"
    return json.loads(found.group(1))


def test_empty_page_describes_corpus_and_offers_examples(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    page = response.text
    assert "<h1" in page and "Ask the Libya corpus" in page
    assert "2 articles about Libya published 2015" in page
    assert '<a href="/sources/alpha">Alpha</a>' in page and "Ann Author, Pub, 2015-01-01" in page
    assert "author unknown, publisher unknown, date unknown" in page  # beta has no metadata: said plainly
    for example in EXAMPLES:
        assert f'href="{answer_link(example)}"'.replace("&", "&amp;") in page
    assert '<form id="ask" method="post" action="/"' in page
    assert '<label for="question">Your question</label>' in page
    assert 'role="log" aria-live="polite"' in page and 'role="status"' in page
    assert re.search(r'<script type="module" src="[^"]*/static/chat\.js"></script>', page)
    assert "initial-turn" not in page  # nothing asked yet
    assert_no_inline_code(page)


def test_get_q_renders_the_answer_without_javascript(client: TestClient) -> None:
    page = client.get("/", params={"q": "Who backed Haftar?"}).text
    assert (
        '<h2 class="question" id="turn-0-q"><span class="visually-hidden">Question: </span>Who backed Haftar?</h2>'
        in page
    )
    assert_quoted(page, "Haftar was backed by Egypt.")
    version = initial_turn(page)["answer"]["index_version"]  # type: ignore[index]
    assert re.search(
        rf'<a class="source-link" href="/sources/alpha\?version={version}&amp;start=0&amp;end=\d+#quote">'
        r"Alpha</a>",
        page,
    )
    assert "— Ann Author, Pub, 2015-01-01" in page
    assert 'href="https://example.org/a" rel="noopener noreferrer">original</a>' in page
    assert '<a class="answer-link" href="/?q=Who+backed+Haftar%3F">Link to this answer</a>' in page
    assert '<details class="corpus" id="corpus">' in page  # folded once there is an answer
    turn = initial_turn(page)
    assert turn["question"] == "Who backed Haftar?" and turn["history"] == []
    answer = turn["answer"]
    assert isinstance(answer, dict) and answer["status"] == "answered" and answer["excerpts"]
    assert_no_inline_code(page)


def test_plain_form_post_renders_the_answer(client: TestClient) -> None:
    response = client.post("/", data={"question": "  Which country backed   Haftar? "})
    assert response.status_code == 200
    assert "Question: </span>Which country backed Haftar?</h2>" in response.text
    assert_quoted(response.text, "Haftar was backed by Egypt.")


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_a_readable_error(client: TestClient, question: str) -> None:
    response = client.post("/", data={"question": question})
    assert response.status_code == 422
    assert '<p class="error" role="alert">the question is empty: type a question about Libya</p>' in response.text
    assert initial_turn(response.text)["error"] == {
        "code": "empty_question",
        "message": "the question is empty: type a question about Libya",
    }


def test_too_long_question_is_a_readable_error(client: TestClient, tiny_settings: Settings) -> None:
    response = client.get("/", params={"q": "x" * (tiny_settings.max_question_chars + 1)})
    assert response.status_code == 422
    assert "the limit is 500" in response.text and 'role="alert"' in response.text


@pytest.mark.parametrize("payload", XSS)
def test_questions_are_escaped_everywhere(client: TestClient, payload: str) -> None:
    for response in (
        client.get("/", params={"q": payload, "h": [payload]}),
        client.post("/", data={"question": payload}),
    ):
        page = response.text
        assert payload not in page
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg" not in page
        assert payload.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") in page
        assert initial_turn(page)["question"] == payload  # the data block is JSON, with < escaped as \u003c
        assert_no_inline_code(page)


def test_history_is_passed_and_kept_in_the_link(
    client: TestClient, tiny_qa: QA, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []
    ask = tiny_qa.ask

    def recording_ask(
        question: str,
        top_k: int | None = None,
        history: list[str] = [],  # noqa: B006
        **options: object,
    ) -> object:
        seen.append(list(history))
        return ask(question, top_k, history, **options)

    monkeypatch.setattr(tiny_qa, "ask", recording_ask)
    history = [f"earlier question {i}" for i in range(10)] + ["  ", "Who backed Haftar?"]
    page = client.get("/", params={"q": "What about Qatar?", "h": history}).text
    kept = [f"earlier question {i}" for i in range(5, 10)] + ["Who backed Haftar?"]  # blanks dropped, last 6
    assert seen == [kept]
    assert initial_turn(page)["history"] == kept
    link = answer_link("What about Qatar?", kept).replace("&", "&amp;")
    assert f'<a class="answer-link" href="{link}">' in page


def test_not_found_is_said_and_nearest_passages_are_labelled(tiny_settings: Settings) -> None:
    strict = replace(tiny_settings, answer_threshold=1.0)  # no probability reaches it
    with TestClient(create_app(strict, QA(strict, HashingEncoder()))) as client:
        page = client.get("/", params={"q": "Who backed Haftar?"}).text
    assert "<strong>Not found in the corpus.</strong>" in page
    assert "they are not an answer" in page
    figures = page.count('<figure class="excerpt nearest">')
    assert figures > 0 and page.count("Nearest passage (not an answer)") == figures
    assert any(e["related"] for e in initial_turn(page)["answer"]["excerpts"])  # type: ignore[index]
    assert "Related passages" not in page  # every passage is labelled "nearest" already


def shown_quotes(html: str) -> list[str]:
    """The text of every block quote on a page, in page order (marks dropped, entities decoded)."""
    return [unescape(re.sub(r"</?mark>", "", q)) for q in quotes(html)]


def test_an_answers_related_passages_follow_the_others_under_their_own_heading(tiny_settings: Settings) -> None:
    settings = replace(tiny_settings, answer_threshold=0.5)  # the bar is then min(0.2, 0.5): weak quotes are related
    with TestClient(create_app(settings, QA(settings, HashingEncoder()))) as client:
        page = client.get("/", params={"q": "Who backed Haftar?"}).text
    answer = initial_turn(page)["answer"]
    assert answer["status"] == "answered"  # type: ignore[index]
    excerpts = sorted(answer["excerpts"], key=lambda e: -e["score"])  # type: ignore[index]
    bearing = [e["quote"] for e in excerpts if not e["related"]]
    related = [e["quote"] for e in excerpts if e["related"]]
    assert bearing and related
    assert page.count('<h3 class="related-heading" id="turn-0-related">Related passages</h3>') == 1
    before, after = page.split('<h3 class="related-heading"')
    assert shown_quotes(before) == bearing and shown_quotes(after) == related  # each part best first
    assert "may not answer it" in after and after.count('<figure class="excerpt related">') == len(related)
    assert_no_inline_code(page)


def test_an_answer_without_related_passages_has_no_related_heading(client: TestClient) -> None:
    page = client.get("/", params={"q": "Who backed Haftar?"}).text  # threshold 0: nothing is under the bar
    assert not any(e["related"] for e in initial_turn(page)["answer"]["excerpts"])  # type: ignore[index]
    assert shown_quotes(page) and "Related passages" not in page and "related-heading" not in page


def test_source_viewer_marks_the_quoted_range(client: TestClient) -> None:
    response = client.get("/sources/alpha", params={"start": 0, "end": 27}, headers=HTML)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert (
        '<mark id="quote" class="quote" tabindex="-1" aria-describedby="quote-note">Haftar was backed by Egypt.</mark>'
        in page
    )
    assert (
        '<h1 id="source-title">Alpha</h1>' in page and "<dd>Ann Author</dd>" in page and "<dd>2015-01-01</dd>" in page
    )
    assert "characters 0–27" in page and 'href="#quote"' in page
    assert re.search(r'<script type="module" src="[^"]*/static/source\.js"></script>', page)
    assert '<a class="skip-link" href="#quote">' in page
    assert_no_inline_code(page)


@pytest.mark.parametrize("query", [{}, {"start": 10, "end": 5}, {"start": "a", "end": "9"}, {"start": 5, "end": 5}])
def test_source_viewer_without_a_usable_range_shows_the_article(client: TestClient, query: dict[str, object]) -> None:
    page = client.get("/sources/alpha", params=query, headers=HTML).text
    assert 'id="quote"' not in page and "quote-note" not in page
    assert "Haftar was backed by Egypt. The weather in Tripoli was warm." in page


def test_source_viewer_clamps_a_range_past_the_end(client: TestClient) -> None:
    page = client.get("/sources/beta", params={"start": 68, "end": 10_000}, headers=HTML).text
    assert re.search(r'<mark id="quote"[^>]*>Weapons flowed from Libya into Mali after 2011.</mark>', page)


def test_source_json_is_unchanged_for_api_clients(client: TestClient) -> None:
    data = client.get("/sources/alpha", headers={"accept": "application/json"}).json()
    assert data["id"] == "alpha" and data["body"].startswith("Haftar was backed by Egypt.")


def test_corpus_strings_are_escaped_and_unsafe_links_dropped(tmp_path: Path) -> None:
    hostile = Article(
        Source(
            "hostile",
            "<script>alert('title')</script>",
            "<b>Author</b>",
            "P&amp;Q",
            "2012-05-01",
            "javascript:alert(1)",
        ),
        "Haftar was backed by <img src=x onerror=alert(2)> Egypt and the UAE.\n\nMore text here.",
    )
    untitled = Article(Source("untitled-one"), "Qatar supported Libya Dawn, it is said.")
    settings = Settings.from_env(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        web_dir=ROOT / "web",
        model="hashing-test-encoder",
        answer_threshold=0.0,
    )
    for article in (hostile, untitled):
        write_article(settings.corpus_dir, article)
    build_index(settings, HashingEncoder(), load_corpus(settings.corpus_dir))
    with TestClient(create_app(settings, QA(settings, HashingEncoder()))) as client:
        pages = [
            client.get("/").text,
            client.get("/", params={"q": "Who backed Haftar?"}).text,
            client.get("/sources/hostile", params={"start": 0, "end": 50}, headers=HTML).text,
            client.get("/sources/untitled-one", headers=HTML).text,
        ]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>Author" not in page
        assert "javascript:alert" not in page.replace("&#34;", '"').split("initial-turn")[0]  # never as a link
        assert_no_inline_code(page)
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in pages[0]
    assert "Untitled article (untitled-one)" in pages[0] and "Untitled article (untitled-one)" in pages[3]
    assert "P&amp;amp;Q" in pages[0]
    unmarked = [re.sub(r"</?mark[^>]*>", "", page) for page in pages]
    assert "&lt;img src=x onerror=alert(2)&gt;" in unmarked[1] and "&lt;img src=x onerror=alert(2)&gt;" in unmarked[2]
    assert "2012" in pages[0] and "articles about Libya published 2012" in pages[0]


def test_static_assets_are_local_and_build_the_dom_safely(client: TestClient) -> None:
    for name in ("style.css", "chat.js", "render.js", "store.js", "source.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        text = response.text
        assert "http://" not in text and "https://" not in text, f"{name} loads something from elsewhere"
        if name.endswith(".js"):
            assert "javascript" in response.headers["content-type"]
            for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
                assert unsafe not in text, f"{name} uses {unsafe}"


def test_year_span() -> None:
    assert year_span([Source("a", date="2013-01-29"), Source("b", date="2015-11"), Source("c")]) == "2013–2015"
    assert year_span([Source("a", date="2014")]) == "2014"
    assert year_span([Source("a")]) == ""


def test_unknown_source_in_a_browser_is_an_html_page_with_the_message(tiny_settings, tiny_qa) -> None:
    from fastapi.testclient import TestClient

    from libya_qa.app import create_app

    with TestClient(create_app(tiny_settings, tiny_qa)) as client:
        r = client.get("/sources/nope", headers={"accept": "text/html"})
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert "no source with id" in r.text
        assert client.get("/sources/nope").json()["error"]["code"] == "unknown_source"


MARKDOWN_JS = """
import { answerMarkdown } from "%s";
const answer = JSON.parse(process.argv[1]);
process.stdout.write(answerMarkdown(answer, "http://127.0.0.1:8000"));
"""


def test_copy_as_markdown_escapes_titles_and_quotes() -> None:
    """render.js's answerMarkdown, run by node: nothing from the corpus can format, link or open HTML."""
    if shutil.which("node") is None:
        pytest.skip("needs node to run the page's JavaScript module")
    answer = {
        "question": "Who *backed* [x](javascript:alert(1))?",
        "status": "answered",
        "index_version": "v1",
        "excerpts": [
            {
                "quote": "# Not a heading\n1. not a list <b>bold</b> _u_ & co",
                "highlight": [2, 5],
                "start": 0,
                "end": 9,
                "source": {
                    "id": "a b",
                    "title": "T*i*tle](evil)",
                    "author": "unknown",
                    "publisher": "P",
                    "date": "2015",
                    "url": "unknown",
                },
            }
        ],
    }
    script = MARKDOWN_JS % (ROOT / "web" / "static" / "render.js").as_uri()
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(answer)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "## Who \\*backed\\* \\[x\\](javascript:alert(1))?",
        "",
        "> \\# Not a heading",
        "> 1\\. not a list \\<b\\>bold\\</b\\> \\_u\\_ \\& co",
        "",
        "— *T\\*i\\*tle\\](evil)*, author unknown, P, 2015. "
        "[Source](<http://127.0.0.1:8000/sources/a%20b?version=v1&start=0&end=9#quote>)",
    ]


READING_ORDER_JS = """
import { answerMarkdown, inReadingOrder } from "%s";
const answer = JSON.parse(process.argv[1]);
process.stdout.write(JSON.stringify({ order: inReadingOrder(answer).map((e) => e.quote),
                                      markdown: answerMarkdown(answer, "http://127.0.0.1:8000") }));
"""


@pytest.mark.parametrize("status", ["answered", "not_found"])
def test_the_page_script_reads_quotes_in_the_servers_order_and_exports_related_ones_last(status: str) -> None:
    """render.js's inReadingOrder is web.in_reading_order (the r<i> keys chat.js resolves depend on it)."""
    if shutil.which("node") is None:
        pytest.skip("needs node to run the page's JavaScript module")
    source = Source("a", "Title", date="2015")
    excerpts = tuple(
        Excerpt(quote=q, highlight=(0, 1), score=score, start=0, end=len(q), source=source, related=related)
        for q, score, related in [
            ("Best of all.", 9.0, False),
            ("Related high.", 8.0, True),
            ("Bearing low.", 3.0, False),
            ("Related low.", 1.0, True),
            ("Bearing high.", 7.0, False),
        ]
    )
    answer = Answer("Q?", status, excerpts, took_ms=1.0, index_version="v1")  # type: ignore[arg-type]
    script = READING_ORDER_JS % (ROOT / "web" / "static" / "render.js").as_uri()
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(answer.to_dict())],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    shown = json.loads(done.stdout)
    python = [e.quote for e in in_reading_order(answer)]
    assert shown["order"] == python
    expected = (
        ["Best of all.", "Bearing high.", "Bearing low.", "Related high.", "Related low."]
        if status == "answered"
        else ["Best of all.", "Related high.", "Bearing high.", "Bearing low.", "Related low."]
    )
    assert python == expected
    markdown = shown["markdown"]
    quoted = [line[2:] for line in markdown.splitlines() if line.startswith("> ")]
    assert quoted == expected  # plain sentences: nothing to escape
    if status == "answered":
        assert markdown.count("### Related passages") == 1
        assert markdown.index("Bearing low.") < markdown.index("### Related passages") < markdown.index("Related high.")
    else:
        assert "Related passages" not in markdown
