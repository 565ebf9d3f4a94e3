"""Telegram end to end: a person on a local Bot API peer, bot/ as a subprocess, the real Rasa.

The dialogue itself is tested elsewhere; here the assertions are about the door: what arrives,
that buttons become keyboards and presses work, that nothing identifying reaches Rasa.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import sqlite3
import time

import pytest
import yaml

from bot.pseudonym import pseudonym
from scripts.processes import ROOT, free_port
from tests.fixtures.telegram_peer import BOT_USER_ID, start_telegram_bot

pytestmark = pytest.mark.e2e

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
_chat_ids = itertools.count(7_700_000_001)


def texts_of(name: str) -> set[str]:
    return {variation["text"] for variation in DOMAIN[name]}


@pytest.fixture(scope="module")
async def polling_bot(bot_launcher, telegram_peer):
    server = await start_telegram_bot(bot_launcher, telegram_peer, "polling")
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture(scope="module")
async def webhook_bot(bot_launcher, telegram_peer):
    server = await start_telegram_bot(bot_launcher, telegram_peer, "webhook")
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture(params=["polling", "webhook"])
def telegram_bot(request):
    return request.getfixturevalue(f"{request.param}_bot")


@pytest.fixture
def user(telegram_bot, telegram_peer):
    return telegram_peer.user(telegram_bot.env["AIC_TELEGRAM_TOKEN"], next(_chat_ids))


def sender_id(bot, chat_id: int) -> str:
    return pseudonym(bot.env["AIC_PSEUDONYM_SECRET"].encode(), "telegram", chat_id)


def tracker_rows(rasa_stack, sender: str) -> list[tuple]:
    with sqlite3.connect(rasa_stack.tracker_db) as db:
        rows = db.execute("SELECT * FROM events WHERE sender_id=?", (sender,)).fetchall()
    db.close()
    return rows


async def test_start_greets(user):
    await user.say("/start")
    replies = await user.turn()
    assert replies and all(reply.text for reply in replies)
    assert not any(reply.text in texts_of("utter_frontdoor_unavailable") for reply in replies)


def is_safety_message(text: str) -> bool:
    """A message that is, or begins with, the safety message (the door sends a turn's replies
    as one message per keyboard, so what follows it in that turn shares the message)."""
    return any(text.startswith(safety) for safety in texts_of("utter_frontdoor_unavailable"))


def keyboards(replies):
    return [reply for reply in replies if reply.keyboard]


async def test_help_restart_and_forget(user, telegram_bot, rasa_stack):
    await user.say("/help")
    (help_reply, *_) = await user.turn()
    assert help_reply.text and not is_safety_message(help_reply.text)

    await user.say("/restart")
    replies = await user.turn()
    assert replies and not any(is_safety_message(r.text) for r in replies)

    me = sender_id(telegram_bot, user.chat_id)
    assert tracker_rows(rasa_stack, me)
    await user.say("/forget")
    replies = await user.turn()
    assert [r.text for r in replies][-1] in texts_of("utter_frontdoor_forgotten")
    assert tracker_rows(rasa_stack, me) == []
    with sqlite3.connect(telegram_bot.data_dir / "bot.db") as db:
        assert db.execute("SELECT * FROM people WHERE pseudonym=?", (me,)).fetchall() == []
    db.close()


async def test_a_triage_conversation_typed_and_tapped(
    user, telegram_bot, telegram_peer, rasa_stack
):
    token = telegram_bot.env["AIC_TELEGRAM_TOKEN"]
    proxy = telegram_peer.proxy
    await user.say("/start")
    replies = await user.turn()
    await user.say("Someone is threatening to send my intimate pictures to my family unless I pay")
    replies = await user.turn()
    pressed: list[str] = []
    for _ in range(14):
        assert replies and not any(is_safety_message(r.text) for r in replies)
        with_keyboard = keyboards(replies)
        if with_keyboard:
            message = with_keyboard[-1]
            title, data = message.keyboard[0]
            assert len(data.encode()) <= 64  # Telegram's callback_data limit
            answered = len(proxy.calls_of("answerCallbackQuery", token))
            await user.press(message, title)
            replies = await user.turn()
            pressed.append(title)
            # The press was answered and its keyboard marked as used.
            assert len(proxy.calls_of("answerCallbackQuery", token)) == answered + 1
            stored = await user.stored_message(message.message_id)
            used = stored["reply_markup"]["inline_keyboard"]
            assert [[b["text"] for b in row] for row in used] == [[f"✓ {title}"]]
        else:
            await user.say("I'd rather not say")
            replies = await user.turn()
    assert len(pressed) >= 3, pressed
    assert all(call.params.get("chat_id") for call in proxy.calls_of("sendMessage", token))
    # What the tracker shows for a press is the button's title, not its payload.
    me = sender_id(telegram_bot, user.chat_id)
    with sqlite3.connect(rasa_stack.tracker_db) as db:
        query = "SELECT data FROM events WHERE sender_id=? AND type_name='user'"
        said = [json.loads(row[0]) for row in db.execute(query, (me,))]
    db.close()
    shown = [(event.get("metadata") or {}).get("display_text") for event in said]
    assert pressed[0] in shown


async def test_an_old_button_pressed_later_counts_as_its_words(user):
    await user.say("/start")
    await user.turn()
    await user.say("Someone says they hacked my webcam and want money")
    replies = await user.turn()
    old = keyboards(replies)
    assert old, "the dialogue offered no buttons after a report"
    await user.say("I'd rather not say")
    await user.turn()
    title = old[-1].keyboard[-1][0]
    await user.press(old[-1], title)
    replies = await user.turn()
    assert replies and not any(is_safety_message(r.text) for r in replies)


async def test_a_photo_is_not_taken_and_is_kept_out_of_rasa(user, telegram_bot, rasa_stack):
    photo = [{"file_id": "AgAD-photo", "file_unique_id": "u1", "width": 90, "height": 90}]
    await user.send(photo=photo, caption="this is them")
    replies = await user.turn()
    assert [r.text for r in replies] and replies[0].text in texts_of("utter_frontdoor_no_media")
    assert tracker_rows(rasa_stack, sender_id(telegram_bot, user.chat_id)) == []


@pytest.mark.parametrize(
    ("fields", "response"),
    [
        ({"location": {"latitude": 51.5, "longitude": -0.12}}, "utter_frontdoor_no_location"),
        (
            {"contact": {"phone_number": "+447700900123", "first_name": "Sam"}},
            "utter_frontdoor_no_location",
        ),
        (
            {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "utter_frontdoor_unsupported",
        ),
        (
            {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
            "utter_frontdoor_unsupported",
        ),
        ({"document": {"file_id": "d", "file_unique_id": "d"}}, "utter_frontdoor_no_media"),
    ],
)
async def test_other_kinds_of_message_get_a_kind_answer(user, fields, response):
    await user.send(**fields)
    replies = await user.turn()
    assert [r.text for r in replies][0] in texts_of(response)


async def test_an_edited_message_is_ignored_and_the_chat_goes_on(user, telegram_bot, telegram_peer):
    token = telegram_bot.env["AIC_TELEGRAM_TOKEN"]
    edited = user.message(message_id=1, text="edited words", edit_date=int(time.time()))
    del edited["botToken"]
    await telegram_peer.proxy.deliver(token, {"edited_message": edited})
    assert await user.silence(2.0) == []
    await user.say("/help")
    assert await user.turn()


async def test_channel_posts_and_member_updates_are_ignored(user, telegram_bot, telegram_peer):
    token = telegram_bot.env["AIC_TELEGRAM_TOKEN"]
    now = int(time.time())
    channel = {"id": -1001234, "type": "channel", "title": "A channel"}
    await telegram_peer.proxy.deliver(
        token, {"channel_post": {"message_id": 5, "date": now, "chat": channel, "text": "hi"}}
    )
    member = {
        "user": {"id": BOT_USER_ID, "is_bot": True, "first_name": "Bot"},
        "status": "kicked",
        "until_date": 0,
    }
    left = {"user": member["user"], "status": "member"}
    await telegram_peer.proxy.deliver(
        token,
        {
            "my_chat_member": {
                "chat": user._chat(),
                "from": user._sender(),
                "date": now,
                "old_chat_member": left,
                "new_chat_member": member,
            }
        },
    )
    assert await user.silence(2.0) == []
    await user.say("/help")
    assert await user.turn()


async def test_a_group_chat_is_told_the_bot_only_talks_privately(
    telegram_bot, telegram_peer, rasa_stack
):
    token = telegram_bot.env["AIC_TELEGRAM_TOKEN"]
    group = telegram_peer.user(token, next(_chat_ids), chat_type="group", chat_id=-next(_chat_ids))
    await group.say("/start")
    replies = await group.turn()
    assert [r.text for r in replies] and replies[0].text in texts_of("utter_frontdoor_group_chat")
    await group.say("just chatting among ourselves")
    assert await group.silence(2.0) == []
    assert tracker_rows(rasa_stack, sender_id(telegram_bot, group.chat_id)) == []


async def test_flood_control_is_honoured_without_losing_a_message(user, telegram_peer):
    proxy, token = telegram_peer.proxy, user.token
    proxy.throttle(token, "sendMessage", 1)
    await user.say("/help")
    replies = await user.turn()
    assert replies
    sends = proxy.calls_of("sendMessage", token)
    throttled = [i for i, call in enumerate(sends) if call.throttled]
    assert throttled, "the 429 was not met"
    first = sends[throttled[-1]]
    retry = sends[throttled[-1] + 1]
    assert not retry.throttled
    assert (retry.params["text"], retry.params["chat_id"]) == (
        first.params["text"],
        first.params["chat_id"],
    )
    assert replies[0].text == first.params["text"]


async def test_commands_are_offered_and_their_failure_does_not_stop_the_bot(
    telegram_bot, telegram_peer
):
    token = telegram_bot.env["AIC_TELEGRAM_TOKEN"]
    calls = [
        call
        for call in telegram_peer.proxy.calls_of("setMyCommands", token)
        if not call.params.get("language_code")  # the default list, for every language
    ]
    assert calls, "setMyCommands was never called"
    commands = calls[-1].params["commands"]
    assert [c["command"] for c in commands][:4] == ["start", "help", "restart", "forget"]
    assert commands[0]["description"] in texts_of("utter_frontdoor_command_start")
    # The emulator refuses setMyCommands; the bot is up all the same.
    assert "setMyCommands failed" in telegram_bot.log_text()


async def test_a_forged_webhook_call_is_refused_and_reaches_nothing(
    webhook_bot, telegram_peer, rasa_stack
):
    victim = next(_chat_ids)
    user = telegram_peer.user(webhook_bot.env["AIC_TELEGRAM_TOKEN"], victim)
    update = {"update_id": 424242, "message": {**user.message(text="/forget"), "message_id": 9}}
    url = f"{webhook_bot.url}/telegram/webhook"
    http = telegram_peer.http
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guessed"}):
        async with http.post(url, json=update, headers=headers) as response:
            assert response.status == 403
    assert await user.silence(2.0) == []
    assert tracker_rows(rasa_stack, sender_id(webhook_bot, victim)) == []
    with sqlite3.connect(webhook_bot.data_dir / "bot.db") as db:
        assert db.execute(
            "SELECT COUNT(*) FROM people WHERE pseudonym=?", (sender_id(webhook_bot, victim),)
        ).fetchone() == (0,)
    db.close()


async def test_the_webhook_refuses_what_is_not_an_update(webhook_bot, telegram_peer):
    secret = telegram_peer.proxy.webhooks[webhook_bot.env["AIC_TELEGRAM_TOKEN"]].secret
    assert secret
    url = f"{webhook_bot.url}/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
    for body in (b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "x"}'):
        async with telegram_peer.http.post(url, data=body, headers=headers) as response:
            assert response.status == 400, body


async def test_when_rasa_is_down_the_safety_message_still_arrives(bot_launcher, telegram_peer):
    down = f"http://127.0.0.1:{free_port()}"
    bot = await start_telegram_bot(bot_launcher, telegram_peer, "polling", AIC_RASA_URL=down)
    try:
        user = telegram_peer.user(bot.env["AIC_TELEGRAM_TOKEN"], next(_chat_ids))
        for step in ("/start", "I need help, someone is blackmailing me"):
            await user.say(step)
            replies = await user.turn()
            assert is_safety_message(replies[0].text) and "116 123" in replies[0].text
    finally:
        await asyncio.to_thread(bot.stop)


async def test_no_telegram_identity_reaches_rasa_or_the_logs(
    telegram_bot, telegram_peer, rasa_stack
):
    chat_id = 5_123_456_789
    user = telegram_peer.user(
        telegram_bot.env["AIC_TELEGRAM_TOKEN"],
        chat_id,
        first_name="Quillon",
        username="quillon_private_handle",
    )
    await user.say("/start")
    await user.turn()
    await user.say("hello, my name is not something you need")
    await user.turn()
    me = sender_id(telegram_bot, chat_id)
    assert tracker_rows(rasa_stack, me), "the conversation is not in the tracker store"
    with sqlite3.connect(rasa_stack.tracker_db) as db:
        everything = "\n".join(
            " ".join(str(value) for value in row) for row in db.execute("SELECT * FROM events")
        )
    db.close()
    log = telegram_bot.log_text()
    for identity in (str(chat_id), "Quillon", "quillon_private_handle"):
        assert identity not in everything
        assert identity not in log
    assert "hello, my name" not in log  # and what people write stays out of bot/'s log


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_stop_signal_stops_the_bot_cleanly_and_at_once(bot_launcher, telegram_peer, mode):
    """`docker stop` and Kubernetes send SIGTERM and kill ten (or thirty) seconds later."""
    bot = await start_telegram_bot(bot_launcher, telegram_peer, mode)
    popen = bot.process.popen
    popen.send_signal(signal.SIGTERM)
    try:
        returncode = await asyncio.to_thread(popen.wait, 8)
    finally:
        await asyncio.to_thread(bot.stop)
    assert returncode == 0
    log = bot.log_text()
    assert "Application.stop() complete" in log and "Traceback" not in log
