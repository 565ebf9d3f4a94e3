"""A real Chromium (Debian's, driven by Playwright) for the widget's browser tests.

The browser never reaches the internet: anything outside loopback (bot/ on 127.0.0.1, a force's
site on localhost) is answered here. The quick exit's neutral site and a "page before" (to check
that Back skips the chat) are stand-in pages.

``force_site`` is a force's website on another site than bot/ (force_site.py); ``standin`` is
bot/ in this process on a stand-in Rasa (standin.py), for browser tests that need no model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

from tests.widget.force_site import ForceSite, serving_force_site
from tests.widget.standin import StandInBot, standin_bot

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"

EXIT_URL = "https://www.bbc.co.uk/weather"
BEFORE_URL = "https://search.example/"
LOOPBACK = ("http://127.0.0.1:", "http://localhost:")
# Playwright switches off Chromium's storage partitioning (its issue 32230), which every Chrome
# since 115 has on: without it, a frame of another site (the widget's, on a force's page) gets
# no storage at all, as unpartitioned third-party storage is blocked. The last --disable-features
# given is the one Chromium reads, so this one replaces Playwright's: the same list without
# ThirdPartyStoragePartitioning (and without those for browser features these tests never use).
DISABLED_FEATURES = (
    "--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,"
    "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,MediaRouter,PaintHolding,"
    "AvoidCorsURLLoaderRestartOnRedirect"
)


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
            args=["--no-sandbox", "--disable-background-networking", DISABLED_FEATURES],
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
        await context.route(lambda url: not url.startswith(LOOPBACK), _outside)
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


@pytest.fixture(scope="session")
async def force_site() -> AsyncIterator[ForceSite]:
    async with serving_force_site() as site:
        yield site


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[StandInBot]:
    async with standin_bot(tmp_path / "standin") as bot:
        yield bot
