"""Reading sources into Articles: text, Markdown, HTML, PDF, URLs, folders, encodings and every refusal."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ALIAS_BOMB

from libya_qa import ingest
from libya_qa.cli import main
from libya_qa.config import Settings
from libya_qa.corpus import load_corpus
from libya_qa.errors import IngestError
from libya_qa.ingest import Metadata, collect_sources, decode_text, fetch_url, make_id, read_bytes, read_path

DATA = Path(__file__).parent / "data" / "ingest"
HTML = DATA / "sample-article.html"
PDF = DATA / "sample-article.pdf"
HTML_ID = "desert-pipelines-water-power-southern-libya-2016"
TEXT = (
    "The port of Misrata reopened in May 2012.  \r\nShips carried steel and grain.\r\n\r\n\r\n\r\nA second paragraph."
)


def make_pdf(
    pages: list[list[str]], title: str | None = None, author: str | None = None, created: str | None = None
) -> bytes:
    """A minimal valid PDF: one Helvetica text page per list of lines, with an Info dictionary."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>"]
    font = 3 + 2 * len(pages)
    for i, lines in enumerate(pages):
        stream = "BT /F1 11 Tf 14 TL 72 740 Td " + " ".join(f"({esc(line)}) Tj T*" for line in lines) + " ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {4 + 2 * i} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    info = {"Title": title, "Author": author, "CreationDate": created}
    objects.append("<< " + " ".join(f"/{k} ({esc(v)})" for k, v in info.items() if v) + " >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def expect(code: str, call: Callable[..., object], *args: Any, **kwargs: Any) -> IngestError:
    """Run a call that must fail with an IngestError of this code."""
    with pytest.raises(IngestError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# --- formats ------------------------------------------------------------------------------
def test_plain_text_is_normalised_and_missing_metadata_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "Misrata Port Notes.txt"
    path.write_bytes(TEXT.encode("utf-8"))
    got = read_path(path)
    article = got.article
    assert article.body == (
        "The port of Misrata reopened in May 2012.\nShips carried steel and grain.\n\nA second paragraph."
    )
    assert article.id == "misrata-port-notes"
    assert got.missing == ("title", "author", "publisher", "date", "url")
    assert article.source.title == article.source.author == article.source.url == "unknown"
    assert not got.explicit_id and got.kind == "text"
    assert "utf-8" in article.notes and path.name in article.notes


def test_markdown_header_gives_metadata_and_flags_override_it(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "---\nid: benghazi-port-2014\ntitle: Benghazi Port\nauthors: [Ann One, Bob Two]\n"
        "date: 2014-06-02\nurl: https://example.org/bp\n---\n\nThe port closed in June.\n",
        "utf-8",
    )
    got = read_path(path)
    assert got.article.source.id == "benghazi-port-2014" and got.explicit_id
    assert got.article.source.author == "Ann One and Bob Two"
    assert got.article.source.date == "2014-06-02"
    assert got.article.body == "The port closed in June."
    assert got.missing == ("publisher",)
    flagged = read_path(path, Metadata(title="Port of Benghazi", publisher="Libya Herald", date="2014-06-03"))
    assert flagged.article.source.title == "Port of Benghazi"
    assert flagged.article.source.publisher == "Libya Herald"
    assert flagged.article.source.date == "2014-06-03" and flagged.missing == ()


def test_markdown_heading_is_the_title_when_there_is_no_header() -> None:
    got = read_bytes(b"# Sirte After the Battle\n\nThe city was rebuilt slowly.\n", "sirte.md")
    assert got.article.source.title == "Sirte After the Battle"
    assert got.article.body == "The city was rebuilt slowly."
    assert got.article.id == "sirte-after-battle"


def test_html_main_text_and_metadata_without_page_furniture() -> None:
    got = read_path(HTML)
    source, body = got.article.source, got.article.body
    assert source.title == "Desert Pipelines: Water and Power in Southern Libya"
    assert (source.author, source.publisher, source.date) == ("Layla Mansour", "Sahel Review", "2016-03-14")
    assert source.url == "https://sahel-review.example/2016/desert-pipelines"
    assert got.article.id == "desert-pipelines-water-power-southern-libya-2016"
    assert "militias had twice shut the valves" in body
    assert body.count("\n\n") == 3  # four paragraphs
    for furniture in ("Subscribe", "Great piece", "Copyright", "Related stories", "Home", "3 Comments"):
        assert furniture not in body
    assert not body.startswith("Desert Pipelines")  # the headline is metadata, not body


def test_html_without_metadata_invents_none() -> None:
    page = (
        b"<html><body><nav>Home | About</nav><div><p>The oil ministry in Tripoli published figures that "
        b"showed crude exports had fallen by half since the spring, as guards kept the terminals at Ras "
        b"Lanuf closed.</p><p>Officials said the closures had cost the state two billion dollars.</p></div>"
        b"<footer>Contact us</footer></body></html>"
    )
    got = read_bytes(page, "oil.html", url="http://127.0.0.1:9/news/oil")
    assert got.article.source.publisher == "unknown"  # not the host name
    assert got.article.source.url == "http://127.0.0.1:9/news/oil"
    assert set(got.missing) == {"title", "author", "publisher", "date"}


def test_html_dates_come_from_markup_not_from_years_the_text_mentions() -> None:
    text = (
        b"<p>" + b"Gaddafi ruled Libya from 1969 until 2011, when rebels took Tripoli with NATO's help. " * 3 + b"</p>"
    )
    undated = read_bytes(
        b"<html><head><title>After Gaddafi</title></head><body><article>" + text + b"</article></body></html>",
        "after.html",
    )
    assert undated.article.source.date == "unknown" and "date" in undated.missing  # not 2011-01-01
    dated = read_bytes(
        b'<html><head><title>After Gaddafi</title><meta property="article:published_time" '
        b'content="2017-02-09T10:00:00Z"></head><body><article>' + text + b"</article></body></html>",
        "after.html",
    )
    assert dated.article.source.date == "2017-02-09"


def test_an_extracted_title_too_long_for_the_header_is_cut_and_the_file_still_loads(tmp_path: Path) -> None:
    title = ("word " * 900).strip()  # 4,499 characters: the header allows 2,000 a field
    page = (
        f"<html><head><title>{title}</title></head><body><article><p>"
        + "The ministry said the terminals at Ras Lanuf stayed closed all spring. " * 3
        + "</p></article></body></html>"
    )
    got = read_bytes(page.encode(), "long.html")
    assert len(got.article.source.title) <= 2_000 and got.article.source.title.endswith("word…")
    from libya_qa.corpus import parse_article, render_article

    assert parse_article(render_article(got.article)).source.title == got.article.source.title


def test_html_with_no_article_text_is_refused() -> None:
    page = (
        b"<html><body><nav><a href=/>Home</a> | <a href=/about>About us</a></nav>"
        b"<footer>(c) 2020</footer></body></html>"
    )
    expect("no_text", read_bytes, page, "nav.html")


def test_pdf_text_paragraphs_and_metadata() -> None:
    got = read_path(PDF)
    source, body = got.article.source, got.article.body
    assert (source.title, source.author, source.date) == (
        "Oasis Schools: Teaching in Kufra",
        "Omar Haddad",
        "2018-04-10",
    )
    assert got.missing == ("publisher", "url") and got.kind == "pdf"
    assert "reopened in September 2017 after two years of closure" in body  # wrapped lines joined
    assert "Teachers in the south still earn less" in body  # the second page
    assert body.startswith("The primary school") and "\n\n" in body


def test_pdf_hyphenation_and_page_numbers() -> None:
    raw = make_pdf(
        [
            ["A long report written in 2019 by engineers on the recon-", "struction of Sirte.", "1"],
            ["It continued here."],
        ],
        created="D:garbage",
    )
    got = read_bytes(raw, "r.pdf")
    assert got.article.body == (
        "A long report written in 2019 by engineers on the reconstruction of Sirte.\n\nIt continued here."
    )
    assert got.article.source.date == "unknown"  # a malformed date is not guessed


def test_pdf_running_headers_and_footers_are_left_out_and_a_sentence_runs_on_across_the_page_break() -> None:
    header, body_lines = (
        "Final report of the Panel of Experts on Libya S/2017/466",
        [
            ["The Panel found that armed groups in the south of the country were receiving weapons and", "money from"],
            ["several foreign states throughout the year, and that the embargo was not enforced at sea.", ""],
            ["Ships carrying arms were seen at the port of Tobruk in March.", ""],
            ["The Panel recommends that the Security Council widen the inspection regime.", ""],
        ],
    )
    pages = [[header, *lines, f"Page {n} of 4"] for n, lines in enumerate(body_lines, 1)]
    body = read_bytes(make_pdf(pages), "panel.pdf").article.body
    assert "receiving weapons and money from several foreign states throughout the year" in body
    assert "S/2017/466" not in body and "Page" not in body
    # a line that opens only one page is text, not furniture
    lone = read_bytes(make_pdf([[header, "One page of findings."], ["Another page."], ["A third page."]]), "p.pdf")
    assert lone.article.body.startswith(header)


def test_pdf_without_text_or_damaged_or_fake_is_refused() -> None:
    expect("no_text", read_bytes, make_pdf([[]]), "scan.pdf")
    expect("bad_pdf", read_bytes, b"%PDF-1.4\nthis is not really a pdf at all\n", "broken.pdf")
    expect("bad_pdf", read_bytes, b"just some text pretending to be a PDF", "fake.pdf")


# --- folders and URLs ---------------------------------------------------------------------
def test_folder_adds_supported_files_and_skips_the_rest(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("Body b.", "utf-8")
    (tmp_path / "a.txt").write_text("Body a.", "utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / ".hidden.txt").write_text("secret", "utf-8")
    targets, skipped = collect_sources([str(tmp_path), "https://example.org/x"])
    assert targets == [str(tmp_path / "a.txt"), str(tmp_path / "sub" / "b.md"), "https://example.org/x"]
    assert skipped == [str(tmp_path / "photo.png")]
    empty = tmp_path / "empty"
    empty.mkdir()
    expect("empty_folder", collect_sources, [str(empty)])


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves the sample page and PDF; anything else is a 404."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        files = {"/2016/desert-pipelines": (HTML, "text/html; charset=utf-8"), "/report": (PDF, "application/pdf")}
        if self.path not in files:
            self.send_error(404, "Not Found")
            return
        path, content_type = files[self.path]
        payload = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture()
def local_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 in a thread; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_url_extracts_a_page_and_a_pdf(local_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    page = fetch_url(f"{local_server}/2016/desert-pipelines", timeout=10)
    assert page.article.source.url == f"{local_server}/2016/desert-pipelines"
    assert page.article.source.title.startswith("Desert Pipelines")
    assert "militias had twice shut the valves" in page.article.body
    report = fetch_url(f"{local_server}/report", timeout=10)
    assert report.kind == "pdf" and "Kufra" in report.article.body
    error = expect("fetch_failed", fetch_url, f"{local_server}/missing", timeout=10)
    assert "404" in error.message


def test_fetch_url_refused_and_timeout_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = expect("fetch_failed", fetch_url, f"http://127.0.0.1:{port}/article", timeout=5)
    assert "refused" in error.message.lower() and "network" in error.message and error.status == 502
    with socket.socket() as silent:  # accepts connections but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        error = expect("fetch_failed", fetch_url, f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout=0.5)
    assert "timed out after 0.5 s" in error.message
    expect("bad_url", fetch_url, "ftp://127.0.0.1/file.txt")
    expect("bad_url", fetch_url, "http://[::1")  # urlsplit itself refuses it: one clear error, not a ValueError


# --- refusals -----------------------------------------------------------------------------
def test_missing_path(tmp_path: Path) -> None:
    error = expect("path_missing", read_path, tmp_path / "nope.txt")
    assert error.status == 404


def test_empty_and_blank_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"  \n\n\t \r\n")
    (tmp_path / "header-only.md").write_text("---\ntitle: Nothing\n---\n\n", "utf-8")
    for name in ("empty.txt", "blank.md", "header-only.md"):
        expect("empty_source", read_path, tmp_path / name)
    expect("empty_source", read_bytes, b"", "empty.html")
    expect("empty_source", read_bytes, b"", "empty.pdf")


def test_binary_and_unsupported_files(tmp_path: Path) -> None:
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    expect("binary_file", read_path, tmp_path / "image.txt")
    (tmp_path / "controls.txt").write_bytes(b"\x01\x02\x03\x04 text \x05\x06\x07\x08\x0e\x0f" * 20)
    expect("binary_file", read_path, tmp_path / "controls.txt")
    (tmp_path / "page.html").write_bytes(b"<html>\x00\x00\x00</html>")
    expect("binary_file", read_path, tmp_path / "page.html")
    expect("binary_file", read_bytes, b"PK\x03\x04", "tiny.txt")  # a few bytes, half control characters
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04 word document")
    error = expect("unsupported_file", read_path, tmp_path / "report.docx")
    assert ".docx" in error.message and ".pdf" in error.message


def test_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:  # sparse: refused from its size, before any reading
        handle.truncate(ingest.MAX_SOURCE_BYTES + 1)
    error = expect("too_large", read_path, big)
    assert error.status == 413 and "20 MiB" in error.message
    expect("too_large", read_bytes, b"x" * 101, "small.txt", max_bytes=100)


def test_encodings_are_tried_in_order(tmp_path: Path) -> None:
    assert decode_text("Café in Tripoli".encode("utf-8-sig"), "x") == ("Café in Tripoli", "utf-8-sig")
    assert decode_text("Café".encode("utf-16"), "x") == ("Café", "utf-16")
    assert decode_text("“Qaddafi’s” café".encode("cp1252"), "x") == ("“Qaddafi’s” café", "cp1252")
    path = tmp_path / "old.txt"
    path.write_bytes("Le café de Benghazi était fermé. ".encode("latin-1") * 40 + b"\x81")
    got = read_path(path)  # one stray byte cp1252 does not define: latin-1 as the last resort
    assert got.article.body.startswith("Le café de Benghazi") and "\x81" not in got.article.body
    assert "latin-1" in got.article.notes


def test_undecodable_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mystery.txt"
    path.write_bytes(b"Libya \x81\x8d\x8f\x90\x9d report " * 30)  # latin-1 would be full of controls
    error = expect("undecodable_text", read_path, path)
    assert "UTF-8" in error.message
    cyrillic = "Ливия и её соседи в две тысячи одиннадцатом году".encode("cp1251")
    expect("undecodable_text", read_bytes, cyrillic, "ru.txt")  # cp1252 would give mojibake


def test_bad_metadata_flags_and_headers() -> None:
    expect("bad_metadata", read_bytes, b"Body.", "a.txt", Metadata(date="March 2016"))
    expect("bad_metadata", read_bytes, b"Body.", "a.txt", Metadata(url="www.example.org"))
    expect("bad_metadata", read_bytes, b"Body.", "a.txt", Metadata(id="Not An Id"))
    expect("bad_metadata", read_bytes, b"---\ntitle: [unclosed\n---\nBody.", "a.md")
    expect("bad_metadata", read_bytes, b"---\nid: Bad Id\n---\nBody.", "a.md")
    for impossible in ("2015-02-30", "2015-13", "2015-00", "0000"):  # a pattern match is not a date
        expect("bad_metadata", read_bytes, b"Body.", "a.txt", Metadata(date=impossible))
    expect("bad_metadata", read_bytes, b"Body.", "a.txt", Metadata(author="A" * 3000))  # the header allows 2,000
    expect("bad_metadata", read_bytes, b"Body.", "a.txt", Metadata(title="Line one\nLine two \x1b[31mred"))


def test_make_id() -> None:
    assert make_id("The Fall of Sirte: A Report", "2016-05-01", "b") == "fall-sirte-report-2016"
    assert make_id("Libya 2011", "2011", "b") == "libya-2011"
    assert make_id("ليبيا", "unknown", "body").startswith("article-")


def test_cli_add_url(
    local_server: str, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("LIBYA_QA_CORPUS", str(tiny_settings.corpus_dir))
    monkeypatch.setenv("LIBYA_QA_INDEX", str(tiny_settings.index_dir))
    assert main(["add", f"{local_server}/2016/desert-pipelines", "--date", "2016-03-15"]) == 0
    assert f"added {HTML_ID}" in capsys.readouterr().out
    stored = {a.id: a for a in load_corpus(tiny_settings.corpus_dir)}[HTML_ID]
    assert stored.source.url == f"{local_server}/2016/desert-pipelines" and stored.source.date == "2016-03-15"
    assert main(["add", f"{local_server}/nothing-here"]) == 2
    assert "error [fetch_failed]" in capsys.readouterr().err
    assert len(load_corpus(tiny_settings.corpus_dir)) == 3


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://example.org/a"])
def test_a_header_url_follows_the_same_rule_as_the_url_flag(url: str) -> None:
    text = f"---\ntitle: T\nurl: '{url}'\n---\nSome article text here."
    with pytest.raises(IngestError, match="must start with http:// or https://"):
        read_bytes(text.encode(), "note.md")


def test_an_alias_bomb_through_add_writes_nothing() -> None:
    with pytest.raises(IngestError, match="aliases"):
        read_bytes(f"---\n{ALIAS_BOMB}\n---\nBody text.".encode(), "bomb.md")
