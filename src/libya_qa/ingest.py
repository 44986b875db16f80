"""Read files and URLs into normalised Articles: text, Markdown, HTML (trafilatura) and PDF (pypdf).

Limits: a source may be at most MAX_SOURCE_BYTES (20 MiB); URLs are fetched with a FETCH_TIMEOUT
(20 s) timeout. Text is decoded as UTF-8 (with or without a BOM, or UTF-16 with a BOM), then cp1252,
and as latin-1 only when that leaves almost no control characters. Nothing here writes anything.
"""

from __future__ import annotations

import codecs
import http.client
import re
import unicodedata
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, fields, replace
from datetime import date as Date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .analysis import CONTROL
from .corpus import FRONT_MATTER, ID_PATTERN, MAX_OTHER_FIELD_CHARS, load_header
from .errors import IngestError
from .filters import date_parts
from .schema import UNKNOWN, Article, Source
from .unwrap import unwrap

MAX_SOURCE_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT = 20.0
USER_AGENT = "libya-qa/0.1 (adds one article to a local corpus)"
SUPPORTED = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
}
CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "text/plain": "text",
    "text/markdown": "markdown",
}
MIN_HTML_WORDS = 8  # trafilatura falls back to menu text on pages without an article
METADATA_FIELDS = ("title", "author", "publisher", "date", "url")
ID_STOPWORDS = frozenset("a an and at by for from in of on or the to with".split())
WEB_URL = re.compile(r"^https?://\S+$")
LINE_BREAK = re.compile(r"[\t\n\r]")  # a flag is one line of a YAML header
INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


@dataclass(frozen=True)
class Metadata:
    """Citation fields found in a source or given by the user; None means not known."""

    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    id: str | None = None

    def over(self, base: Metadata) -> Metadata:
        """These values where set, else the base's (flags override extracted metadata)."""
        return Metadata(**{f.name: getattr(self, f.name) or getattr(base, f.name) for f in fields(self)})


@dataclass(frozen=True)
class Extracted:
    """An Article made from one source, with what is known about how it was made."""

    article: Article
    origin: str
    kind: str
    missing: tuple[str, ...]  # metadata fields written as unknown
    explicit_id: bool  # the id came from the user or the file's header, not from the title


def kind_for(name: str, raw: bytes = b"") -> str:
    """The reader for a file name (by suffix; sniffed when there is none), or an unsupported error."""
    suffix = Path(name).suffix.lower()
    if suffix in SUPPORTED:
        return SUPPORTED[suffix]
    if not suffix and raw:
        head = raw[:512].lstrip().lower()
        if head.startswith(b"%pdf-"):
            return "pdf"
        return "html" if head.startswith((b"<!doctype html", b"<html")) else "text"
    raise IngestError(
        "unsupported_file",
        f"{name}: unsupported file type {suffix or '(none)'}; "
        f"add {', '.join(sorted(SUPPORTED))} files (convert other documents to PDF or text first)",
    )


def check_overrides(meta: Metadata) -> Metadata:
    """Validate user-given metadata (one line of text within the header's bounds; date, url, id) and strip blanks."""
    meta = Metadata(**{f.name: (getattr(meta, f.name) or "").strip() or None for f in fields(meta)})
    for name in METADATA_FIELDS:
        value = getattr(meta, name)
        if value and (CONTROL.search(value) or LINE_BREAK.search(value)):
            raise IngestError(
                "bad_metadata", f"--{name} holds a line break or control character; give one line of text"
            )
        if value and len(value) > MAX_OTHER_FIELD_CHARS:
            raise IngestError("bad_metadata", f"--{name} has {len(value)} characters; at most {MAX_OTHER_FIELD_CHARS}")
    if meta.date and not date_parts(meta.date):  # the filters' rule: a real YYYY[-MM[-DD]]
        raise IngestError("bad_metadata", f"date {meta.date!r} must be a real date, YYYY, YYYY-MM or YYYY-MM-DD")
    if meta.url and not WEB_URL.match(meta.url):
        raise IngestError("bad_metadata", f"url {meta.url!r} must start with http:// or https://")
    if meta.id and not ID_PATTERN.match(meta.id):
        raise IngestError("bad_metadata", f"id {meta.id!r} must be lowercase a-z, 0-9 and '-' (at most 80)")
    return meta


