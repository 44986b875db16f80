"""The chat page as a person uses it, in headless Chromium against the real index and model."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Route, expect

pytestmark = [pytest.mark.browser, pytest.mark.model]

Watch = Any  # tests/browser/conftest.py's Watch: dialogs, page errors, CSP violations, off-site requests
Shoot = Callable[..., Path]
MakeContext = Callable[..., BrowserContext]
PHONE = {"width": 375, "height": 812}
HAFTAR = "Which countries backed Haftar?"
# Answered, with a related quote that outscores a bearing one (measured), so reading order is not score order.
# answered, with a related quote that outscores a bearing one (the confidence model fitted on dev decides which)
TRIPOLI_HOTEL = "How many people died when Islamic State gunmen hit a Tripoli hotel in January 2015?"
ORTON_TITLE = "The Islamic State, Libya, and Interventionism"
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


# WCAG contrast of an element's text against the first opaque background behind it.
CONTRAST_JS = """(node) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b]
    .map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let back = node, bg = [255, 255, 255];
  while (back) {
    const c = rgb(getComputedStyle(back).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); break; }
    back = back.parentElement;
  }
  const [a, b] = [lum(rgb(getComputedStyle(node).color).slice(0, 3)), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def answered_turns(page: Page) -> Locator:
    """The finished turns of the thread (not the one waiting for its answer)."""
    return page.locator("#thread > article.turn:not(.pending)")


def ask(page: Page, question: str) -> Locator:
    """Type a question, press Enter, wait for its turn; returns that turn."""
    before = answered_turns(page).count()
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    expect(answered_turns(page)).to_have_count(before + 1)
    return answered_turns(page).last


def quote_naming(turn: Locator, words: str) -> Locator:
    """The excerpt (figure) of a turn whose quote contains `words`."""
    return turn.locator("figure.excerpt").filter(has=turn.page.locator("blockquote", has_text=words)).first


def test_first_view_describes_the_corpus(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the Libya corpus")
    expect(page.locator(".lede")).to_contain_text("5 articles about Libya published 2013–2015")
    sources = page.locator("ul.sources li")
    expect(sources).to_have_count(5)
    expect(sources.filter(has_text=ORTON_TITLE)).to_contain_text("2015-02-19")
    expect(page.locator("a.example")).to_have_count(5)
    expect(page.locator("#thread-bar")).to_be_hidden()
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name="Ask")).to_be_visible()
    shoot(page, "01-start-desktop")


