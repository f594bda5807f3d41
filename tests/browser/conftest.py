"""Real Chromium (Debian's package, driven by Playwright) against a live server on loopback."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import dispose
from tests.databases import FAST_HASH

CHROMIUM = os.environ.get("MATCHMAKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (run `make system-deps`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(tmp_path: Path, demo_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from matchmaker import create_app

    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": demo_database_url, "SECRET_KEY": "browser-test",
                      "PASSWORD_HASH_METHOD": FAST_HASH})
    from matchmaker import jobs

    jobs.refit(app)  # as `make run` does with `matchmaker rescore --if-missing` before serving
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # As `make run` does: mails link to the address the site is served at.
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    if "job_thread" in app.extensions:
        jobs.worker_thread(app).stop()
    dispose(app)


def _watch_policy_violations(page, violations: list[str]) -> None:
    """Chromium reports what the Content-Security-Policy blocked as console errors."""
    page.on("console", lambda message: violations.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="ja-JP")
    context.set_default_timeout(15_000)
    violations: list[str] = []
    new = context.new_page()
    _watch_policy_violations(new, violations)
    yield new
    context.close()
    assert violations == [], "the page broke its own Content-Security-Policy"


@pytest.fixture
def new_page(browser, live_server):
    """For journeys with several people at once: each gets their own browser context."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server, locale="ja-JP")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        _watch_policy_violations(page, violations)
        return page

    violations: list[str] = []
    yield make
    for context in contexts:
        context.close()
    assert violations == [], "a page broke its own Content-Security-Policy"