def read_path(path: Path, overrides: Metadata = Metadata(), max_bytes: int = MAX_SOURCE_BYTES) -> Extracted:
    """Read one file (never modified) into an Article."""
    check_overrides(overrides)
    if not path.exists():
        raise IngestError("path_missing", f"{path} does not exist", status=404)
    if not path.is_file():
        raise IngestError("not_a_file", f"{path} is not a regular file")
    kind = kind_for(path.name) if path.suffix else None
    size = path.stat().st_size
    if size > max_bytes:
        raise _too_large(str(path), size, max_bytes)
    return read_bytes(path.read_bytes(), path.name, overrides, kind=kind, origin=str(path), max_bytes=max_bytes)


def read_bytes(
    raw: bytes,
    name: str,
    overrides: Metadata = Metadata(),
    kind: str | None = None,
    origin: str | None = None,
    url: str | None = None,
    max_bytes: int = MAX_SOURCE_BYTES,
) -> Extracted:
    """Extract an Article from a source's bytes; `name` gives the kind and the fallback id."""
    origin = origin or name
    overrides = check_overrides(overrides)
    if len(raw) > max_bytes:
        raise _too_large(origin, len(raw), max_bytes)
    if not raw.strip():
        raise IngestError("empty_source", f"{origin} is empty: there is no text to add")
    kind = kind or kind_for(name, raw)
    if kind == "pdf":
        body, found, how = extract_pdf(raw, origin)
    elif kind == "html":
        _refuse_binary(raw, origin)
        body, found = extract_html(raw, url)
        how = "html, extracted with trafilatura"
    else:
        text, encoding = decode_text(raw, origin)
        body, found = parse_markdown(text) if kind == "markdown" else (text, Metadata())
        how = f"{kind}, {encoding}"
    if url:
        found = replace(found, url=url)
    return finish(
        body,
        overrides.over(found),
        origin,
        how,
        fallback=Path(unquote(name)).stem,
        explicit_id=bool(overrides.id or found.id),
        kind=kind,
    )


def fetch_url(
    url: str, overrides: Metadata = Metadata(), timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_SOURCE_BYTES
) -> Extracted:
    """Fetch a web page or PDF and extract it; network failures become one clear error."""
    try:
        scheme = urlsplit(url).scheme
    except ValueError as exc:  # "http://[::1": an address Python cannot even split
        raise IngestError("bad_url", f"{url!r} is not a valid address ({exc})") from exc
    if scheme not in ("http", "https"):
        raise IngestError("bad_url", f"{url!r}: only http:// and https:// addresses can be fetched")
    check_overrides(overrides)  # before any network traffic
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/pdf,text/plain;q=0.9"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(max_bytes + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        raise IngestError("fetch_failed", f"{url} answered HTTP {exc.code} {exc.reason}", status=502) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        what = f"timed out after {timeout:g} s" if "timed out" in str(reason) else f"failed ({reason})"
        raise IngestError(
            "fetch_failed",
            f"fetching {url} {what}; check the address and the network, or save the page and add the file",
            status=502,
        ) from exc
    name = Path(urlsplit(url).path).name or "page"
    kind = CONTENT_TYPES.get(content_type) or SUPPORTED.get(Path(name).suffix.lower()) or kind_for("", raw)
    return read_bytes(raw, name, overrides, kind=kind, origin=url, url=url, max_bytes=max_bytes)


