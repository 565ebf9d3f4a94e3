"""The widget in a real browser, through the real bot/ and a real Rasa with the trained model.

Dialogue wording changes as the assistant grows, so these tests rely on what stays true: replies
arrive, buttons are real buttons that work, and the safety numbers are there when Rasa is not.
The widget is on a force's page of another site (force_site.py), as forces embed it, except
where the demo page bot/ serves itself is the subject. test_frame.py checks the frame's
isolation, quick exit and options on a stand-in Rasa.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path

import pytest
from playwright.async_api import Page, Route, expect

from tests.widget.conftest import ARTIFACTS, BEFORE_URL, EXIT_URL
from tests.widget.driver import STORAGE_KEYS, Widget, axe_violations, server_history

pytestmark = pytest.mark.e2e

SAFETY_NUMBERS = ("101", "999", "116 123")


@pytest.fixture
async def widget(page: Page, bot_server, force_site) -> Widget:
    await page.goto(force_site.page(bot_server.url, exit_url=EXIT_URL))
    return Widget(page)


async def test_the_demo_page_loads_and_the_widget_opens_with_a_greeting(page, bot_server):
    widget = Widget(page)
    await page.goto(bot_server.url)
    await expect(page).to_have_title(re.compile("demo", re.I))
    await expect(page.get_by_text("Demo page.")).to_be_visible()
    await expect(widget.page_exit).to_be_visible()
    await expect(widget.panel).to_be_hidden()
    await expect(widget.launcher).to_have_attribute("aria-expanded", "false")

    await widget.open()
    greeting = await widget.wait_for_greeting()
    assert greeting.strip()
    await expect(widget.minimise).to_have_attribute("aria-expanded", "true")
    await expect(widget.exit).to_be_visible()
    # Buttons are real <button>s with names, offered with the greeting.
    await expect(widget.choices.first).to_be_visible()
    assert await widget.choices.first.evaluate("b => b.tagName") == "BUTTON"

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "widget-open.png")
    await page.set_viewport_size({"width": 320, "height": 640})
    await page.screenshot(path=ARTIFACTS / "widget-open-320px.png")

    await widget.minimise.click()
    await expect(widget.panel).to_be_hidden()
    await expect(widget.launcher).to_be_focused()


def pick(titles: list[str]) -> str | None:
    """The answer a person safe, adult and unpaid would click; None when nothing fits."""
    if "I'm not sure" in titles and "Yes" in titles:  # "Are you safe right now?"
        return "Yes"
    for title in ("Instagram", "No, 18 or over", "No", "Next"):
        if title in titles:
            return title
    return None


async def test_a_triage_conversation_typed_and_clicked(widget: Widget, page):
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say("Someone recorded me on a video call and says they will share it")
    typed, clicked = 1, 0
    for _ in range(30):
        titles = [t.strip() for t in await widget.choices.all_inner_texts()]
        if "Elsewhere in the UK" in titles:
            await widget.say("Cardiff")
            typed += 1
            continue
        choice = pick(titles)
        if choice is None:
            break
        await widget.click(choice)
        clicked += 1
        # Old buttons go once one is used: only the latest question offers choices.
        assert await widget.frame.locator(".aic-buttons").count() <= 1
    else:
        pytest.fail("the conversation never reached the end of the advice")
    transcript = "\n".join(await widget.transcript())
    assert typed >= 2 and clicked >= 4, transcript
    # The triage ended in the police's advice for the place typed: 101 for South Wales Police.
    assert "101" in transcript, transcript
    assert "South Wales Police" in transcript, transcript
    # Pressed buttons appear as what the person chose, not as payloads.
    assert not any(t.startswith("/") for t in await widget.user_messages.all_inner_texts())
    for link in await widget.frame.locator(".aic-log a").all():
        assert await link.get_attribute("rel") == "noopener noreferrer"
        assert await link.get_attribute("target") == "_blank"
        assert re.match(r"https?://", await link.get_attribute("href") or "")


async def test_a_reload_keeps_the_conversation(widget: Widget, page):
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say("An email says my webcam was hacked")
    before = await widget.transcript()
    await page.reload()
    await expect(widget.panel).to_be_visible()
    await expect(widget.messages).to_have_count(len(before))
    assert await widget.transcript() == before
    # The latest question's buttons are back, and they still work.
    await expect(widget.choices.first).to_be_visible()
    await widget.click(await widget.choices.first.inner_text())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_the_conversation_survives_a_bot_restart_and_bot_being_away(
    start_bot, page, tmp_path: Path, force_site
):
    """bot/ stops mid-conversation: the widget says so, queues what is typed, shows the safety
    essentials after a while, and delivers the message once bot/ is back on the same address."""
    env = {"AIC_PORT": str(_free_port()), "AIC_DATA_DIR": str(tmp_path / "bot")}
    server = start_bot(**env)
    widget = Widget(page)
    await page.goto(force_site.page(server.url))
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say("Someone is blackmailing me with my pictures")
    before = await widget.transcript()
    bots = await widget.bot_messages.count()

    server.stop()
    await widget.input.fill("Are you still there?")
    await widget.input.press("Enter")
    await expect(widget.status).to_contain_text("Can't reach", timeout=10_000)
    await expect(widget.pending).to_have_count(1)
    # bot/ has been out of reach for a while: the safety essentials it gave at load are shown.
    await expect(widget.notices.first).to_be_visible(timeout=30_000)
    notice = await widget.notices.first.inner_text()
    assert all(number in notice for number in SAFETY_NUMBERS), notice

    start_bot(**env)
    await expect(widget.pending).to_have_count(0, timeout=30_000)
    await widget.wait_for_reply(bots)
    await page.reload()
    # Read back from the restarted bot/: what came before, the queued message and its reply
    # (the safety notice was the widget's own, not part of the conversation).
    await expect(widget.user_messages.last).to_have_text("Are you still there?")
    after = await widget.transcript()
    assert after[: len(before)] == before
    assert after[len(before)] == "user: Are you still there?"
    assert after[len(before) + 1].startswith("bot: ")


async def test_rasa_down_gives_the_safety_essentials(start_bot, page):
    server = start_bot(AIC_RASA_URL=f"http://127.0.0.1:{_free_port()}", AIC_RASA_TIMEOUT="2")
    widget = Widget(page)
    await page.goto(server.url)
    await widget.open()
    greeting = await widget.wait_for_greeting()
    assert all(number in greeting for number in SAFETY_NUMBERS), greeting
    reply = await widget.say("help me please")
    assert all(number in reply for number in SAFETY_NUMBERS), reply


async def _assert_no_trace(widget: Widget, page: Page, force_page: str, bot_url: str, session):
    # Replaced, not pushed: the neutral site is shown and Back skips the chat.
    await expect(page).to_have_url(EXIT_URL)
    await page.go_back()
    await expect(page).to_have_url(BEFORE_URL)
    assert await page.context.cookies() == []
    # Back on the force page in the same tab: nothing of the conversation is left, in the page
    # or in the frame's storage.
    await page.goto(force_page)
    await expect(widget.launcher).to_be_visible()
    storage = await widget.session_storage()
    assert not [key for key in STORAGE_KEYS if key in storage], storage
    assert await widget.local_storage() == {}
    assert await widget.page_session_storage() == {}
    assert await widget.page_local_storage() == {}
    assert await page.context.cookies() == []
    await expect(widget.panel).to_be_hidden()
    await expect(widget.messages).to_have_count(0)
    # The quick exit's beacon deleted the conversation on the server as well.
    for _ in range(20):
        if not await server_history(bot_url, session):
            break
        await asyncio.sleep(0.25)
    assert await server_history(bot_url, session) == []


@pytest.mark.parametrize("how", ["button", "escape"])
async def test_quick_exit_leaves_no_trace(page, bot_server, force_site, how):
    widget = Widget(page)
    force_page = force_site.page(bot_server.url, exit_url=EXIT_URL)
    await page.goto(BEFORE_URL)
    await page.goto(force_page)
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say("Someone is threatening to share my photos")
    session = await widget.session_id()
    assert await server_history(bot_server.url, session)
    if how == "button":
        await widget.exit.click()
    else:
        await widget.input.press("Escape")
        await expect(widget.frame.get_by_text("Press it 2 more times")).to_be_attached()
        await widget.input.press("Escape")
        await widget.input.press("Escape")
    await _assert_no_trace(widget, page, force_page, bot_server.url, session)


async def test_delete_my_conversation_removes_it_on_the_server(widget: Widget, page, bot_server):
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say("Someone is threatening to post a video of me")
    session = await widget.session_id()
    assert len(await server_history(bot_server.url, session)) >= 3

    await widget.frame.get_by_role("button", name="Delete my conversation").click()
    confirm = widget.frame.get_by_role("button", name="Yes, delete it")
    await expect(confirm).to_be_focused()
    await confirm.click()

    await expect(widget.notices).to_have_count(1)
    assert "deleted" in (await widget.notices.first.inner_text()).lower()
    await expect(widget.bot_messages).to_have_count(0)
    await expect(widget.user_messages).to_have_count(0)
    assert await server_history(bot_server.url, session) == []
    # A fresh session id from now on; the old one has nothing left to read back.
    assert (await widget.session_storage()).get("aic:session") != session
    await page.reload()
    await expect(widget.panel).to_be_visible()
    await expect(widget.messages).to_have_count(0)


async def test_a_message_typed_offline_is_sent_once_back_online(widget: Widget, page, bot_server):
    await widget.open()
    await widget.wait_for_greeting()
    bots_before = await widget.bot_messages.count()

    await page.context.set_offline(True)
    await widget.input.fill("I was contacted on Snapchat")
    await widget.input.press("Enter")
    await expect(widget.status).to_contain_text("offline")
    await expect(widget.pending).to_contain_text("Not sent yet")
    queued = json.loads((await widget.session_storage())["aic:outbox"])
    assert [item["text"] for item in queued] == ["I was contacted on Snapchat"]

    await page.context.set_offline(False)
    await widget.wait_for_reply(bots_before)
    await expect(widget.pending).to_have_count(0)
    await expect(widget.status).to_contain_text("Connected again")
    assert json.loads((await widget.session_storage())["aic:outbox"]) == []
    said = [m["text"] for m in await server_history(bot_server.url, await widget.session_id())]
    assert said.count("I was contacted on Snapchat") == 1


async def test_message_text_is_never_html_and_links_open_safely(widget: Widget, page):
    """Whatever a message holds is shown as text; only http(s) links become links. The reply
    is put in the channel's answer here, to show the browser side with content no domain has."""
    hostile = (
        '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script> '
        "see https://www.police.uk/advice. and javascript:alert(1) or www.childline.org.uk"
    )

    async def reply(route: Route) -> None:
        await route.fulfill(
            json={
                "replies": [
                    {"text": hostile, "buttons": [{"title": "<b>Yes</b>", "payload": "/affirm"}]}
                ]
            },
            headers={"Access-Control-Allow-Origin": "*"},
        )

    await widget.open()
    await widget.wait_for_greeting()
    await page.route("**/widget/api/message", reply)
    await widget.say('<img src=x onerror="window.__pwned=1">')
    assert await page.evaluate("window.__pwned") is None
    assert await (await widget.content_frame()).evaluate("window.__pwned") is None
    assert await widget.frame.locator(".aic-log img, .aic-log script, .aic-log b").count() == 0
    await expect(widget.user_messages.last).to_have_text('<img src=x onerror="window.__pwned=1">')
    await expect(widget.choices.first).to_have_text("<b>Yes</b>")
    links = widget.frame.locator(".aic-log a")
    await expect(links).to_have_count(2)
    assert await links.nth(0).get_attribute("href") == "https://www.police.uk/advice"
    assert await links.nth(1).get_attribute("href") == "https://www.childline.org.uk/"
    for i in range(2):
        assert await links.nth(i).get_attribute("rel") == "noopener noreferrer"
        assert await links.nth(i).get_attribute("target") == "_blank"


