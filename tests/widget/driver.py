"""How the browser tests use the widget: as a person would, by role and label.

The launcher (and the exit button beside it while the chat is closed) is on the force's page,
in the widget's open shadow root, which Playwright's locators pierce. The conversation is in the
widget's frame, a page of bot/'s own origin, reached through Playwright's ``frame_locator``:
the same queries a screen-reader user's tools see, in each document.
"""

from __future__ import annotations

import aiohttp
from playwright.async_api import Frame, Page, expect

from tests.widget.conftest import AXE

REPLY_TIMEOUT_MS = 30_000
# What the widget keeps, in the frame's sessionStorage (bot/'s origin), never the page's.
STORAGE_KEYS = ("aic:session", "aic:outbox", "aic:open", "aic:started")
FRAME = "[data-ask-in-confidence] iframe"

_STORAGE = "() => Object.fromEntries(Object.entries(sessionStorage))"
_LOCAL_STORAGE = "() => Object.fromEntries(Object.entries(localStorage))"


class Widget:
    def __init__(self, page: Page) -> None:
        self.page = page
        # On the force's page.
        self.panel = page.locator(FRAME)  # the frame: shown while the chat is open
        self.launcher = page.get_by_role("button", name="Ask in Confidence")
        self.minimise = page.get_by_role("button", name="Minimise chat")
        self.page_exit = page.get_by_role("button", name="Exit this page")
        # In the frame.
        self.frame = frame = page.frame_locator(FRAME)
        self.exit = frame.get_by_role("button", name="Exit this page")
        self.input = frame.get_by_role("textbox", name="Your message")
        self.send_button = frame.get_by_role("button", name="Send", exact=True)
        self.log = frame.get_by_role("log")
        self.messages = frame.locator(".aic-msg")
        self.bot_messages = frame.locator(".aic-from-bot .aic-text")
        self.user_messages = frame.locator(".aic-from-user .aic-text")
        self.notices = frame.locator(".aic-from-notice .aic-text")
        self.choices = frame.locator(".aic-choice")
        self.pending = frame.locator(".aic-pending")
        self.typing = frame.locator(".aic-typing")
        self.status = frame.get_by_role("status")

    async def open(self) -> None:
        await self.launcher.click()
        await expect(self.panel).to_be_visible()
        await expect(self.input).to_be_focused()

    async def wait_for_reply(self, bot_count_before: int) -> str:
        """The text of the first bot message after the ``bot_count_before`` shown before."""
        await expect(self.bot_messages).not_to_have_count(
            bot_count_before, timeout=REPLY_TIMEOUT_MS
        )
        await expect(self.typing).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
        return await self.bot_messages.nth(bot_count_before).inner_text()

    async def wait_for_greeting(self) -> str:
        return await self.wait_for_reply(0)

    async def say(self, text: str) -> str:
        before = await self.bot_messages.count()
        await self.input.fill(text)
        await self.input.press("Enter")
        return await self.wait_for_reply(before)

    async def click(self, title: str) -> str:
        before = await self.bot_messages.count()
        await self.choices.filter(has_text=title).first.click()
        return await self.wait_for_reply(before)

    async def transcript(self) -> list[str]:
        """Who said what, in order (buttons left out: only the latest question keeps them)."""
        return await self.messages.evaluate_all(
            """items => items.map(item => {
                const kind = item.className.match(/aic-from-(\\w+)/)[1];
                return `${kind}: ${item.querySelector(".aic-text").innerText.trim()}`;
            })"""
        )

    async def content_frame(self) -> Frame:
        """The frame itself, to run a script in it as the test's own instrument."""
        handle = await self.panel.element_handle()
        frame = await handle.content_frame()
        assert frame is not None, "the widget's frame has no document"
        return frame

    async def session_storage(self) -> dict[str, str]:
        """The widget's own sessionStorage: the frame's, in bot/'s origin."""
        return await (await self.content_frame()).evaluate(_STORAGE)

    async def local_storage(self) -> dict[str, str]:
        return await (await self.content_frame()).evaluate(_LOCAL_STORAGE)

    async def page_session_storage(self) -> dict[str, str]:
        """The force page's own sessionStorage."""
        return await self.page.evaluate(_STORAGE)

    async def page_local_storage(self) -> dict[str, str]:
        return await self.page.evaluate(_LOCAL_STORAGE)

    async def session_id(self) -> str:
        return (await self.session_storage())["aic:session"]


async def axe_violations(document: Page | Frame) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations in the page's or the frame's own document.

    Each is checked where it is: the page's run does not wait on the frame (``iframes: false``);
    the frame is run in by the test, as the page's scripts could not. label-content-name-mismatch
    (WCAG 2.5.3 Label in Name) is experimental, so off by default: switched on here."""
    await document.evaluate(AXE.read_text())
    result = await document.evaluate(
        """() => axe.run(document, {
            iframes: false,
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            rules: {"label-content-name-mismatch": {enabled: true}},
        })"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


async def server_history(bot_url: str, session: str) -> list[dict]:
    """The conversation as bot/ holds it, asked over the widget's own channel."""
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{bot_url}/widget/api/history", json={"session": session}
        ) as response:
            assert response.status == 200, await response.text()
            return (await response.json())["messages"]
