"""Browser-test fixtures: the real app on a live local port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, sync_playwright
from support import ADMIN_TOKEN

from libya_qa.app import create_app
from libya_qa.config import Settings
from libya_qa.encoders import Encoder
from libya_qa.qa import QA

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
DESKTOP = {"width": 1280, "height": 900}


def _free_port() -> int:
    """A port on 127.0.0.1 nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(settings: Settings, qa: QA) -> Iterator[str]:
    """The app served by uvicorn in a background thread; yields its base URL until the caller is done."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings, qa), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(real_settings: Settings, real_qa: QA) -> Iterator[str]:
    """The real app (real index, real model, no admin token) on a live local port; yields its base URL."""
    yield from _serve(real_settings, real_qa)


class SlowEncoder:
    """The real encoder, one second slower per batch, so a browser can watch a build's progress bar move."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name, self.dimension = inner.name, inner.dimension

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> object:
        if len(texts) > 1:  # a build's batch, not a question
            time.sleep(1.0)
        return self.inner.encode(texts, batch_size, progress)


@pytest.fixture()
def library_server(real_settings: Settings, real_qa: QA, tmp_path: Path) -> Iterator[str]:
    """A writable copy of the real corpus and index, served with an admin token; yields its base URL."""
    shutil.copytree(real_settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(real_settings.index_dir, tmp_path / "index", symlinks=True)
    settings = Settings.from_env(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        web_dir=real_settings.web_dir,
        admin_token=ADMIN_TOKEN,
    )
    yield from _serve(settings, QA(settings, SlowEncoder(real_qa.encoder)))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (Playwright's own browser download is not used)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install -y chromium chromium-driver")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What a page did that a test may want to forbid: dialogs, script errors, CSP reports, off-site requests."""

    base_url: str
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        """Listen on a page (dialogs are dismissed and recorded)."""
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        """Record Content-Security-Policy violations reported on the console."""
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp_violations.append(text)

    def route(self, route: Route) -> None:
        """Let local requests through, refuse and record everything else (all assets must be local)."""
        url = route.request.url
        if url.startswith(self.base_url) or url.startswith(("data:", "about:")):
            route.continue_()
        else:
            self.offsite.append(url)
            route.abort()

    def assert_clean(self) -> None:
        """No dialog, no uncaught script error, no CSP violation, nothing fetched from elsewhere."""
        assert self.dialogs == [], f"a dialog opened (script ran): {self.dialogs}"
        assert self.page_errors == [], f"script errors: {self.page_errors}"
        assert self.csp_violations == [], f"CSP violations: {self.csp_violations}"
        assert self.offsite == [], f"off-site requests: {self.offsite}"


@pytest.fixture()
def watch(live_server: str) -> Watch:
    """A fresh record of page events for one test."""
    return Watch(live_server)


@pytest.fixture()
def library_context(browser: Browser, library_server: str) -> Iterator[BrowserContext]:
    """A desktop context on the writable library server; checks the page stayed clean at the end."""
    watch = Watch(library_server)
    ctx = _context(browser, library_server, watch, viewport=DESKTOP)
    yield ctx
    ctx.close()
    watch.assert_clean()


def _context(browser: Browser, live_server: str, watch: Watch, **options: object) -> BrowserContext:
    """A fresh browser context (empty localStorage) pointed at the live server and watched."""
    options.setdefault("reduced_motion", "reduce")  # instant scrolling: screenshots show settled states
    context = browser.new_context(base_url=live_server, **options)  # type: ignore[arg-type]
    context.route("**/*", watch.route)
    context.on("page", watch.attach)
    return context


@pytest.fixture()
def context(browser: Browser, live_server: str, watch: Watch) -> Iterator[BrowserContext]:
    """A desktop-sized context with JavaScript; checks the page stayed clean at the end."""
    ctx = _context(browser, live_server, watch, viewport=DESKTOP)
    yield ctx
    ctx.close()
    watch.assert_clean()


@pytest.fixture()
def page(context: BrowserContext) -> Page:
    """A page in the desktop context."""
    return context.new_page()


MakeContext = Callable[..., BrowserContext]


@pytest.fixture()
def make_context(browser: Browser, live_server: str, watch: Watch) -> Iterator[MakeContext]:
    """Factory for contexts with other options (phone size, JavaScript off); all checked at the end."""
    made: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        ctx = _context(browser, live_server, watch, **options)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()
    watch.assert_clean()


@pytest.fixture()
def shoot() -> Callable[..., Path]:
    """Save a screenshot of what the viewport shows (or the whole page) as tests/screenshots/NAME.png."""

    def save(page: Page, name: str, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
