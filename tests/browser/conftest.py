"""Real-browser tests: Debian's Chromium driven by Playwright against a live server."""

import logging
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

log = logging.getLogger(__name__)
CHROMIUM = os.environ.get("JICHIKAI_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _why_no_browser() -> str | None:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    return None


def _skip_on_postgresql(app) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("browser tests run once, on the embedded SQLite setup")


@pytest.fixture(scope="package")
def browser_or_skip(app):
    """Chromium for this package's tests only: Playwright's loop must not outlive them."""
    _skip_on_postgresql(app)
    problem = _why_no_browser()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served on 127.0.0.1 at an ephemeral port (SQLite backend only)."""
    _skip_on_postgresql(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def context(browser_or_skip, live_server):
    """A fresh phone-sized browser context in Japanese."""
    context = browser_or_skip.new_context(
        base_url=live_server,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        viewport={"width": 390, "height": 844},
        service_workers="allow",
    )
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def screenshot(page, name: str) -> Path | None:
    """Save a full-page screenshot under test-output/screenshots for people to look at.

    A screenshot is a picture for people, not a check: when Chromium cannot capture the whole
    page in time (seen once in CI on a busy machine), it falls back to the visible part, and
    if that fails too it logs a warning instead of failing the test that took it. Assertions
    never depend on a screenshot.
    """
    from playwright.sync_api import Error as PlaywrightError

    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True, animations="disabled", timeout=15_000)
        return path
    except PlaywrightError as error:
        first = error
    try:
        page.screenshot(path=str(path), animations="disabled", timeout=15_000)
        log.warning(f"screenshot {name}: full page failed ({first.message}); saved the viewport")
        return path
    except PlaywrightError as error:
        log.warning(f"screenshot {name} not saved: {error.message}")
        return None


def axe_problems(page) -> list[str]:
    """Serious and critical axe-core violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def wait_for(page, expression: str, seconds: float = 10) -> None:
    """Poll a JavaScript expression from Python until it is truthy.

    Playwright's wait_for_function evaluates strings with eval(), which the pages' strict
    Content-Security-Policy forbids.
    """
    import time

    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError:  # a navigation in between
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {expression}")


def wait_for_service_worker(page) -> None:
    """Wait until the service worker controls the page (installed, then reloaded)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    wait_for(page, "navigator.serviceWorker.controller !== null")
