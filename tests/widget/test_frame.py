"""The conversation in a frame of bot/'s own origin, on a force's page of another site.

The page (force_site.py, http://localhost:PORT) runs a spy first, as an analytics or session-
replay script would, under the Content-Security-Policy the README advises forces to use; bot/
(http://127.0.0.1:PORT) runs in this process on a stand-in Rasa (standin.py). What is checked is
the browser's side: what the page can reach, what crosses between page and frame, the quick exit
from either, focus moving between them, and the widget's options.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from playwright.async_api import Frame, Page, expect

from tests.widget.conftest import BEFORE_URL, EXIT_URL
from tests.widget.driver import STORAGE_KEYS, Widget, axe_violations, server_history
from tests.widget.force_site import READ_EVERYTHING
from tests.widget.standin import GREETING, standin_bot

SECRET = "my secret word is tangerine-4521"
QUEUED = "and the second one is kiwi-9034"
# Everything a message from the frame to the page may hold.
MESSAGE_FIELDS = {"aic", "type", "open", "lang"}


@pytest.fixture
async def widget(page: Page, standin, force_site) -> Widget:
    await page.goto(force_site.page(standin.url, exit_url=EXIT_URL))
    return Widget(page)


async def test_a_script_on_the_force_page_cannot_read_the_conversation(
    widget: Widget, page: Page, standin
):
    await widget.open()
    assert await widget.wait_for_greeting() == GREETING
    await widget.say(SECRET)
    await widget.click("Yes")
    # A message that cannot be sent yet waits in the outbox, in the frame's storage.
    await page.context.set_offline(True)
    await widget.input.fill(QUEUED)
    await widget.input.press("Enter")
    await expect(widget.pending).to_have_count(1)
    kept = await widget.session_storage()
    session = kept["aic:session"]
    assert QUEUED in kept["aic:outbox"]
    # The conversation is there, in the frame and on the server: the checks below are not
    # passing for want of anything to find.
    assert SECRET in "\n".join(await widget.transcript())
    assert SECRET in str(await server_history(standin.url, session))

    seen = await page.evaluate(READ_EVERYTHING)
    # The frame's document and storage are out of the page's reach.
    assert seen["contentDocument"] is None
    assert seen["frameDocument"] == "SecurityError"
    assert seen["frameStorage"] == "SecurityError"
    # Nothing of the conversation, or of the session id, is in the page's DOM (shadow root
    # included), its storage, its cookies, anything added to it, or any message it received.
    spy = seen["spy"]
    page_side = {
        "dom": seen["dom"],
        "sessionStorage": seen["sessionStorage"],
        "localStorage": seen["localStorage"],
        "cookie": seen["cookie"],
        "added": "\n".join(spy["added"]),
        "messages": json.dumps(spy["messages"]),
    }
    for secret in (SECRET, "tangerine", QUEUED, "kiwi", "You said", "You chose", session):
        assert not [where for where, text in page_side.items() if secret in text], secret
    assert seen["sessionStorage"] == "[]" and seen["localStorage"] == "[]"
    assert seen["cookie"] == ""
    # What the page did receive: from bot/'s origin, about opening and the language only.
    assert spy["messages"], "the page received no message from the frame"
    for message in spy["messages"]:
        assert message["origin"] == standin.url
        assert set(json.loads(message["data"])) <= MESSAGE_FIELDS, message
    # The README's Content-Security-Policy for forces is enough: nothing was refused.
    assert spy["violations"] == []
    await page.context.set_offline(False)
    await expect(widget.pending).to_have_count(0)


async def test_a_reload_reads_the_conversation_back_into_the_frame(widget: Widget, page: Page):
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say(SECRET)
    before = await widget.transcript()
    session = await widget.session_id()
    await page.reload()
    # Open again, as the person left it: the frame keeps that, the page keeps nothing.
    await expect(widget.panel).to_be_visible()
    await expect(widget.minimise).to_have_attribute("aria-expanded", "true")
    await expect(widget.messages).to_have_count(len(before))
    assert await widget.transcript() == before
    assert await widget.session_id() == session
    assert await widget.page_session_storage() == {}
    # The latest question's buttons are back, and they work.
    assert await widget.click("No") == "You chose No."


async def test_messages_from_other_windows_are_ignored(widget: Widget, page: Page):
    force_page = page.url
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say(SECRET)
    # An advert: a frame of another origin on the force's page, posting to the page what only
    # the widget's frame may say. (It cannot address the widget's frame itself: a frame in a
    # shadow root is not among the page's window.frames.)
    await page.evaluate(
        """() => {
            const advert = document.createElement("iframe");
            advert.setAttribute("sandbox", "allow-scripts");
            advert.srcdoc = "<p>An advert</p>";
            advert.name = "advert";
            document.body.append(advert);
            return new Promise((resolve) => advert.addEventListener("load", resolve));
        }"""
    )
    advert = await (await page.locator("iframe[name=advert]").element_handle()).content_frame()
    assert advert is not None
    await advert.evaluate(
        """() => {
            for (let i = 0; i < 3; i++) parent.postMessage({aic: "frame", type: "escape"}, "*");
            parent.postMessage({aic: "frame", type: "exit"}, "*");
        }"""
    )
    # The page's own scripts posting it to the page's window: not from the frame either.
    await page.evaluate("() => window.postMessage({aic: 'frame', type: 'exit'}, '*')")
    # Another window of the force's own site: the origin the frame talks to, but not the
    # frame's parent. It reaches into the page for the frame and tells it to forget and close.
    async with page.expect_popup() as opened:
        await page.evaluate("() => { window.open('/contact', 'other'); }")
    other = await opened.value
    await other.evaluate(
        """() => {
            const frame = opener.document.querySelector("[data-ask-in-confidence]")
                .shadowRoot.querySelector("iframe").contentWindow;
            frame.postMessage({aic: "host", type: "exit"}, "*");
            frame.postMessage({aic: "host", type: "close"}, "*");
        }"""
    )
    # And a script inside the frame itself (a browser extension's, say).
    await (await widget.content_frame()).evaluate(
        "() => window.postMessage({aic: 'host', type: 'exit'}, '*')"
    )
    # Nothing to wait on when nothing happens: time for any of them to have been acted on.
    await page.wait_for_timeout(500)
    assert page.url == force_page
    await expect(widget.panel).to_be_visible()
    assert "user: " + SECRET in await widget.transcript()
    assert (await widget.session_storage()).get("aic:session")
    # None of those escapes was counted: the next one, the person's own, is the first.
    await widget.input.press("Escape")
    await expect(widget.exit).to_contain_text("●○○")


async def _assert_no_trace(widget: Widget, page: Page, standin, force_page: str, session: str):
    # Replaced, not pushed: the neutral site is shown and Back skips the force's page.
    await expect(page).to_have_url(EXIT_URL)
    await page.go_back()
    await expect(page).to_have_url(BEFORE_URL)
    # Back on the force's page in the same tab: nothing of the conversation is left, in the
    # page or in the frame's storage (which outlives a page in the tab), and no cookie.
    await page.goto(force_page)
    await expect(widget.launcher).to_be_visible()
    await expect(widget.panel).to_be_hidden()
    kept = await widget.session_storage()
    assert not [key for key in STORAGE_KEYS if key in kept], kept
    assert await widget.local_storage() == {}
    assert await widget.page_session_storage() == {}
    assert await widget.page_local_storage() == {}
    assert await page.context.cookies() == []
    await expect(widget.messages).to_have_count(0)
    # The frame's beacon deleted the conversation on the server: from Rasa's tracker file too.
    for _ in range(40):
        if not await server_history(standin.url, session):
            break
        await page.wait_for_timeout(250)
    assert await server_history(standin.url, session) == []
    assert not [text for text in standin.rasa.said() if "tangerine" in text]


@pytest.mark.parametrize(
    "how",
    [
        "the frame's exit button",
        "Escape three times in the frame",
        "Escape three times on the page",
        "Escape once on the page, twice in the frame",
        "the page's exit button, with the chat closed",
        "Escape three times on the page, with the chat closed",
    ],
)
async def test_the_quick_exit_leaves_from_page_and_frame_and_leaves_no_trace(
    page: Page, standin, force_site, how: str
):
    widget = Widget(page)
    force_page = force_site.page(standin.url, exit_url=EXIT_URL)
    await page.goto(BEFORE_URL)
    await page.goto(force_page)
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say(SECRET)
    session = await widget.session_id()
    assert SECRET in str(await server_history(standin.url, session))
    # Focus on the page, outside the widget: its link.
    on_page = page.get_by_role("link", name="Contact us")

    if how == "the frame's exit button":
        await expect(widget.page_exit).to_be_hidden()
        await widget.exit.click()
    elif how == "Escape three times in the frame":
        await widget.input.press("Escape")
        # Counted on the page, shown and announced by the frame's own exit button.
        await expect(widget.frame.get_by_text("Press it 2 more times")).to_be_attached()
        await expect(widget.exit).to_contain_text("●○○")
        await widget.input.press("Escape")
        await expect(widget.frame.get_by_text("Press it once more")).to_be_attached()
        await widget.input.press("Escape")
    elif how == "Escape three times on the page":
        await on_page.focus()
        await page.keyboard.press("Escape")
        await expect(widget.frame.get_by_text("Press it 2 more times")).to_be_attached()
        await page.keyboard.press("Escape")
        await page.keyboard.press("Escape")
    elif how == "Escape once on the page, twice in the frame":
        await on_page.focus()
        await page.keyboard.press("Escape")
        await expect(widget.exit).to_contain_text("●○○")
        await widget.input.press("Escape")
        await expect(widget.exit).to_contain_text("●●○")
        await widget.input.press("Escape")
    else:
        await widget.minimise.click()
        await expect(widget.panel).to_be_hidden()
        if how.startswith("the page's exit button"):
            await widget.page_exit.click()
        else:
            await on_page.focus()
            await page.keyboard.press("Escape")
            await expect(page.get_by_text("Press it 2 more times")).to_be_attached()
            await expect(widget.page_exit).to_contain_text("●○○")
            await page.keyboard.press("Escape")
            await page.keyboard.press("Escape")
    await _assert_no_trace(widget, page, standin, force_page, session)


async def test_without_an_exit_url_the_quick_exit_goes_to_the_neutral_default(
    page: Page, standin, force_site
):
    widget = Widget(page)
    await page.goto(force_site.page(standin.url))
    await widget.open()
    await widget.wait_for_greeting()
    await widget.exit.click()
    await expect(page).to_have_url(EXIT_URL)


async def refused_by_the_browser(frame: Frame) -> None:
    """Wait until the browser shows its own error page in ``frame``.

    Polled rather than waited for as a navigation: the refusal may land before or after the
    wait begins, and a navigation wait that sees it fail raises instead of matching."""
    for _ in range(200):
        if frame.url.startswith("chrome-error:"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the frame still shows {frame.url!r}")


async def test_only_the_force_sites_named_may_frame_the_conversation(
    page: Page, force_site, tmp_path: Path
):
    widget = Widget(page)
    async with standin_bot(tmp_path / "named", widget_origins=(force_site.url,)) as bot:
        await page.goto(force_site.page(bot.url))
        await widget.open()
        assert await widget.wait_for_greeting() == GREETING
    async with standin_bot(
        tmp_path / "other", widget_origins=("https://www.gwent.police.uk",)
    ) as bot:
        await page.goto(force_site.page(bot.url))
        # The browser refuses bot/'s frame on this page: its document is the browser's error
        # page, and it never says it is ready, so the launcher opens an empty box at most.
        await refused_by_the_browser(await widget.content_frame())
        # Nothing else of bot/ may be framed by anyone: its desk, say.
        desk_url = f"{bot.url}/desk"
        async with page.expect_event(
            "requestfailed", predicate=lambda request: request.url == desk_url
        ) as failed:
            await page.evaluate(
                """(url) => {
                    const desk = document.createElement("iframe");
                    desk.name = "desk";
                    desk.src = url;
                    document.body.append(desk);
                }""",
                desk_url,
            )
        assert (await failed.value).failure == "net::ERR_BLOCKED_BY_RESPONSE"
        desk = await (await page.locator("iframe[name=desk]").element_handle()).content_frame()
        assert desk is not None
        await refused_by_the_browser(desk)


async def test_focus_moves_into_the_frame_and_back_and_tab_runs_through_both(
    widget: Widget, page: Page
):
    # From the top of the page, Tab reaches the exit button, then the launcher.
    names = []
    for _ in range(10):
        await page.keyboard.press("Tab")
        names.append(await page.evaluate(_FOCUSED_NAME))
        if names[-1] == "Ask in Confidence":
            break
    assert names[-2:] == ["Exit this page Or press Escape 3 times", "Ask in Confidence"], names
    await expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    await expect(widget.panel).to_have_attribute("title", "Ask in Confidence")
    await page.keyboard.press("Enter")
    await expect(widget.panel).to_be_visible()
    await expect(widget.input).to_be_focused()
    await widget.wait_for_greeting()
    # Tab goes through the frame's controls and out again to the launcher, now "Minimise".
    await widget.frame.get_by_role("button", name="Delete my conversation").focus()
    await page.keyboard.press("Tab")
    await expect(widget.minimise).to_be_focused()
    await expect(widget.minimise).to_have_attribute("aria-expanded", "true")
    await page.keyboard.press("Enter")
    await expect(widget.panel).to_be_hidden()
    await expect(widget.launcher).to_be_focused()
    # Opened again, focus is in the frame's message box again, the conversation as it was.
    await page.keyboard.press("Enter")
    await expect(widget.input).to_be_focused()
    await expect(widget.bot_messages).to_have_count(1)


_FOCUSED_NAME = """() => {
    let element = document.activeElement;
    while (element && element.shadowRoot && element.shadowRoot.activeElement) {
        element = element.shadowRoot.activeElement;
    }
    return element ? element.innerText.replace(/\\s+/g, " ").trim() : "";
}"""


async def test_welsh_left_and_a_light_colour_on_page_and_frame(page: Page, standin, force_site):
    widget = Widget(page)
    await page.goto(
        force_site.page(
            standin.url, lang="cy", force="north_wales", colour="#ffdd00", position="left"
        )
    )
    launcher = page.get_by_role("button", name="Gofyn yn Gyfrinachol")
    page_exit = page.get_by_role("button", name="Gadael y dudalen hon")
    # On the left (the exit button first, as on the right), in a colour darkened until white
    # text on it reaches 4.5:1.
    exit_box, launcher_box = await page_exit.bounding_box(), await launcher.bounding_box()
    assert exit_box and launcher_box and exit_box["x"] < 50 < launcher_box["x"] < 640
    background = await launcher.evaluate("b => getComputedStyle(b).backgroundColor")
    assert _contrast_with_white(background) >= 4.5, background
    await launcher.click()
    frame = widget.frame
    await expect(frame.get_by_role("textbox", name="Eich neges")).to_be_focused()
    await expect(widget.panel).to_have_attribute("title", "Gofyn yn Gyfrinachol")
    await expect(frame.locator("html")).to_have_attribute("lang", "cy")
    await expect(frame.get_by_text("Cyngor dienw gan Heddlu Gogledd Cymru")).to_be_visible()
    send = frame.get_by_role("button", name="Anfon", exact=True)
    assert (
        _contrast_with_white(await send.evaluate("b => getComputedStyle(b).backgroundColor")) >= 4.5
    )
    # The switch in the frame relabels the page's launcher too.
    await frame.get_by_role("button", name="English (switch to English)", exact=True).click()
    await expect(page.get_by_role("button", name="Minimise chat")).to_be_visible()
    await expect(widget.panel).to_have_attribute("title", "Ask in Confidence")
    await expect(frame.get_by_role("button", name="Send", exact=True)).to_be_visible()


def _contrast_with_white(css: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 1.05 / (luminance + 0.05)


async def test_data_open_opens_it_at_once_without_taking_focus(page: Page, standin, force_site):
    widget = Widget(page)
    await page.goto(force_site.page(standin.url, open="true"))
    await expect(widget.panel).to_be_visible()
    await widget.wait_for_greeting()
    await expect(widget.input).not_to_be_focused()
    # Closed by the person, it stays closed after a reload in this tab.
    await widget.minimise.click()
    await page.reload()
    await expect(widget.launcher).to_be_visible()
    await expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    await expect(widget.panel).to_be_hidden()


async def test_the_frame_opened_on_its_own_works_and_leaves_for_the_neutral_site(
    page: Page, standin
):
    await page.goto(BEFORE_URL)
    # An exit address in a link to the frame is not followed.
    await page.goto(f"{standin.url}/widget/frame?exit=https://elsewhere.example/")
    box = page.get_by_role("textbox", name="Your message")
    await expect(page.locator(".aic-from-bot .aic-text")).to_have_text(GREETING)
    await box.fill(SECRET)
    await box.press("Enter")
    await expect(page.locator(".aic-from-bot .aic-text").last).to_have_text(f"You said: {SECRET}")
    await box.press("Escape")
    await expect(page.get_by_text("Press it 2 more times")).to_be_attached()
    await box.press("Escape")
    await box.press("Escape")
    await expect(page).to_have_url(EXIT_URL)
    await page.go_back()
    await expect(page).to_have_url(BEFORE_URL)


@pytest.mark.parametrize("width", [1280, 320])
async def test_axe_finds_no_wcag_21_aa_violations_on_the_page_or_in_the_frame(
    new_context, standin, force_site, width
):
    context = await new_context(viewport={"width": width, "height": 720})
    page = await context.new_page()
    widget = Widget(page)
    await page.goto(force_site.page(standin.url))
    assert await axe_violations(page) == []
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say("Someone is threatening me")
    await widget.frame.get_by_role("button", name="Delete my conversation").click()
    assert await axe_violations(page) == []
    assert await axe_violations(await widget.content_frame()) == []