def test_ask_with_quote_attribution_and_follow_up(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    turn = ask(page, HAFTAR)
    expect(turn.get_by_role("heading")).to_contain_text(HAFTAR)
    saudi = quote_naming(turn, "Saudi Arabia")
    expect(saudi.locator("blockquote mark")).to_have_text(
        ["Egypt", "United Arab Emirates", "Saudi Arabia"]
    )  # every one
    caption = saudi.locator("figcaption")
    expect(caption).to_contain_text(ORTON_TITLE)
    expect(caption).to_contain_text("Kyle Orton")
    expect(caption).to_contain_text("2015-02-19")
    expect(turn.locator(".not-found")).to_have_count(0)
    expect(turn.locator(".related-heading")).to_have_count(0)  # every quote bears on this question
    expect(page.locator("#thread-bar")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "02-chat-desktop")  # also docs/screenshot-chat.png (see tests/screenshots/README.md)

    with page.expect_request("**/ask") as request_info:
        follow = ask(page, "What about Qatar?")
    assert request_info.value.post_data_json == {
        "question": "What about Qatar?",
        "top_k": 5,
        "history": [HAFTAR],
        "group": "source",
    }
    expect(follow.get_by_role("heading", level=2)).to_contain_text("What about Qatar?")  # (h3: related passages)
    expect(follow.locator("figure.excerpt").first).to_be_visible()
    expect(answered_turns(page)).to_have_count(2)
    expect(page.get_by_label("Your question")).to_be_focused()
    follow.get_by_role("heading", level=2).evaluate("node => node.scrollIntoView({block: 'center'})")
    shoot(page, "03-follow-up-desktop")


def test_source_viewer_highlights_the_quote(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    saudi = quote_naming(ask(page, HAFTAR), "Saudi Arabia")
    saudi.get_by_role("link", name=ORTON_TITLE).click()
    page.wait_for_url(re.compile(r"/sources/orton-islamic-state-libya-2015\?version=\w+&start=\d+&end=\d+#quote$"))
    query = parse_qs(urlparse(page.url).query)
    assert int(query["end"][0]) > int(query["start"][0])
    expect(page.get_by_role("heading", level=1)).to_have_text(ORTON_TITLE)
    expect(page.locator("dl.meta")).to_contain_text("Kyle Orton")
    quote = page.locator("mark#quote")
    expect(quote).to_contain_text("Haftar has also been backed by Saudi Arabia.")
    expect(quote).to_be_in_viewport()
    expect(quote).to_be_focused()
    shoot(page, "04-source-viewer")
    page.go_back()
    expect(answered_turns(page)).to_have_count(1)  # the conversation is still there


def test_conversation_survives_reload_until_new_conversation(page: Page) -> None:
    page.goto("/")
    ask(page, HAFTAR)
    ask(page, "How did Libyan weapons reach Mali?")
    page.reload()
    turns = answered_turns(page)
    expect(turns).to_have_count(2)
    expect(turns.first.get_by_role("heading")).to_contain_text(HAFTAR)
    expect(quote_naming(turns.first, "Saudi Arabia")).to_be_visible()
    with page.expect_request("**/ask") as request_info:
        ask(page, "And what about Egypt?")
    assert request_info.value.post_data_json["history"] == [HAFTAR, "How did Libyan weapons reach Mali?"]

    page.get_by_role("button", name="New conversation").click()
    expect(answered_turns(page)).to_have_count(0)
    expect(page.locator("a.example").first).to_be_visible()
    expect(page.get_by_label("Your question")).to_be_focused()
    page.reload()
    expect(answered_turns(page)).to_have_count(0)


@pytest.mark.parametrize("payload", XSS)
def test_markup_in_questions_is_shown_as_text(page: Page, payload: str, shoot: Shoot) -> None:
    page.goto("/")
    turn = ask(page, payload)
    expect(turn.get_by_role("heading")).to_have_text(f"Question: {payload}")
    assert page.locator("#thread img, #thread script").count() == 0
    page.reload()  # from storage, too
    expect(answered_turns(page).last.get_by_role("heading")).to_have_text(f"Question: {payload}")
    page.goto("/?" + urlencode({"q": payload}))  # the shared-link path, rendered by the server first
    expect(answered_turns(page).last.get_by_role("heading")).to_have_text(f"Question: {payload}")
    assert page.locator("#thread img, #thread script").count() == 0
    page.wait_for_timeout(300)  # give any injected handler time to fire (the watch fixture asserts no dialog)
    if payload.startswith("<img"):
        shoot(page, "06-markup-shown-as-text")


def test_not_found_is_said_plainly(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    with page.expect_response("**/ask") as response_info:
        turn = ask(page, "What is the best pizza recipe?")
    assert response_info.value.json()["status"] == "not_found"
    expect(turn.locator(".not-found")).to_contain_text("Not found in the corpus")
    labels = turn.locator("figure.excerpt .excerpt-label")
    expect(labels.first).to_have_text("Nearest passage (not an answer)")
    assert labels.count() == turn.locator("figure.excerpt").count() > 0
    shoot(page, "05-not-found")


def test_busy_state_then_server_error_message(page: Page, shoot: Shoot) -> None:
    held: list[Route] = []
    page.route("**/ask", lambda route: held.append(route))  # hold the request: the page must show it is waiting
    page.goto("/")
    page.get_by_label("Your question").fill(HAFTAR)
    page.get_by_label("Your question").press("Enter")
    button = page.locator("#ask-button")
    expect(button).to_be_disabled()
    expect(button).to_have_text("Asking…")
    expect(page.get_by_role("status")).to_have_text("Searching the corpus…")
    expect(page.locator("article.turn.pending")).to_contain_text(HAFTAR)
    expect(page.get_by_role("log")).to_have_attribute("aria-busy", "true")
    shoot(page, "07-busy")
    held[0].fulfill(
        status=503,
        content_type="application/json",
        json={"error": {"code": "index_unavailable", "message": "The index is being rebuilt; try again."}},
    )
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The index is being rebuilt; try again.")
    expect(button).to_be_enabled()
    expect(button).to_have_text("Ask")
    expect(page.get_by_label("Your question")).to_have_value(HAFTAR)  # ready to retry
    shoot(page, "08-server-error")


def test_share_link_and_copy_as_markdown(context: BrowserContext, page: Page) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/")
    with page.expect_response("**/ask") as response_info:
        turn = ask(page, HAFTAR)
    link = turn.get_by_role("link", name="Link to this answer")
    expect(link).to_have_attribute("href", "/?q=Which+countries+backed+Haftar%3F")
    turn.get_by_role("button", name="Copy as Markdown").click()
    expect(page.get_by_role("status")).to_have_text("The answer was copied as Markdown.")
    markdown = page.evaluate("navigator.clipboard.readText()")
    assert markdown.startswith(f"## {HAFTAR}\n\nShort answer: Egypt · United Arab Emirates · Saudi Arabia\n")
    assert "Saudi Arabia" in markdown
    assert "**" not in markdown  # no emphasis the article does not have
    first = max(response_info.value.json()["excerpts"], key=lambda e: e["score"])  # quotes go best first
    assert all(line.startswith(">") for line in markdown.split("\n\n")[2].splitlines())  # a block quote
    assert f"— *{first['source']['title']}*, {first['source']['author']}" in markdown
    version = response_info.value.json()["index_version"]
    source = (
        rf"\[Source\]\(<http://127\.0\.0\.1:\d+/sources/{first['source']['id']}\?version={version}"
        rf"&start={first['start']}&end={first['end']}#quote>\)"
    )
    assert re.search(source, markdown)

    shared = context.new_page()  # a fresh visit to the shared link shows that answer, once
    shared.goto("/?q=Which+countries+backed+Haftar%3F")
    expect(quote_naming(answered_turns(shared).last, "Saudi Arabia")).to_be_visible()
    assert urlparse(shared.url).query == "q=Which+countries+backed+Haftar%3F"  # the address bar keeps the link
    shared.reload()
    expect(answered_turns(shared)).to_have_count(1)


def test_related_passages_follow_the_answer_under_their_own_heading(context: BrowserContext, page: Page) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/")
    with page.expect_response("**/ask") as response_info:
        turn = ask(page, TRIPOLI_HOTEL)
    answer = response_info.value.json()
    assert answer["status"] == "answered"
    excerpts = sorted(answer["excerpts"], key=lambda e: -e["score"])
    by_score = [e["quote"] for e in excerpts]
    bearing = [e["quote"] for e in excerpts if not e["related"]]
    related = [e["quote"] for e in excerpts if e["related"]]
    assert bearing and related
    heading = turn.get_by_role("heading", name="Related passages", level=3)
    expect(heading).to_be_visible()
    expect(turn.locator(".related-note")).to_have_text("These share the question’s topic but may not answer it.")
    expect(turn.locator(".ranked > figure blockquote")).to_have_text(bearing)  # before the heading, best first
    expect(turn.locator(".ranked section.related figure.related blockquote")).to_have_text(related)
    for selector in (".related-heading", ".related-note"):
        assert turn.locator(selector).evaluate(CONTRAST_JS) >= 4.5, selector
    moved = next((i for i, (a, b) in enumerate(zip(bearing + related, by_score)) if a != b), None)
    assert moved is not None, "pick a question whose related quote outscores a bearing one"
    figure = turn.locator(".ranked figure").nth(moved)  # its r<i> key must find the quote it shows, not the i-th best
    figure.get_by_text("Cite", exact=True).click()
    figure.get_by_role("button", name="Copy the quote with its APA citation").click()
    expect(page.get_by_role("status")).to_have_text("The quote was copied with its APA citation.")
    assert page.evaluate("navigator.clipboard.readText()").startswith(f"“{(bearing + related)[moved]}”\n\n")
    turn.get_by_role("button", name="Copy as Markdown").click()
    expect(page.get_by_role("status")).to_have_text("The answer was copied as Markdown.")
    before, after = page.evaluate("navigator.clipboard.readText()").split("\n### Related passages\n")
    assert before.count("\n— *") == len(bearing) and after.count("\n— *") == len(related)  # one citation a quote


def test_text_contrast_is_sufficient(page: Page) -> None:
    page.goto("/")
    turn = ask(page, HAFTAR)
    ask(page, "What is the best pizza recipe?")
    selectors = [
        "h1",
        ".lede",
        ".thread-bar h2",
        "h2.question",
        "blockquote",
        "blockquote mark",
        ".attribution",
        ".source-link",
        ".cite-meta",
        ".answer-link",
        "button.copy-md",
        "#ask-button",
        "form.ask label",
        "#question",
        ".not-found",
        ".excerpt-label",
        "figure.nearest blockquote",
        "figure.nearest mark",
        "#new-conversation",
        "header .brand",
        "header .tagline",
    ]
    for selector in selectors:
        node = page.locator(selector).first
        expect(node).to_be_attached()
        ratio = node.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f} is below 4.5:1"
    expect(turn).to_be_visible()


def test_keyboard_only(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the question box")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your question")).to_be_focused()
    page.keyboard.type(HAFTAR)
    page.keyboard.press("Enter")
    expect(answered_turns(page)).to_have_count(1)
    expect(page.get_by_label("Your question")).to_be_focused()  # ready for the follow-up
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Copy as Markdown")).to_be_focused()


def test_phone_width(make_context: MakeContext, shoot: Shoot) -> None:
    phone = make_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto("/")
    shoot(phone, "09-start-phone")
    turn = ask(phone, HAFTAR)
    expect(quote_naming(turn, "Saudi Arabia")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at 375 px ({width} px wide)"
    shoot(phone, "10-chat-phone")
    quote_naming(turn, "Saudi Arabia").get_by_role("link", name=ORTON_TITLE).click()
    expect(phone.locator("mark#quote")).to_be_in_viewport()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(phone, "11-source-phone")


def test_without_javascript(make_context: MakeContext, shoot: Shoot) -> None:
    page = make_context(viewport={"width": 1000, "height": 900}, java_script_enabled=False).new_page()
    page.goto("/")
    page.get_by_label("Your question").fill(HAFTAR)
    page.get_by_role("button", name="Ask").click()
    page.wait_for_load_state()
    assert urlparse(page.url).path == "/"
    turn = answered_turns(page).last
    expect(turn.get_by_role("heading")).to_contain_text(HAFTAR)
    expect(quote_naming(turn, "Saudi Arabia").locator("figcaption")).to_contain_text(ORTON_TITLE)
    shoot(page, "12-no-javascript-answer", full_page=True)
    page.locator("a.example", has_text="How did Libyan weapons reach Mali?").click()
    expect(answered_turns(page).last.get_by_role("heading")).to_contain_text("How did Libyan weapons reach Mali?")
    quote_naming(answered_turns(page).last, "Mali").locator("a.source-link").click()
    expect(page.locator("mark#quote")).to_contain_text("Mali")
    page.goto("/?" + urlencode({"q": XSS[1]}))
    expect(answered_turns(page).last.get_by_role("heading")).to_have_text(f"Question: {XSS[1]}")


def test_the_watch_sees_dialogs_and_csp_violations(page: Page, watch: Watch) -> None:
    """Self-check of the harness: a dialog or a blocked inline script would be caught by the other tests."""
    page.goto("/")
    page.evaluate("alert('probe')")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                             document.body.append(s); }""")
    expect(page.locator("body")).to_be_visible()
    page.wait_for_timeout(200)
    assert watch.dialogs == ["probe"]
    assert page.evaluate("window.ran") is None  # the inline script was refused ...
    assert any("inline script" in v for v in watch.csp_violations)  # ... and reported
    watch.dialogs.clear()
    watch.csp_violations.clear()
