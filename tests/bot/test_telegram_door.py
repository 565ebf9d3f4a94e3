"""The Telegram door: its per-chat order, and the door inside bot/'s app against a stand-in Rasa
and the benchmarks' Bot API peer, in webhook and polling mode. With the real Rasa and the
npm Bot API emulator it is tested end to end in tests/telegram."""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram import Chat, Message, Update

from bench.bot_api_peer import BOT_USER, BotApiPeer, text_update
from bot.app import create_app
from bot.pseudonym import pseudonym
from bot.settings import Settings
from bot.telegram_door import SECRET_HEADER, WEBHOOK_PATH, PerChatOrder
from tests.bot.conftest import SECRET


def update_in(chat_id: int, update_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, dtm.datetime.now(dtm.timezone.utc), chat, text="x")
    return Update(update_id, message=message)


async def test_one_chats_updates_run_in_order_and_chats_run_side_by_side():
    processor = PerChatOrder()
    log: list[tuple[int, int, str]] = []
    running = {"now": 0, "max": 0}

    async def work(chat_id: int, update_id: int, pause: float):
        running["now"] += 1
        running["max"] = max(running["max"], running["now"])
        log.append((chat_id, update_id, "start"))
        await asyncio.sleep(pause)
        log.append((chat_id, update_id, "end"))
        running["now"] -= 1

    tasks = []
    for update_id, (chat_id, pause) in enumerate([(1, 0.05), (1, 0.0), (2, 0.03), (1, 0.01)]):
        update = update_in(chat_id, update_id)
        coroutine = work(chat_id, update_id, pause)
        tasks.append(asyncio.create_task(processor.process_update(update, coroutine)))
    await asyncio.gather(*tasks)

    chat_one = [(u, what) for c, u, what in log if c == 1]
    assert chat_one == [
        (0, "start"),
        (0, "end"),
        (1, "start"),
        (1, "end"),
        (3, "start"),
        (3, "end"),
    ]
    assert running["max"] == 2  # chat 2 did not wait for chat 1


# The door inside bot/'s app.

CHAT = 700_000_001
WEBHOOK_SECRET = "door-test-webhook-secret"


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as ``python -m bot`` runs


@pytest.fixture
async def api():
    peer = BotApiPeer()
    url = await peer.start()
    yield peer, url
    await peer.stop()


@pytest.fixture
def door_settings(tmp_path, domain_path, fake_rasa, api):
    _, rasa_url = fake_rasa
    _, api_url = api

    def settings(mode: str) -> Settings:
        return replace(
            Settings(),
            rasa_url=rasa_url,
            rasa_timeout=2.0,
            data_dir=tmp_path / "var",
            pseudonym_secret=SECRET,
            tracker_db=tmp_path / "tracker.db",
            domain_path=domain_path,
            telegram_token="4242:door-test",
            telegram_mode=mode,
            telegram_webhook_url="https://example.invalid/telegram/webhook",
            telegram_webhook_secret=WEBHOOK_SECRET,
            telegram_api_url=f"{api_url}/bot",
        )

    return settings


async def until(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("not in time")
        await asyncio.sleep(0.01)


async def post_update(client: TestClient, update: dict) -> int:
    response = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET})
    return response.status


def press(update_id: int, sent_message: dict, data: str) -> dict:
    """A button press on a message the bot sent, as Telegram sends it."""
    user = {"id": CHAT, "is_bot": False, "first_name": "B", "language_code": "en"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": user,
            "chat_instance": "instance",
            "data": data,
            "message": sent_message,
        },
    }


async def test_a_message_by_webhook_is_answered_and_rasa_sees_a_pseudonym(
    door_settings, api, fake_rasa, caplog
):
    peer, _ = api
    rasa, _ = fake_rasa
    rasa.buttons = [{"title": "Yes", "payload": "/affirm"}]
    caplog.set_level(logging.INFO)
    async with TestClient(TestServer(create_app(door_settings("webhook")))) as client:
        await until(lambda: peer.calls["setWebhook"] == 1)
        refused = await client.post(WEBHOOK_PATH, json=text_update(1, CHAT, 1, "hi"))
        assert refused.status == 403 and not rasa.received
        assert await post_update(client, text_update(2, CHAT, 1, "a private thing")) == 200
        await until(lambda: len(peer.sent[CHAT]) == 1)
    [sent] = peer.sent[CHAT]
    assert (sent.text, [title for title, _ in sent.buttons]) == ("echo: a private thing", ["Yes"])
    [received] = rasa.received
    assert received["sender"] == pseudonym(SECRET, "telegram", str(CHAT))
    assert str(CHAT) not in str(received)
    assert "a private thing" not in caplog.text and str(CHAT) not in caplog.text


async def test_a_press_sends_its_payload_and_marks_the_keyboard_used(door_settings, api, fake_rasa):
    peer, _ = api
    rasa, _ = fake_rasa
    rasa.buttons = [{"title": "Yes", "payload": "/affirm"}]
    async with TestClient(TestServer(create_app(door_settings("webhook")))) as client:
        await until(lambda: peer.calls["setWebhook"] == 1)
        await post_update(client, text_update(1, CHAT, 1, "hi"))
        await until(lambda: len(peer.sent[CHAT]) == 1)
        [(_, token)] = peer.sent[CHAT][0].buttons
        message = {
            "message_id": 99,
            "from": BOT_USER,
            "chat": {"id": CHAT, "first_name": "B", "type": "private"},
            "date": 1_700_000_000,
            "text": "echo: hi",
            "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": token}]]},
        }
        await post_update(client, press(2, message, token))
        await until(lambda: len(peer.sent[CHAT]) == 2)
    assert rasa.received[-1]["message"] == '/affirm{"language": "en"}'
    assert (peer.calls["answerCallbackQuery"], peer.calls["editMessageReplyMarkup"]) == (1, 1)


async def test_a_message_by_long_polling_is_answered(door_settings, api, fake_rasa):
    peer, _ = api
    rasa, _ = fake_rasa
    async with TestClient(TestServer(create_app(door_settings("polling")))):
        peer.deliver(text_update(1, CHAT, 1, "hello"))
        await until(lambda: len(peer.sent[CHAT]) == 1)
    assert peer.sent[CHAT][0].text == "echo: hello"
    assert rasa.received[0]["sender"] == pseudonym(SECRET, "telegram", str(CHAT))


async def test_a_bot_api_gone_down_is_logged_by_kind_and_the_door_stays_up(
    door_settings, api, fake_rasa, caplog
):
    peer, _ = api
    rasa, _ = fake_rasa
    async with TestClient(TestServer(create_app(door_settings("webhook")))) as client:
        await until(lambda: peer.calls["setWebhook"] == 1)
        await peer.stop()
        assert await post_update(client, text_update(1, CHAT, 1, "a private thing")) == 200
        await until(lambda: "safety message failed too" in caplog.text)
        assert (await client.get("/healthz")).status == 200
    assert len(rasa.received) == 1  # Rasa had the turn; its answer could not be sent
    assert "telegram update failed: NetworkError" in caplog.text
    assert "telegram safety message failed too: NetworkError" in caplog.text
    assert "a private thing" not in caplog.text and str(CHAT) not in caplog.text
