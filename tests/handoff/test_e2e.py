"""The hand-off end to end: real Rasa (trained model, action server), bot/ as a subprocess, a
person on the widget (Chromium) or on Telegram (the local Bot API peer), and a 101 contact on
the desk in a real browser or through its HTTP API."""

from __future__ import annotations

import asyncio
import re
import secrets
import sqlite3
import subprocess
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from scripts.processes import BOT_PYTHON, ROOT, base_env, free_port
from tests.widget.conftest import AXE
from tests.widget.driver import Widget

pytestmark = pytest.mark.e2e

PASSWORD = "a long desk password"
ASK = "i want to talk to a person"
REFERENCE = re.compile(r"[A-HJKMNP-Z2-9]{3}-[A-HJKMNP-Z2-9]{3}")
TIMEOUT_MS = 30_000


def add_account(data_dir: Path, name: str, force: str, **settings: str) -> None:
    """A desk account, added as a force would: with the accounts command, here with the
    settings of the bot/ it is for (``settings``: AIC_REDIS_URL for replicas on Redis)."""
    subprocess.run(
        [
            str(BOT_PYTHON),
            "-m",
            "bot.handoff.accounts",
            "add",
            name,
            "--force",
            force,
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env=base_env(
            **{"AIC_DATA_DIR": str(data_dir), "AIC_PSEUDONYM_SECRET": "7d" * 20, **settings}
        ),
    )


@pytest.fixture
def handoff_bot(start_bot, tmp_path):
    """bot/ with desk accounts: two for the national queue (no area given), one for Gwent."""

    def start(**env: str):
        data_dir = Path(
            env.setdefault("AIC_DATA_DIR", str(tmp_path / f"bot-{secrets.token_hex(3)}"))
        )
        if not (data_dir / "handoff.db").exists():
            add_account(data_dir, "alice", "national")
            add_account(data_dir, "bob", "national")
            add_account(data_dir, "gwen", "gwent")
        return start_bot(**env)

    return start


class DeskApi:
    """A handler's desk through its HTTP API, with its own cookies."""

    def __init__(self, base: str, name: str) -> None:
        self.base, self.name, self.csrf = base, name, ""
        # force_close: no kept-alive connection to a bot/ that a test restarts.
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(force_close=True),
        )

    async def login(self, password: str = PASSWORD) -> int:
        async with self.http.post(
            f"{self.base}/desk/api/login", json={"username": self.name, "password": password}
        ) as r:
            if r.status == 200:
                self.csrf = (await r.json())["csrf"]
            return r.status

    async def get(self, path: str):
        async with self.http.get(f"{self.base}/desk/api/{path}") as r:
            return r.status, await r.json()

    async def post(self, path: str, body: dict | None = None):
        async with self.http.post(
            f"{self.base}/desk/api/{path}", json=body or {}, headers={"X-CSRF-Token": self.csrf}
        ) as r:
            return r.status, await r.json()

    async def wait_for_case(self, timeout: float = 30) -> dict:
        for _ in range(int(timeout * 5)):
            _, queue = await self.get("queue")
            if queue["cases"]:
                return queue["cases"][0]
            await asyncio.sleep(0.2)
        raise TimeoutError("no case in the queue")

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def desks():
    opened: list[DeskApi] = []

    def make(base: str, name: str) -> DeskApi:
        opened.append(DeskApi(base, name))
        return opened[-1]

    yield make
    for desk in opened:
        await desk.close()


