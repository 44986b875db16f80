"""The researcher's workbench in headless Chromium: filters, what each source says, citations, links,
saved conversations, the keyboard, and the library (upload, correct, rebuild, ask, remove, roll back)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from support import ADMIN_TOKEN
from test_browser_chat import CONTRAST_JS, HAFTAR, ORTON_TITLE, answered_turns, ask

pytestmark = [pytest.mark.browser, pytest.mark.model]

Shoot = Callable[..., Path]
MakeContext = Callable[..., BrowserContext]
NATO = "Was the NATO intervention in Libya a mistake?"
ORTON = "orton-islamic-state-libya-2015"
PDF = Path(__file__).resolve().parents[1] / "data" / "ingest" / "sample-article.pdf"
KUFRA = "oasis-schools-teaching-kufra-2018"


def ask_recording(page: Page, question: str) -> tuple[Locator, dict[str, Any], dict[str, Any]]:
    """Ask and return the turn, the request body and the answer."""
    with page.expect_response("**/ask") as response_info:
        turn = ask(page, question)
    response = response_info.value
    return turn, response.request.post_data_json, response.json()


# --- filters ----------------------------------------------------------------------------
def test_the_filter_panel_narrows_answers_and_travels_in_the_link(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    page.get_by_text("Filter the sources").click()
    page.get_by_role("checkbox", name=re.compile(ORTON_TITLE)).check()
    page.get_by_role("textbox", name="From", exact=True).fill("2015")
    page.get_by_role("textbox", name="From", exact=True).press("Tab")  # change fires when the field is left
    chips = page.get_by_role("group", name="Active filters").get_by_role("button")
    expect(chips).to_have_text([f"{ORTON_TITLE} ×", "from 2015 ×"])
    turn, body, answer = ask_recording(page, HAFTAR)
    assert body["filters"] == {"sources": [ORTON], "date_from": "2015"} and body["group"] == "source"
    assert answer["filtered"] == {"articles": 1, "undated_left_out": 0}
    assert {e["source"]["id"] for e in answer["excerpts"]} == {ORTON}
    expect(turn.locator(".filter-note")).to_have_text("Answered from 1 filtered article.")
    query = parse_qs(urlparse(page.url).query)
    assert query == {"q": [HAFTAR], "source": [ORTON], "from": ["2015"]}
    page.locator("#filters").evaluate("node => node.scrollIntoView({ block: 'start' })")
    shoot(page, "13-filter-panel")

    page.get_by_role("button", name="Remove filter: from 2015").click()
    expect(chips).to_have_text([f"{ORTON_TITLE} ×"])
    expect(page.get_by_role("button", name=f"Remove filter: {ORTON_TITLE}")).to_be_focused()
    page.reload()  # the conversation keeps its filters
    expect(page.get_by_role("checkbox", name=re.compile(ORTON_TITLE))).to_be_checked()
    expect(page.get_by_role("textbox", name="From", exact=True)).to_have_value("")
    expect(answered_turns(page)).to_have_count(1)


def test_a_date_filter_says_how_many_undated_articles_it_left_out(page: Page) -> None:
    page.goto("/")
    page.get_by_text("Filter the sources").click()
    page.get_by_role("textbox", name="To", exact=True).fill("2015-06")
    page.get_by_role("textbox", name="To", exact=True).press("Tab")
    page.get_by_role("textbox", name="From", exact=True).fill("2015-13")  # malformed: marked, not applied
    page.get_by_role("textbox", name="From", exact=True).press("Tab")
    expect(page.get_by_role("textbox", name="From", exact=True)).to_have_attribute("aria-invalid", "true")
    turn, body, answer = ask_recording(page, NATO)
    assert body["filters"] == {"date_to": "2015-06"}
    assert answer["filtered"]["undated_left_out"] == 0  # the 2014 article has a year: it is dated
    assert all(e["source"]["date"] <= "2015-06" for e in answer["excerpts"])
    expect(turn.locator(".filter-note")).to_contain_text("Answered from 4 filtered articles")


# --- what each source says --------------------------------------------------------------
def test_by_source_shows_each_sources_words_by_date_without_asking_again(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/ask") else None)
    turn, _, answer = ask_recording(page, NATO)
    groups = answer["groups"]
    assert len(groups) >= 2 and [g["source"]["date"] for g in groups] == sorted(g["source"]["date"] for g in groups)
    by_source = turn.get_by_role("button", name=f"By source ({len(groups)})")
    by_source.click()
    expect(by_source).to_have_attribute("aria-pressed", "true")
    titles = turn.locator(".by-source h3.group-title")
    expect(titles).to_have_count(len(groups))
    expect(titles.first).to_contain_text(
        groups[0]["source"]["title"] if groups[0]["source"]["title"] != "unknown" else "Untitled article"
    )
    expect(turn.locator(".ranked")).to_be_hidden()
    for g, group in enumerate(groups):
        quotes = turn.locator(".source-group").nth(g).locator("blockquote")
        expect(quotes).to_have_count(len(group["excerpts"]))
        expect(quotes.first).to_have_text(group["excerpts"][0]["quote"])
    turn.get_by_role("heading", level=2).scroll_into_view_if_needed()
    shoot(page, "14-by-source")
    turn.get_by_role("button", name="Ranked").click()
    expect(turn.locator(".ranked")).to_be_visible()
    assert len(asked) == 1  # both views came with the one answer


# --- order, strength, highlights, short answer -----------------------------------------
def test_quotes_are_in_score_order_with_a_labelled_strength_and_every_highlight(page: Page) -> None:
    page.goto("/")
    turn, _, answer = ask_recording(page, HAFTAR)
    ordered = sorted(answer["excerpts"], key=lambda e: (e["related"], -e["score"]))  # best first, related ones last
    labels = turn.locator(".ranked .strength")
    expect(labels).to_have_count(len(ordered))
    shown = [int(re.search(r"\((\d+)%\)", t).group(1)) for t in labels.all_text_contents()]
    assert shown == [round(e["confidence"] * 100) for e in ordered]  # each quote's own probability
    expect(labels.first).to_have_text(re.compile(r"^Strength: strong \(\d+%\)$"))
    expect(turn.locator(".short-answer")).to_have_text("Short answer: Egypt · United Arab Emirates · Saudi Arabia")
    first = max(answer["excerpts"], key=lambda e: e["score"])
    marks = [first["quote"][a:b] for a, b in first["highlights"]]
    expect(turn.locator(".ranked figure").first.locator("mark")).to_have_text(marks)


def test_the_new_controls_are_readable_in_contrast_and_at_375_px(
    page: Page, make_context: MakeContext, shoot: Shoot
) -> None:
    page.goto("/")
    page.get_by_text("Filter the sources").click()
    page.get_by_role("checkbox", name=re.compile(ORTON_TITLE)).check()
    ask(page, HAFTAR)
    ask(page, "What is the best pizza recipe?")  # weak strengths
    selectors = [
        "details.filters legend",
        "details.filters label",
        ".chips-label",
        ".filter-note",
        ".short-answer",
        ".short-label",
        ".strength-strong",
        ".strength-weak",
        "details.cite summary",
        ".view-button[aria-pressed=true]",
        ".view-button[aria-pressed=false]",
        "#copy-link",
        ".site-nav a",
    ]
    for selector in selectors:
        node = page.locator(selector).first
        expect(node).to_be_attached()
        ratio = node.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f} is below 4.5:1"

    phone = make_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True).new_page()
    phone.goto("/")
    phone.get_by_text("Filter the sources").click()
    phone.get_by_role("checkbox", name=re.compile(ORTON_TITLE)).check()
    turn = ask(phone, HAFTAR)
    turn.get_by_role("button", name=re.compile("By source")).click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.goto("/library")
    expect(phone.locator("#library-table tbody tr")).to_have_count(5)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(phone, "16-library-phone")


# --- citations and export ---------------------------------------------------------------
def test_the_cite_menu_copies_the_quote_with_its_citation(context: BrowserContext, page: Page) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/")
    turn, _, answer = ask_recording(page, HAFTAR)
    first = max(answer["excerpts"], key=lambda e: e["score"])
    figure = turn.locator(".ranked figure").first
    figure.get_by_text("Cite", exact=True).click()
    figure.get_by_role("button", name="Copy the quote with its APA citation").click()
    expect(page.get_by_role("status")).to_have_text("The quote was copied with its APA citation.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == (
        f"“{first['quote']}”\n\nOrton, K. (2015, February 19). {ORTON_TITLE}. "
        "The Syrian Intifada (Kyle Orton's Blog).\n"
    )


def test_the_conversation_exports_as_markdown_and_bibtex(page: Page) -> None:
    page.goto("/")
    ask(page, HAFTAR)
    with page.expect_download() as md_info:
        page.get_by_role("button", name="Export Markdown").click()
    markdown = Path(md_info.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith(f"# {HAFTAR}\n") and f"## {HAFTAR}" in markdown
    assert "Short answer: Egypt · United Arab Emirates · Saudi Arabia" in markdown
    assert "**" not in markdown  # no emphasis the articles do not have
    with page.expect_download() as bib_info:
        page.get_by_role("button", name="Export BibTeX").click()
    assert bib_info.value.suggested_filename == "which-countries-backed-haftar.bib"
    bibtex = Path(bib_info.value.path()).read_text(encoding="utf-8")
    assert f"@misc{{{ORTON}," in bibtex and "author={Orton, Kyle}" in bibtex


# --- links and conversations -----------------------------------------------------------
def test_the_address_bar_links_the_answer_and_a_shared_link_gets_its_own_conversation(
    context: BrowserContext, page: Page, make_context: MakeContext
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/")
    ask(page, HAFTAR)
    ask(page, "What about Qatar?")
    link = page.url
    assert parse_qs(urlparse(link).query) == {"q": ["What about Qatar?"], "h": [HAFTAR]}
    page.get_by_role("button", name="Copy link").click()
    assert page.evaluate("navigator.clipboard.readText()") == link

    reader = make_context(viewport={"width": 1280, "height": 900}).new_page()  # another reader's browser ...
    reader.goto("/")
    ask(reader, "How did Libyan weapons reach Mali?")  # ... with a conversation of their own
    reader.goto(link)
    turns = answered_turns(reader)
    expect(turns).to_have_count(1)
    expect(turns.first.get_by_role("heading", level=2)).to_contain_text("What about Qatar?")
    # searched as the earlier question asked of Qatar: the shared link carried the conversation
    expect(turns.first.locator(".followup-note")).to_contain_text("What about Qatar? Which countries backed Qatar?")
    with reader.expect_request("**/ask") as request_info:
        ask(reader, "And Turkey?")
    assert request_info.value.post_data_json["history"] == [HAFTAR, "What about Qatar?"]
    reader.get_by_text("Saved conversations").click()
    expect(reader.locator("#conversation-list li")).to_have_count(2)  # the shared one, and the reader's own
    reader.reload()
    expect(answered_turns(reader)).to_have_count(2)  # the reload is this conversation's own link: no copy


def test_conversations_can_be_renamed_deleted_and_restored(page: Page) -> None:
    page.goto("/")
    ask(page, HAFTAR)
    page.get_by_role("button", name="New conversation").click()
    expect(answered_turns(page)).to_have_count(0)
    ask(page, "What happened in Derna?")
    page.get_by_text("Saved conversations").click()
    items = page.locator("#conversation-list li")
    expect(items).to_have_count(2)
    page.get_by_role("button", name="Rename “What happened in Derna?”").click()
    page.get_by_label("New name").fill("Derna notes")
    page.get_by_label("New name").press("Enter")
    expect(page.locator("#conversation-name")).to_have_text(": Derna notes")
    page.get_by_role("button", name=f"Delete “{HAFTAR}”").click()
    expect(items).to_have_count(1)
    expect(page.locator("#undo")).to_contain_text(f"Deleted “{HAFTAR}”.")
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    page.get_by_role("button", name="Undo").click()
    expect(items).to_have_count(2)
    page.get_by_role("button", name=HAFTAR, exact=True).click()
    expect(answered_turns(page).first.get_by_role("heading", level=2)).to_contain_text(HAFTAR)
    page.reload()
    expect(page.locator("#conversation-list li")).to_have_count(2)


# --- keyboard ---------------------------------------------------------------------------
def test_a_skip_link_reaches_the_newest_answer_and_focus_is_never_under_the_sticky_box(page: Page) -> None:
    page.goto("/")
    for question in (HAFTAR, "How did Libyan weapons reach Mali?", NATO):
        ask(page, question)
    page.reload()  # focus starts from the top of the page again
    expect(answered_turns(page)).to_have_count(3)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the newest answer")).to_be_focused()
    page.keyboard.press("Enter")
    newest = answered_turns(page).last
    expect(newest).to_be_focused()
    expect(newest.get_by_role("heading", level=2)).to_be_in_viewport()
    page.keyboard.press("Shift+Tab")  # back up through the previous answer: every stop stays visible
    for _ in range(25):
        page.keyboard.press("Shift+Tab")
        hidden = page.evaluate("""() => {
          const node = document.activeElement, form = document.getElementById('ask');
          if (!node || form.contains(node) || node === document.body) return false;
          const r = node.getBoundingClientRect(), f = form.getBoundingClientRect();
          return r.bottom > f.top + 1 || r.top < -1;  // a pixel either way is rounding, not hiding
        }""")
        assert not hidden, page.evaluate("document.activeElement.outerHTML.slice(0, 200)")


# --- no JavaScript ----------------------------------------------------------------------
def test_filters_work_without_javascript(make_context: MakeContext) -> None:
    page = make_context(viewport={"width": 1000, "height": 900}, java_script_enabled=False).new_page()
    page.goto("/")
    page.get_by_text("Filter the sources").click()
    page.get_by_role("checkbox", name=re.compile("Hillary Clinton")).check()
    page.get_by_label("Your question").fill(NATO)
    page.get_by_role("button", name="Ask").click()
    turn = answered_turns(page).last
    expect(turn.locator(".filter-note")).to_have_text("Answered from 1 filtered article.")
    expect(turn.locator("figcaption .source-link")).to_contain_text(
        ["Hillary Clinton"] * turn.locator("figure").count()
    )
    link = turn.get_by_role("link", name="Link to this answer").get_attribute("href")
    assert "source=tnr-clinton-libya-intervention-2015" in link
    page.goto(link)
    expect(answered_turns(page).last.locator(".filter-note")).to_have_text("Answered from 1 filtered article.")
    cite = answered_turns(page).last.locator("figure").first.locator("a.cite-style[data-style=apa]")
    assert cite.get_attribute("href") == "/sources/tnr-clinton-libya-intervention-2015/cite?style=apa"


# --- the library ------------------------------------------------------------------------
def test_the_library_is_read_only_without_a_token_and_says_how_to_enable_editing(page: Page) -> None:
    page.goto("/library")
    expect(page.get_by_role("heading", level=1)).to_have_text("Library")
    expect(page.locator("#read-only")).to_contain_text("LIBYA_QA_ADMIN_TOKEN")
    rows = page.locator("#library-table tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.filter(has_text=ORTON_TITLE)).to_contain_text("indexed")
    expect(page.get_by_role("button", name="Rebuild the index")).to_have_count(0)


def drop_file(page: Page, path: Path, mime: str) -> None:
    """Drop a file on the drop zone as a person dragging it from their desktop would."""
    page.evaluate(
        """([b64, name, mime]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type: mime }));
      const zone = document.getElementById('drop-zone');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
      }
    }""",
        [base64.b64encode(path.read_bytes()).decode(), path.name, mime],
    )


def rebuild_watching_progress(page: Page) -> list[float]:
    """Start a rebuild and wait for it; the progress bar's values as the page showed them."""
    page.evaluate("""() => { window.progressSeen = [];
      const bar = document.getElementById('build-bar');
      new MutationObserver(() => window.progressSeen.push(bar.value))
        .observe(document.getElementById('build-stage'), { childList: true, characterData: true, subtree: true }); }""")
    page.get_by_role("button", name="Rebuild the index").click()
    expect(page.locator("#build-result")).to_contain_text("Built version", timeout=60_000)
    return page.evaluate("window.progressSeen")