@pytest.mark.parametrize("width", [1280, 320])
async def test_axe_finds_no_wcag_21_aa_violations_in_the_open_widget(
    new_context, bot_server, width
):
    """On the demo page, and in the frame with the assistant's real replies."""
    context = await new_context(viewport={"width": width, "height": 720})
    page = await context.new_page()
    widget = Widget(page)
    await page.goto(bot_server.url)
    assert await axe_violations(page) == []
    await widget.open()
    await widget.wait_for_greeting()
    await widget.say("An email says my webcam was hacked")
    await widget.frame.get_by_role("button", name="Delete my conversation").click()
    assert await axe_violations(page) == []
    assert await axe_violations(await widget.content_frame()) == []


async def test_it_works_at_320px_and_at_200_percent_zoom(new_context, bot_server, force_site):
    # 200% zoom on a 1280x720 screen is a 640x360 CSS-pixel viewport.
    for width, height in ((320, 568), (640, 360)):
        context = await new_context(viewport={"width": width, "height": height})
        page = await context.new_page()
        widget = Widget(page)
        await page.goto(force_site.page(bot_server.url))
        await widget.open()
        await widget.wait_for_greeting()
        # No sideways scrolling, and everything needed to talk is on screen: on the page, and
        # inside the frame's own box (the frame scrolls nothing needed out of sight).
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        frame = await widget.panel.bounding_box()
        assert frame
        for control in (widget.input, widget.send_button, widget.exit, widget.minimise):
            box = await control.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
            assert box["y"] >= 0 and box["y"] + box["height"] <= height
        for control in (widget.input, widget.send_button, widget.exit):
            box = await control.bounding_box()
            assert box and frame["y"] <= box["y"]
            assert box["y"] + box["height"] <= frame["y"] + frame["height"]
        await widget.click(await widget.choices.first.inner_text())


