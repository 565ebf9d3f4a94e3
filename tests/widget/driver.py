"""How the browser tests use the widget: as a person would, by role and label.

Playwright's locators pierce the widget's open shadow root, so these are the same queries a
screen-reader user's tools see.
"""

from __future__ import annotations

import aiohttp
from playwright.async_api import Page, expect

REPLY_TIMEOUT_MS = 30_000
STORAGE_KEYS = ("aic:session", "aic:outbox", "aic:open", "aic:started")


class Widget:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.panel = page.get_by_role("region", name="Ask in Confidence")
        self.launcher = page.get_by_role("button", name="Ask in Confidence")
        self.minimise = page.get_by_role("button", name="Minimise chat")
        self.exit = page.get_by_role("button", name="Exit this page")
        self.input = page.get_by_role("textbox", name="Your message")
        self.send_button = page.get_by_role("button", name="Send", exact=True)
        self.log = page.get_by_role("log")
        self.bot_messages = page.locator(".aic-from-bot .aic-text")
        self.user_messages = page.locator(".aic-from-user .aic-text")
        self.notices = page.locator(".aic-from-notice .aic-text")
        self.choices = page.locator(".aic-choice")
        self.typing = page.locator(".aic-typing")
        self.status = page.get_by_role("status")

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
        return await self.page.locator(".aic-msg").evaluate_all(
            """items => items.map(item => {
                const kind = item.className.match(/aic-from-(\\w+)/)[1];
                return `${kind}: ${item.querySelector(".aic-text").innerText.trim()}`;
            })"""
        )

    async def session_storage(self) -> dict[str, str]:
        return await self.page.evaluate("() => Object.fromEntries(Object.entries(sessionStorage))")

    async def local_storage(self) -> dict[str, str]:
        return await self.page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")

    async def session_id(self) -> str:
        return (await self.session_storage())["aic:session"]


async def server_history(bot_url: str, session: str) -> list[dict]:
    """The conversation as bot/ holds it, asked over the widget's own channel."""
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{bot_url}/widget/api/history", json={"session": session}
        ) as response:
            assert response.status == 200, await response.text()
            return (await response.json())["messages"]