def test_the_library_path_upload_correct_rebuild_ask_remove_roll_back(
    library_context: BrowserContext, shoot: Shoot
) -> None:
    page = library_context.new_page()
    page.goto("/library")
    expect(page.get_by_role("button", name="Rebuild the index")).to_be_hidden()  # no token yet
    page.get_by_role("textbox", name="Token").fill("wrong-token")
    page.get_by_role("button", name="Use this token").click()
    drop_file(page, PDF, "application/pdf")
    expect(page.get_by_role("alert")).to_contain_text("missing or wrong admin token")  # the JSON body's message
    page.get_by_role("textbox", name="Token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Use this token").click()

    drop_file(page, PDF, "application/pdf")
    expect(page.get_by_label("Title")).to_have_value("Oasis Schools: Teaching in Kufra")
    expect(page.locator("#preview-missing")).to_contain_text("publisher, url")
    expect(page.get_by_label("Date")).to_have_value("2018-04-10")  # the PDF's creation date ...
    page.get_by_label("Date").fill("2018-03")  # ... corrected to the publication month
    page.get_by_label("Publisher").fill("Southern Libya Review")
    page.get_by_role("button", name="Save to the library").click()
    row = page.locator(f"tr[data-id={KUFRA}]")
    expect(row).to_contain_text("not indexed")
    expect(row).to_contain_text("2018-03")

    seen = rebuild_watching_progress(page)
    assert any(0 < value < 100 for value in seen) and seen[-1] == 100, seen
    expect(row).to_contain_text("indexed")
    expect(row.locator(".state")).to_have_text("indexed")
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "15-library", full_page=True)

    row.get_by_role("button", name=f"Edit the citation of {KUFRA}").click()
    page.locator(".edit-form").get_by_label("Author").fill("Omar Haddad and Lina Saleh")
    page.locator(".edit-form").get_by_role("button", name="Save").click()
    expect(row.locator(".state")).to_have_text("changed")
    rebuild_watching_progress(page)
    expect(page.locator("#build-result")).to_contain_text("1 with new metadata only")
    expect(page.locator("#build-result")).to_contain_text("0 sentences embedded")

    chat = library_context.new_page()
    chat.goto("/")
    turn = ask(chat, "Who delivered school kits to Kufra?")
    expect(turn.locator("figure").first.locator(".source-link")).to_have_text("Oasis Schools: Teaching in Kufra")
    expect(turn.locator("figure").first.locator(".cite-meta")).to_contain_text(
        "Omar Haddad and Lina Saleh, Southern Libya Review, 2018-03"
    )

    row.get_by_role("button", name=f"Remove {KUFRA}").click()
    row.get_by_role("button", name=f"Remove {KUFRA}").click()  # the confirmation, in the row itself
    expect(row.locator(".state")).to_have_text("removed (still indexed)")
    page.get_by_role("button", name="Roll back to the previous version").click()
    expect(page.locator("#build-result")).to_contain_text("Now serving version")
    chat.goto("/")
    chat.get_by_role("button", name="New conversation").click()
    turn = ask(chat, "Who delivered school kits to Kufra?")
    expect(turn.locator("figure").first.locator(".cite-meta")).to_contain_text("Omar Haddad, Southern Libya Review")