def decode_text(raw: bytes, origin: str) -> tuple[str, str]:
    """Decode text as UTF-8 (BOMs honoured), then cp1252, then latin-1 only if it looks like text."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return _check_text(raw.decode(encoding), origin), encoding
            except UnicodeDecodeError as exc:
                raise _undecodable(origin) from exc
    _refuse_binary(raw, origin)
    try:
        return _check_text(raw.decode("utf-8"), origin), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text:  # Western text is mostly ASCII; anything else is another encoding read wrongly
        if sum(ord(c) > 127 for c in text) > 0.3 * len(text):
            raise _undecodable(origin)
        return _check_text(text, origin), "cp1252"
    text = raw.decode("latin-1")  # bytes cp1252 leaves undefined: C1 controls in latin-1
    if len(CONTROL.findall(text)) > max(1, len(text) // 1000):
        raise _undecodable(origin)
    return _check_text(text, origin), "latin-1 (last resort: check the text)"


def parse_markdown(text: str) -> tuple[str, Metadata]:
    """Split an optional YAML metadata header (and a leading '# Title' line) from Markdown."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, object] = {}
    match = FRONT_MATTER.match(text)
    if match:
        try:
            meta = load_header(match.group(1))
        except ValueError as exc:
            raise IngestError("bad_metadata", f"the metadata header is refused: {exc}") from exc
        text = text[match.end() :]
    found = Metadata(
        **{k: _value(meta.get(k) or (meta.get("authors") if k == "author" else None)) for k in (*METADATA_FIELDS, "id")}
    )
    heading = re.match(r"\s*# +(.+?)\s*(\n|$)", text)
    if heading and not found.title:
        found, text = replace(found, title=heading.group(1).strip()), text[heading.end() :]
    if found.id and not ID_PATTERN.match(found.id):
        raise IngestError("bad_metadata", f"id {found.id!r} in the header must be lowercase a-z, 0-9 and '-'")
    if found.url and not WEB_URL.match(found.url):  # the same rule as --url: never a javascript: link
        raise IngestError("bad_metadata", f"url {found.url!r} in the header must start with http:// or https://")
    return text, found


def extract_html(raw: bytes, url: str | None) -> tuple[str, Metadata]:
    """The main text and metadata of a web page (trafilatura; navigation, footers, comments dropped)."""
    import trafilatura

    # Dates from the page's markup only (meta tags, <time>, the URL): an extensive search also takes a
    # year the text merely mentions ("ruled from 1969 until 2011" became a 2011-01-01 publication date).
    dates = {"original_date": True, "extensive_search": False, "max_date": Date.today().isoformat()}
    doc = trafilatura.bare_extraction(
        raw,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        date_extraction_params=dates,
    )
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    title = _value(getattr(doc, "title", None))
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if lines and title and lines[0] == title:
        lines = lines[1:]  # the headline is metadata, not body text
    if sum(len(line.split()) for line in lines) < MIN_HTML_WORDS:  # leftovers of menus, not an article
        raise IngestError("no_text", "found no article text in the HTML page (is it a real article page?)")
    author = _value(getattr(doc, "author", None))
    publisher = _value(getattr(doc, "sitename", None))
    if publisher and publisher in (getattr(doc, "hostname", None), urlsplit(url or "").netloc):
        publisher = None  # trafilatura's fallback to the host name is a guess, not metadata
    meta = Metadata(
        title=title,
        author=author.replace("; ", " and ") if author else None,
        publisher=publisher,
        date=_iso_date(getattr(doc, "date", None)),
        url=_value(getattr(doc, "url", None)),
    )
    return "\n\n".join(lines), meta


