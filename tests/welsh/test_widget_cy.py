"""The widget in Welsh, in a real browser: data-lang="cy", and the English/Cymraeg switch."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.widget.driver import REPLY_TIMEOUT_MS, Widget

pytestmark = pytest.mark.e2e


async def last_bot_text(widget: Widget, before: int) -> str:
    await expect(widget.bot_messages).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    await expect(widget.typing).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    return "\n".join(await widget.bot_messages.all_inner_texts())


async def test_a_welsh_page_opens_the_widget_in_welsh(page: Page, bot_server, force_site):
    widget = Widget(page)
    await page.goto(force_site.page(bot_server.url, lang="cy", force="north_wales"))
    await page.get_by_role("button", name="Gofyn yn Gyfrinachol").click()
    frame = widget.frame
    await expect(widget.panel).to_be_visible()
    await expect(widget.panel).to_have_attribute("title", "Gofyn yn Gyfrinachol")
    await expect(frame.get_by_role("main", name="Gofyn yn Gyfrinachol")).to_be_visible()
    await expect(frame.get_by_role("button", name="Anfon", exact=True)).to_be_visible()
    await expect(frame.get_by_text("Cyngor dienw gan Heddlu Gogledd Cymru")).to_be_visible()
    said = await last_bot_text(widget, 0)
    assert "Helo" in said
    # Welsh replies are marked as Welsh for screen readers.
    await expect(frame.locator(".aic-from-bot").first).to_have_attribute("lang", "cy")
    # The switch names the other language, in that language; its accessible name starts with
    # the word it shows (WCAG 2.5.3 Label in Name).
    switch = frame.get_by_role("button", name="English (switch to English)", exact=True)
    await expect(switch).to_have_attribute("lang", "en")

    box = frame.get_by_role("textbox", name="Eich neges")
    before = await widget.bot_messages.count()
    await box.fill("dw i eisiau marw")
    await box.press("Enter")
    said = await last_bot_text(widget, before)
    assert "999" in said and "116 123" in said and "0808 164 0123" in said


async def test_the_switch_turns_an_english_page_welsh(page: Page, bot_server, force_site):
    widget = Widget(page)
    await page.goto(force_site.page(bot_server.url))
    frame = widget.frame
    switch = frame.get_by_role("button", name="Cymraeg (newid i'r Gymraeg)", exact=True)
    await page.get_by_role("button", name="Ask in Confidence").click()
    await expect(switch).to_have_attribute("lang", "cy")
    said = await last_bot_text(widget, 0)
    assert "Hello" in said or "Hi" in said
    before = await widget.bot_messages.count()
    await switch.click()
    said = await last_bot_text(widget, before)
    assert "Iawn, bydda i'n ateb yn Gymraeg" in said
    await expect(frame.get_by_role("button", name="Anfon", exact=True)).to_be_visible()
    await expect(
        frame.get_by_role("button", name="English (switch to English)", exact=True)
    ).to_be_focused()
    # The page's launcher, drawn by the page's script, follows the frame's language.
    await expect(page.get_by_role("button", name="Lleihau'r sgwrs")).to_be_visible()
    box = frame.get_by_role("textbox", name="Eich neges")
    before = await widget.bot_messages.count()
    await box.fill("someone recorded our video call")
    await box.press("Enter")
    said = await last_bot_text(widget, before)
    # The choice sticks even when the person types English.
    assert "Ar ba ap neu wefan" in said
    await widget.choices.filter(has_text="Byddai'n well gen i beidio â dweud").first.click()
    said = await last_bot_text(widget, before + 1)
    assert "arian" in said