async def test_it_is_keyboard_operable_and_respects_reduced_motion(
    new_context, bot_server, force_site
):
    context = await new_context(reduced_motion="reduce")
    page = await context.new_page()
    widget = Widget(page)
    await page.goto(force_site.page(bot_server.url))
    # Tab from the top of the page reaches the exit button, then the launcher.
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await widget.launcher.evaluate("b => b.getRootNode().activeElement === b"):
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    await page.keyboard.press("Enter")
    await expect(widget.input).to_be_focused()
    await widget.wait_for_greeting()
    await page.keyboard.type("Someone recorded me on webcam")
    before = await widget.bot_messages.count()
    await page.keyboard.press("Enter")
    await widget.wait_for_reply(before)
    # Focus shows: the focused choice gets an outline.
    await widget.choices.first.focus()
    outline = await widget.choices.first.evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline == "solid"
    before = await widget.bot_messages.count()
    await page.keyboard.press("Space")
    await widget.wait_for_reply(before)
    # Reduced motion: the typing dots do not move.
    animation = await widget.frame.locator(".aic-dot").first.evaluate(
        "d => getComputedStyle(d).animationName"
    )
    assert animation == "none"
    # New messages are announced politely through the log.
    await expect(widget.log).to_have_attribute("aria-live", "polite")