def extract_pdf(raw: bytes, origin: str) -> tuple[str, Metadata, str]:
    """The text layer of a PDF (pypdf) as paragraphs, with its title, author and creation date."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repair warnings ("EOF marker not found") are ours to say
    if not raw.lstrip()[:5] == b"%PDF-":
        raise IngestError("bad_pdf", f"{origin} is not a PDF file (no %PDF- header)")
    try:
        import io

        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("pdf_encrypted", f"{origin} is password-protected: save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files; all mean the same here
        raise IngestError("bad_pdf", f"{origin} cannot be read as a PDF ({exc.__class__.__name__}: {exc})") from exc
    body = "\n\n".join(pdf_paragraphs("\n".join(without_furniture(pages))))
    if not body.strip():
        raise IngestError("no_text", f"{origin} has no text layer (a scanned image?); run OCR on it first")
    title = _value(info.title if info else None)
    if title and re.search(r"^Microsoft Word - |\.(docx?|pdf|odt)$", title):
        title = None  # a file name left by the authoring tool is not a title
    return (
        body,
        Metadata(title=title, author=_value(info.author if info else None), date=_pdf_date(info)),
        "pdf, extracted with pypdf",
    )


# A running header or footer sits among the first or last lines of a page; read with its digits as one, it repeats
# on most pages ("UN Panel of Experts S/2017/466", "Page 3 of 12"). Left in, it would be joined into the sentence
# that runs across the page break, and could be quoted under the author's name.
FURNITURE_LINES = 2
FURNITURE_SHARE = 0.5
MIN_FURNISHED_PAGES = 3


def without_furniture(pages: list[str]) -> list[str]:
    """Each page's text with its running headers and footers (lines repeated at the page edges) left out."""

    def shape(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip().lower())

    def edges(page: list[str]) -> set[str]:
        lines = [line for line in page if line.strip()]
        return {shape(line) for line in lines[:FURNITURE_LINES] + lines[-FURNITURE_LINES:]}

    split = [page.strip().split("\n") for page in pages]
    page_edges = [edges(page) for page in split]
    counts = Counter(edge for found in page_edges for edge in found)
    furniture = (
        {edge for edge, n in counts.items() if n >= max(MIN_FURNISHED_PAGES, FURNITURE_SHARE * len(pages))}
        if len(pages) >= MIN_FURNISHED_PAGES
        else set()
    )
    return [
        "\n".join(line for line in page if shape(line) not in furniture & found)
        for page, found in zip(split, page_edges)
    ]


def pdf_paragraphs(text: str) -> list[str]:
    """Join a PDF's hard-wrapped lines into paragraphs (short line + end punctuation ends one)."""
    lines = [line.strip() for line in text.split("\n")]
    width = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if line and not line.isdigit():  # bare page numbers are furniture
            if current.endswith("-") and line[:1].islower():
                current = current[:-1] + line
            else:
                current = f"{current} {line}".strip()
        ends = not line or (line[-1] in '.!?:"”’)' and len(line) < 0.8 * width)
        if ends and current:
            paragraphs.append(current)
            current = ""
    return paragraphs + ([current] if current else [])


def normalise_body(text: str) -> str:
    """NFC, LF line ends, no invisible or control characters, no trailing spaces, single blank lines."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = CONTROL.sub("", INVISIBLE.sub("", text.replace("\t", " ")))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def finish(body: str, meta: Metadata, origin: str, how: str, fallback: str, explicit_id: bool, kind: str) -> Extracted:
    """Build the Article: normalised body, unknown for missing fields, an id from the title."""
    body = normalise_body(body)
    if kind in ("text", "markdown"):
        body = unwrap(body)  # a hard-wrapped file's paragraphs on one line each (unwrap.py)
    if not body:
        raise IngestError("empty_source", f"{origin} has no text once normalised: there is nothing to add")
    values = {k: _within_bounds(getattr(meta, k) or UNKNOWN) for k in METADATA_FIELDS}
    values["date"] = _iso_date(values["date"]) or UNKNOWN
    article_id = meta.id or make_id(values["title"] if values["title"] != UNKNOWN else fallback, values["date"], body)
    notes = f"Added with `libya-qa add` from {Path(origin).name or origin} ({how}) on {Date.today().isoformat()}."
    missing = tuple(k for k in METADATA_FIELDS if values[k] == UNKNOWN)
    article = Article(Source(id=article_id, **values), body, notes)
    return Extracted(article, origin, kind, missing, explicit_id)


def _within_bounds(value: str) -> str:
    """Extracted metadata as one line the corpus header accepts: control characters dropped, and a
    page's 3,600-character <title> cut at a word (flags were checked before; they are never cut)."""
    value = " ".join(CONTROL.sub("", value).split())
    if len(value) <= MAX_OTHER_FIELD_CHARS:
        return value
    return value[: MAX_OTHER_FIELD_CHARS - 1].rsplit(" ", 1)[0] + "…"


