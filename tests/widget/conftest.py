"""A real Chromium (Debian's, driven by Playwright) for the widget's browser tests.

The browser never reaches the internet: anything outside 127.0.0.1 is answered here. The quick
exit's neutral site and a "page before" (to check that Back skips the chat) are stand-in pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"

EXIT_URL = "https://www.bbc.co.uk/weather"
BEFORE_URL = "https://search.example/"


async def _outside(route: Route) -> None:
    url = route.request.url
    if url.startswith(EXIT_URL):
        await route.fulfill(content_type="text/html", body="<title>Weather</title><h1>Weather</h1>")
    elif url.startswith(BEFORE_URL):
        await route.fulfill(content_type="text/html", body="<title>Search</title><h1>Search</h1>")
    else:
        await route.abort()


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make install` (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield browser
        await browser.close()


@pytest.fixture
async def new_context(browser: Browser):
    """Contexts (a fresh browser profile each) closed at the end of the test."""
    contexts: list[BrowserContext] = []

    async def make(**options) -> BrowserContext:
        context = await browser.new_context(
            **{"viewport": {"width": 1280, "height": 800}, **options}
        )
        await context.route(lambda url: not url.startswith("http://127.0.0.1"), _outside)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        await context.close()


@pytest.fixture
async def page(new_context) -> Page:
    context = await new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"
