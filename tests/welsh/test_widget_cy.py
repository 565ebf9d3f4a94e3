"""The widget in Welsh, in a real browser: data-lang="cy", and the English/Cymraeg switch."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.widget.driver import REPLY_TIMEOUT_MS

pytestmark = pytest.mark.e2e

WELSH_PAGE = (
    '<!doctype html><html lang="cy"><head><meta charset="utf-8"><title>Heddlu</title></head>'
    "<body><h1>Tudalen yr heddlu</h1>"
    '<script src="/widget/widget.js" defer data-force="north_wales" data-lang="cy"></script>'
    "</body></html>"
)


async def last_bot_text(page: Page, before: int) -> str:
    messages = page.locator(".aic-from-bot .aic-text")
    await expect(messages).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    await expect(page.locator(".aic-typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    return "\n".join(await messages.all_inner_texts())


async def test_a_welsh_page_opens_the_widget_in_welsh(page: Page, bot_server):
    url = f"{bot_server.url.rstrip('/')}/tudalen-gymraeg.html"
    await page.route(url, lambda route: route.fulfill(content_type="text/html", body=WELSH_PAGE))
    await page.goto(url)
    await page.get_by_role("button", name="Gofyn yn Gyfrinachol").click()
    panel = page.get_by_role("region", name="Gofyn yn Gyfrinachol")
    await expect(panel).to_be_visible()
    await expect(page.get_by_role("button", name="Anfon", exact=True)).to_be_visible()
    await expect(page.get_by_text("Cyngor dienw gan Heddlu Gogledd Cymru")).to_be_visible()
    said = await last_bot_text(page, 0)
    assert "Helo" in said
    # Welsh replies are marked as Welsh for screen readers.
    await expect(page.locator(".aic-from-bot").first).to_have_attribute("lang", "cy")
    # The switch names the other language, in that language; its accessible name starts with
    # the word it shows (WCAG 2.5.3 Label in Name).
    switch = page.get_by_role("button", name="English (switch to English)", exact=True)
    await expect(switch).to_have_attribute("lang", "en")

    box = page.get_by_role("textbox", name="Eich neges")
    before = await page.locator(".aic-from-bot .aic-text").count()
    await box.fill("dw i eisiau marw")
    await box.press("Enter")
    said = await last_bot_text(page, before)
    assert "999" in said and "116 123" in said and "0808 164 0123" in said


async def test_the_switch_turns_an_english_page_welsh(page: Page, bot_server):
    await page.goto(bot_server.url)
    switch = page.get_by_role("button", name="Cymraeg (newid i'r Gymraeg)", exact=True)
    await page.get_by_role("button", name="Ask in Confidence").click()
    await expect(switch).to_have_attribute("lang", "cy")
    said = await last_bot_text(page, 0)
    assert "Hello" in said or "Hi" in said
    before = await page.locator(".aic-from-bot .aic-text").count()
    await switch.click()
    said = await last_bot_text(page, before)
    assert "Iawn, bydda i'n ateb yn Gymraeg" in said
    await expect(page.get_by_role("button", name="Anfon", exact=True)).to_be_visible()
    await expect(
        page.get_by_role("button", name="English (switch to English)", exact=True)
    ).to_be_focused()
    box = page.get_by_role("textbox", name="Eich neges")
    before = await page.locator(".aic-from-bot .aic-text").count()
    await box.fill("someone recorded our video call")
    await box.press("Enter")
    said = await last_bot_text(page, before)
    # The choice sticks even when the person types English.
    assert "Ar ba ap neu wefan" in said
    await page.locator(".aic-choice", has_text="Byddai'n well gen i beidio â dweud").first.click()
    said = await last_bot_text(page, before + 1)
    assert "arian" in said