async def desk_login(page: Page, base: str, name: str = "alice", password: str = PASSWORD):
    await page.goto(f"{base}/desk")
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def axe_violations(page: Page) -> list[dict]:
    await page.evaluate(AXE.read_text())
    result = await page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        })"""
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


# --- Widget and desk, both in the browser -------------------------------------------------------


async def test_a_widget_user_hands_off_and_a_handler_chats_then_hands_back(
    handoff_bot, new_context, desks
):
    server = handoff_bot()
    person_page = await (await new_context()).new_page()
    widget = Widget(person_page)
    await person_page.goto(server.url)
    await widget.open()
    await widget.wait_for_greeting()
    offer = await widget.say(ASK)
    assert "Only this summary goes with you" in offer
    await widget.choices.filter(has_text="Yes, pass me on").click()
    await expect(widget.bot_messages.last).to_contain_text("you're next", timeout=TIMEOUT_MS)

    # A handler of another force sees an empty queue.
    other = desks(server.url, "gwen")
    assert await other.login() == 200
    assert (await other.get("queue"))[1]["cases"] == []

    desk_page = await (await new_context()).new_page()
    await desk_login(desk_page, server.url, "alice", "not the password")
    await expect(desk_page.get_by_role("alert")).to_contain_text("not right")
    await desk_login(desk_page, server.url)
    open_button = desk_page.get_by_role("button", name=re.compile(r"^Open [A-Z2-9]{3}-"))
    await expect(open_button).to_be_visible(timeout=TIMEOUT_MS)
    reference = (await open_button.inner_text()).removeprefix("Open ")
    assert (await other.get(f"cases/{reference}"))[0] == 404
    await open_button.click()
    await expect(desk_page.locator("#case-summary")).to_contain_text("What happened")
    await desk_page.get_by_role("button", name="Claim this case").click()
    await expect(widget.bot_messages.last).to_contain_text(
        "has joined the chat", timeout=TIMEOUT_MS
    )

    await desk_page.get_by_label("Your reply").fill("Hello, I'm Sam from the 101 team.")
    await desk_page.get_by_role("button", name="Send").click()
    person = widget.frame.locator(".aic-from-person")
    await expect(person).to_contain_text("Hello, I'm Sam from the 101 team.", timeout=TIMEOUT_MS)
    await expect(person.locator("strong")).to_have_text("Person at your local police:")

    # The desk, with a live case open, meets WCAG 2.1 AA as far as axe-core can tell.
    assert await axe_violations(desk_page) == []

    await widget.input.fill("Thank you, what should I do?")
    await widget.input.press("Enter")
    # Arrives on the desk without a reload (WebSocket).
    await expect(desk_page.locator(".msg.user").last).to_have_text(
        re.compile("Thank you, what should I do"), timeout=TIMEOUT_MS
    )
    await desk_page.get_by_label("Outcome").select_option("advice given")
    await desk_page.get_by_role("button", name="End the hand-off").click()
    await expect(widget.bot_messages.last).to_contain_text(
        "back with the assistant", timeout=TIMEOUT_MS
    )
    # The assistant answers again.
    before = await widget.bot_messages.count()
    await widget.input.fill("will they really post it?")
    await widget.input.press("Enter")
    answer = await widget.wait_for_reply(before)
    assert "Person at" not in answer and answer


# --- Telegram and the desk API ------------------------------------------------------------------


async def telegram_bot(handoff_bot, telegram_peer, token: str):
    """bot/ with its Telegram door on the local Bot API peer (started in a thread: the peer's
    proxy runs in this event loop and must keep answering meanwhile)."""
    return await asyncio.to_thread(
        handoff_bot,
        AIC_TELEGRAM_TOKEN=token,
        AIC_TELEGRAM_API_URL=telegram_peer.api_url,
        AIC_TELEGRAM_MODE="polling",
    )


async def test_a_telegram_user_hands_off_and_gets_the_handlers_replies(
    handoff_bot, telegram_peer, desks
):
    token = telegram_peer.new_token()
    server = await telegram_bot(handoff_bot, telegram_peer, token)
    user = telegram_peer.user(token, 7_700_500_001, first_name="Jamie", username="jamie_private")
    await user.say(ASK)
    [offer] = [m for m in await user.turn() if m.keyboard]
    assert "Only this summary goes with you" in offer.text
    await user.press(offer, "Yes, pass me on")
    waiting = await user.turn()
    assert any("you're next" in m.text for m in waiting)

    desk = desks(server.url, "bob")
    assert await desk.login() == 200
    brief = await desk.wait_for_case()
    reference = brief["reference"]
    status, _ = await desk.post(f"cases/{reference}/claim")
    assert status == 200
    assert any("has joined the chat" in m.text for m in await user.turn())

    await user.say("hello, is this the police?")
    await asyncio.sleep(1)
    _, case = await desk.get(f"cases/{reference}")
    assert case["messages"][-1]["text"] == "hello, is this the police?"
    # Never the Telegram id, name or username.
    for secret in ("7700500001", "Jamie", "jamie_private"):
        assert secret not in str(case)

    await desk.post(f"cases/{reference}/messages", {"text": "Yes. You did the right thing."})
    [reply] = await user.turn()
    assert reply.text == "Person at your local police:\nYes. You did the right thing."
    await desk.post(f"cases/{reference}/close", {"outcome": "advice given"})
    assert any("back with the assistant" in m.text for m in await user.turn())
    await user.say("will they really post it?")
    answer = await user.turn()
    assert answer and "Person at" not in answer[0].text
    # The anonymous counts of the national queue followed the case, and nothing else of it
    # (written a couple of seconds after they are counted).
    for _ in range(60):
        with sqlite3.connect(server.data_dir / "statistics.db") as db:
            counted = db.execute(
                "SELECT measure, value, SUM(count) FROM daily_counts WHERE force='national'"
                " AND door='telegram' AND measure IN ('handoff', 'wait', 'outcome')"
                " GROUP BY measure, value"
            ).fetchall()
        db.close()
        if ("outcome", "advice given", 1) in counted:
            break
        await asyncio.sleep(0.25)
    assert sorted(counted) == [
        ("handoff", "claimed", 1),
        ("handoff", "queued", 1),
        ("handoff", "requested", 1),
        ("outcome", "advice given", 1),
        ("wait", "under 1 minute", 1),
    ]


# --- Out of hours, restart, concurrency ---------------------------------------------------------


async def widget_api(base: str, session: str, **body) -> dict:
    async with aiohttp.ClientSession() as http:
        payload = {"session": session, "id": secrets.token_hex(16), **body}
        async with http.post(f"{base}/widget/api/message", json=payload) as response:
            return await response.json()


async def feed(base: str, session: str, after: int | None = None) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/widget/api/handoff", json={"session": session, "after": after}
        ) as response:
            return await response.json()


async def hand_off(base: str, session: str) -> list[dict]:
    offer = (await widget_api(base, session, text=ASK))["replies"]
    [yes] = [b for r in offer for b in r["buttons"] if b["title"] == "Yes, pass me on"]
    return (await widget_api(base, session, payload=yes["payload"]))["replies"]


async def test_out_of_hours_gives_a_reference_the_desk_can_open(handoff_bot, desks):
    server = handoff_bot(AIC_HANDOFF_HOURS="national=closed")
    session = secrets.token_hex(16)
    [reply] = await hand_off(server.url, session)
    # The national queue: 101 reaches the local force, which may not use this service.
    assert "Tell the call handler what happened" in reply["text"]
    assert "if your local force uses this service" in reply["text"] and "101" in reply["text"]
    reference = REFERENCE.search(reply["text"]).group(0)
    # Back with the assistant straight away.
    answer = (await widget_api(server.url, session, text="will they really post it?"))["replies"]
    assert answer and "queue" not in answer[0]["text"]
    desk, other = desks(server.url, "alice"), desks(server.url, "gwen")
    await desk.login(), await other.login()
    status, case = await desk.get(f"cases/{reference.lower()}")
    assert status == 200 and case["state"] == "referred" and "What happened" in case["summary_text"]
    assert (await other.get(f"cases/{reference}"))[0] == 404


async def test_a_restart_mid_hand_off_loses_no_message(handoff_bot, desks, tmp_path):
    env = {"AIC_PORT": str(free_port()), "AIC_DATA_DIR": str(tmp_path / "restart")}
    server = handoff_bot(**env)
    session = secrets.token_hex(16)
    await hand_off(server.url, session)
    desk = desks(server.url, "alice")
    await desk.login()
    reference = (await desk.wait_for_case())["reference"]
    assert (await desk.post(f"cases/{reference}/claim"))[0] == 200
    assert (await widget_api(server.url, session, text="before the restart"))["replies"] == []

    server.stop()
    server = handoff_bot(**env)
    # The desk session, the case and its messages survived; both directions still work.
    _, case = await desk.get(f"cases/{reference}")
    assert [m["text"] for m in case["messages"] if m["from"] == "user"] == ["before the restart"]
    assert (await widget_api(server.url, session, text="after the restart"))["replies"] == []
    await desk.post(f"cases/{reference}/messages", {"text": "still here"})
    data = await feed(server.url, session)
    texts = [(m["from"], m["text"]) for m in data["messages"]]
    assert ("user", "before the restart") in texts and ("user", "after the restart") in texts
    assert ("person", "still here") in texts


async def test_two_handlers_claim_at_once_and_exactly_one_wins(handoff_bot, desks):
    server = handoff_bot()
    await hand_off(server.url, secrets.token_hex(16))
    alice, bob = desks(server.url, "alice"), desks(server.url, "bob")
    await alice.login(), await bob.login()
    reference = (await alice.wait_for_case())["reference"]
    results = await asyncio.gather(
        alice.post(f"cases/{reference}/claim"), bob.post(f"cases/{reference}/claim")
    )
    assert sorted(status for status, _ in results) == [200, 409]


async def test_a_wrong_password_and_an_expired_session_are_refused(handoff_bot, desks, new_context):
    server = handoff_bot(AIC_DESK_SESSION_MINUTES="0.15")  # 9 seconds
    desk = desks(server.url, "alice")
    assert await desk.login("wrong password") == 401
    assert await desk.login() == 200
    assert (await desk.get("queue"))[0] == 200
    page = await (await new_context()).new_page()
    await desk_login(page, server.url)
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    await asyncio.sleep(9.5)
    assert (await desk.get("queue"))[0] == 401
    # The open desk page notices and asks to log in again.
    await expect(page.get_by_label("Password")).to_be_visible(timeout=TIMEOUT_MS)


# --- Places in the queue, commands during a hand-off, Welsh -------------------------------------


def titles(message) -> list[str]:
    return [title for title, _ in message.keyboard]


async def telegram_hand_off(user, offer_title: str = "Yes, pass me on", ask: str = ASK) -> list:
    await user.say(ask)
    [offer] = [m for m in await user.turn() if m.keyboard]
    await user.press(offer, offer_title)
    return await user.turn()


async def test_telegram_places_help_and_restart_during_a_hand_off(
    handoff_bot, telegram_peer, desks
):
    token = telegram_peer.new_token()
    server = await telegram_bot(handoff_bot, telegram_peer, token)
    first = telegram_peer.user(token, 7_700_600_001, first_name="Robin", username="robin_private")
    second = telegram_peer.user(token, 7_700_600_002, first_name="Sky", username="sky_private")
    assert any("you're next" in m.text for m in await telegram_hand_off(first))
    assert any("You're number 2 in the queue" in m.text for m in await telegram_hand_off(second))

    # /help: how to leave, how to delete, the safety numbers; the case stays as it was.
    await second.say("/help")
    [helped] = await second.turn()
    assert 'press "Leave and go back to the assistant"' in helped.text and "/forget" in helped.text
    assert all(number in helped.text for number in ("999", "101", "116 123"))
    assert titles(helped) == ["Leave and go back to the assistant"]

    desk = desks(server.url, "alice")
    await desk.login()
    reference = (await desk.wait_for_case())["reference"]
    assert (await desk.post(f"cases/{reference}/claim"))[0] == 200
    assert any("has joined the chat" in m.text for m in await first.turn())
    # The one behind is told their new place, once, with the way out under it.
    [moved] = await second.turn()
    assert moved.text == (
        "You're next in the queue: a person at your local police should join this chat soon."
    )
    assert titles(moved) == ["Leave and go back to the assistant"]
    assert await second.silence(3) == []
    _, queue = await desk.get("queue")
    assert [c["state"] for c in queue["cases"]] == ["waiting", "live"] or [
        c["state"] for c in queue["cases"]
    ] == ["live", "waiting"]

    # /restart and /start in a live hand-off ask first; "no" keeps the chat as it is.
    await first.say("/restart")
    [confirm] = await first.turn()
    assert "Do you want to leave and start again" in confirm.text
    assert titles(confirm) == ["Yes, leave and start again", "No, stay connected"]
    await first.press(confirm, "No, stay connected")
    [stayed] = await first.turn()
    assert "still connected" in stayed.text
    await first.say("a message for the person")
    assert await first.silence(2) == []
    _, case = await desk.get(f"cases/{reference}")
    assert case["state"] == "live" and case["messages"][-1]["text"] == "a message for the person"

    await first.say("/start")
    [confirm] = [m for m in await first.turn() if m.keyboard]
    await first.press(confirm, "Yes, leave and start again")
    after = await first.turn()
    # The assistant starts again (on Telegram in the same message: one per keyboard).
    paragraphs = "\n\n".join(m.text for m in after).split("\n\n")
    assert paragraphs[0].startswith("You've left the queue")
    assert len(paragraphs) >= 2 and all("Person at" not in p for p in paragraphs[1:])
    _, case = await desk.get(f"cases/{reference}")
    assert case["state"] == "left"
    for secret in ("7700600001", "7700600002", "Robin", "robin_private", "Sky", "sky_private"):
        assert secret not in str(case) and secret not in server.log_text()


async def test_a_welsh_telegram_user_gets_the_hand_off_in_welsh(handoff_bot, telegram_peer, desks):
    token = telegram_peer.new_token()
    server = await telegram_bot(handoff_bot, telegram_peer, token)
    user = telegram_peer.user(token, 7_700_600_003, first_name="Elin", username="elin_private")
    await user.say("/cymraeg")
    await user.turn()
    waiting = await telegram_hand_off(user, "Ydw, trosglwyddwch fi", "dw i eisiau siarad â pherson")
    [queued] = [m for m in waiting if m.keyboard]
    assert queued.text.startswith("Diolch. Rydw i wedi gofyn i berson yn heddlu eich ardal")
    assert titles(queued) == ["Gadael a mynd yn ôl at y cynorthwyydd"]

    desk = desks(server.url, "bob")
    await desk.login()
    reference = (await desk.wait_for_case())["reference"]
    await desk.post(f"cases/{reference}/claim")
    [joined] = await user.turn()
    assert joined.text.startswith("Mae person yn heddlu eich ardal wedi ymuno â'r sgwrs")
    await desk.post(f"cases/{reference}/messages", {"text": "Hello, I'm Sam."})
    [said] = await user.turn()
    assert said.text == "Person yn heddlu eich ardal:\nHello, I'm Sam."
    # The handler reads bot/'s notices, the summary and the reference in English.
    _, case = await desk.get(f"cases/{reference}")
    notices = [m["text"] for m in case["messages"] if m["from"] == "notice"]
    assert notices == [
        "A person at your local police has joined the chat and can see the summary. Messages"
        " from them are marked as from a person. You stay anonymous unless you choose to say"
        " who you are."
    ]
    assert "What happened" in case["summary_text"]
    await desk.post(f"cases/{reference}/close", {"outcome": "advice given"})
    [ended] = await user.turn()
    assert ended.text.startswith("Mae'r person yn heddlu eich ardal wedi gadael y sgwrs")


async def test_a_welsh_widget_user_waits_is_told_their_place_and_restarts_in_welsh(
    handoff_bot, new_context, desks
):
    server = handoff_bot()
    ahead = secrets.token_hex(16)
    await hand_off(server.url, ahead)

    page = await (await new_context()).new_page()
    await page.goto(server.url)
    await page.get_by_role("button", name="Ask in Confidence").click()
    frame = Widget(page).frame
    bot_texts = frame.locator(".aic-from-bot .aic-text")
    await expect(bot_texts.first).to_be_visible(timeout=TIMEOUT_MS)
    await frame.get_by_role("button", name="Cymraeg (newid i'r Gymraeg)", exact=True).click()
    await expect(bot_texts.last).to_contain_text("ateb yn Gymraeg", timeout=TIMEOUT_MS)
    box = frame.get_by_role("textbox", name="Eich neges")
    await box.fill("dw i eisiau siarad â pherson")
    await box.press("Enter")
    await frame.locator(".aic-choice").filter(has_text="Ydw, trosglwyddwch fi").click()
    await expect(bot_texts.last).to_contain_text("Rydych chi'n rhif 2 yn y ciw", timeout=TIMEOUT_MS)
    leave = frame.get_by_role("button", name="Gadael a mynd yn ôl at y cynorthwyydd")

    # The one ahead is taken: the page is told it is next, in Welsh, without asking.
    desk = desks(server.url, "alice")
    await desk.login()
    reference = (await desk.wait_for_case())["reference"]
    assert (await desk.post(f"cases/{reference}/claim"))[0] == 200
    await expect(bot_texts.last).to_have_text(
        "Chi sydd nesaf yn y ciw: dylai person yn heddlu eich ardal ymuno â'r sgwrs hon cyn hir.",
        timeout=TIMEOUT_MS,
    )
    await expect(leave.first).to_be_visible()

    # "Start again" while waiting asks first, in Welsh; yes leaves the queue, then restarts.
    await frame.get_by_role("button", name="Dechrau eto").click()
    yes = frame.locator(".aic-choice").filter(has_text="Ydw, gadael a dechrau eto")
    await expect(yes).to_be_visible(timeout=TIMEOUT_MS)
    await expect(frame.locator(".aic-choice").filter(has_text="Nac ydw, aros yma")).to_be_visible()
    await yes.click()
    left = frame.get_by_text("Rydych chi wedi gadael y ciw")
    await expect(left).to_be_visible(timeout=TIMEOUT_MS)
    await asyncio.sleep(3)  # the page asks for hand-off messages every 2 s: none repeats it
    await expect(left).to_have_count(1)
    _, queue = await desk.get("queue")
    assert [c["state"] for c in queue["cases"]] == ["live"]  # only the claimed one is left