def make_id(base: str, date: str, body: str) -> str:
    """A readable id: up to six words of the title (or file name), then the year when known."""
    ascii_text = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.findall(r"[a-z0-9]+", ascii_text) if w not in ID_STOPWORDS][:6]
    slug = "-".join(words)[:60].strip("-")
    year = date[:4] if re.match(r"^\d{4}", date) else ""
    if year and not slug.endswith(year):
        slug = f"{slug}-{year}".strip("-")
    if not slug or not ID_PATTERN.match(slug):
        import hashlib

        slug = "article-" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:10]
    return slug


def _value(value: object) -> str | None:
    """A metadata value as stripped text; lists are joined with 'and'; blanks become None."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = " and ".join(str(v) for v in value if str(v).strip())
    text = " ".join(str(value).split())
    return text if text and text.lower() != UNKNOWN else None


def _iso_date(value: object) -> str | None:
    """YYYY[-MM[-DD]] from the start of a date string, or the string itself when it is not ISO."""
    text = _value(value)
    if not text:
        return None
    match = re.match(r"^(\d{4}(-\d{2}(-\d{2})?)?)(T|\s|$)", text)
    return match.group(1) if match else text


def _pdf_date(info: object) -> str | None:
    """A PDF's creation date as YYYY-MM-DD, when it has a valid one."""
    try:
        created = getattr(info, "creation_date", None) if info else None
    except Exception:  # a malformed date string in the PDF's info dictionary
        return None
    return created.date().isoformat() if created else None


def _check_text(text: str, origin: str) -> str:
    """Refuse decoded text that is mostly control characters (a binary file)."""
    if len(CONTROL.findall(text)) * 100 > len(text):  # more than 1% control characters
        raise IngestError("binary_file", f"{origin} looks like a binary file, not text")
    return text


def _refuse_binary(raw: bytes, origin: str) -> None:
    """NUL bytes mean a binary file (or UTF-16 without a BOM)."""
    if b"\x00" in raw[:8192]:
        raise IngestError("binary_file", f"{origin} looks like a binary file (it contains NUL bytes), not text")


def _undecodable(origin: str) -> IngestError:
    """The error for text in an encoding we cannot tell."""
    return IngestError(
        "undecodable_text",
        f"{origin}: cannot decode the text as UTF-8 or cp1252 "
        "(latin-1 would give control characters); save it as UTF-8 and add it again",
    )


def _too_large(origin: str, size: int, limit: int) -> IngestError:
    """The error for a source over the size limit."""
    return IngestError(
        "too_large",
        f"{origin} is {size / 1048576:.1f} MiB; the limit is {limit / 1048576:.0f} MiB (MAX_SOURCE_BYTES)",
        status=413,
    )


def is_url(item: str) -> bool:
    """True for an http(s) address rather than a path."""
    return item.lower().startswith(("http://", "https://"))


def collect_sources(items: list[str]) -> tuple[list[str], list[str]]:
    """Expand folders into their supported files (recursive, sorted, hidden ones skipped).

    Returns the sources to read (URLs and paths; missing paths fail later, when read) and the
    unsupported files found in folders, which are skipped.
    """
    targets: list[str] = []
    skipped: list[str] = []
    for item in items:
        folder = Path(item)
        if is_url(item) or not folder.is_dir():
            targets.append(item)
            continue
        files = sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
        supported = [str(p) for p in files if p.suffix.lower() in SUPPORTED]
        if not supported:
            raise IngestError("empty_folder", f"{folder} has no {', '.join(sorted(SUPPORTED))} file to add")
        targets.extend(supported)
        skipped.extend(str(p) for p in files if p.suffix.lower() not in SUPPORTED)
    return targets, skipped
