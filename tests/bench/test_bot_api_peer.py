"""The benchmarks' Bot API peer answers getUpdates as Telegram does: long polling, updates kept
until an offset past them confirms them, at most ``limit`` at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from telegram import InlineKeyboardMarkup, Message, Update

from bench.bot_api_peer import BOT_ID, BotApiPeer, text_update


@asynccontextmanager
async def client_of(peer: BotApiPeer) -> AsyncIterator[aiohttp.ClientSession]:
    """A client of ``peer`` served on loopback, its paths relative to the peer's address."""
    url = await peer.start()
    try:
        async with aiohttp.ClientSession(base_url=url) as client:
            yield client
    finally:
        await peer.stop()


async def get_updates(client: aiohttp.ClientSession, **params) -> list[dict]:
    async with client.post("/bot4242:bench/getUpdates", json=params) as response:
        body = await response.json()
    assert body["ok"] is True
    return body["result"]


async def test_get_updates_waits_for_an_update_and_keeps_it_until_confirmed():
    peer = BotApiPeer()
    async with client_of(peer) as client:
        waiting = asyncio.create_task(get_updates(client, offset=0, timeout=10))
        await asyncio.sleep(0.05)
        assert not waiting.done()  # nothing yet: the call is held open
        peer.deliver(text_update(7, 100, 1, "hello"))
        first = await asyncio.wait_for(waiting, 5)
        assert [u["update_id"] for u in first] == [7]
        assert first[0]["message"]["text"] == "hello"
        # Not confirmed yet: the same update again.
        assert [u["update_id"] for u in await get_updates(client, offset=0)] == [7]
        peer.deliver(text_update(8, 100, 2, "again"))
        assert [u["update_id"] for u in await get_updates(client, offset=8)] == [8]
        assert await get_updates(client, offset=9, timeout=0) == []
        assert peer.fetches == 3


async def test_get_updates_hands_over_at_most_limit():
    peer = BotApiPeer()
    for update_id in range(1, 6):
        peer.deliver(text_update(update_id, 100, update_id, "hi"))
    async with client_of(peer) as client:
        assert [u["update_id"] for u in await get_updates(client, limit=2)] == [1, 2]
        assert [u["update_id"] for u in await get_updates(client, offset=3)] == [3, 4, 5]


async def test_send_message_is_recorded_with_its_buttons():
    peer = BotApiPeer()
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "t1"}]]}
    async with client_of(peer) as client:
        async with client.post(
            "/bot4242:bench/sendMessage",
            json={"chat_id": 100, "text": "Have you paid?", "reply_markup": markup},
        ) as response:
            result = (await response.json())["result"]
    # What Telegram returns, which python-telegram-bot parses whole: no field it does not know.
    message = Message.de_json(result, None)
    assert (message.chat.id, message.from_user.id, message.api_kwargs) == (100, BOT_ID, {})
    assert message.reply_markup == InlineKeyboardMarkup.de_json(markup, None)
    assert peer.event(100).is_set()
    [sent] = peer.sent[100]
    assert (sent.text, sent.buttons) == ("Have you paid?", [("Yes", "t1")])


def test_an_update_has_the_fields_telegram_sends_and_no_others():
    update = Update.de_json(text_update(7, 100, 1, "hello"), None)
    message = update.message
    assert message is not None and message.from_user is not None
    assert (message.chat.type, message.from_user.language_code) == ("private", "en")
    assert (update.api_kwargs, message.api_kwargs, message.chat.api_kwargs) == ({}, {}, {})


async def test_the_summary_counts_calls_per_update_handed():
    peer = BotApiPeer()
    for update_id in (1, 2):
        peer.deliver(text_update(update_id, 100, update_id, "hi"))
    async with client_of(peer) as client:
        await get_updates(client, offset=0)
        await get_updates(client, offset=0)  # the same two again: not counted twice
        for _ in range(3):
            body = {"chat_id": 100, "text": "x"}
            async with client.post("/bot4242:bench/sendMessage", json=body) as response:
                assert response.status == 200
    assert peer.handed == 2
    assert peer.summary() == (
        "1.50 sendMessage an update, 1.0 updates a getUpdates that returned any"
    )


async def test_form_parameters_are_read_as_ptb_sends_them():
    peer = BotApiPeer()
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "t1"}]]}
    peer.deliver(text_update(3, 5, 1, "hello"))
    async with client_of(peer) as client:
        form = {"offset": "0", "timeout": "5"}
        async with client.post("/bot1:x/getUpdates", data=form) as response:
            assert [u["update_id"] for u in (await response.json())["result"]] == [3]
        form = {"chat_id": "5", "text": "hi", "reply_markup": json.dumps(markup)}
        async with client.post("/bot1:x/sendMessage", data=form) as response:
            assert response.status == 200
    [sent] = peer.sent[5]
    assert (sent.text, sent.buttons) == ("hi", [("Yes", "t1")])


async def test_a_throttled_method_is_answered_as_flood_control_then_as_usual():
    peer = BotApiPeer()
    peer.throttle("sendMessage", 3)
    async with client_of(peer) as client:
        body = {"chat_id": 5, "text": "hi"}
        async with client.post("/bot1:x/sendMessage", json=body) as response:
            assert response.status == 429
            assert (await response.json())["parameters"] == {"retry_after": 3}
        async with client.post("/bot1:x/sendMessage", json=body) as response:
            assert response.status == 200
    assert [s.text for s in peer.sent[5]] == ["hi"]
    assert (peer.throttled["sendMessage"], peer.calls["sendMessage"]) == (1, 1)


async def test_a_wrong_path_or_a_bad_body_is_refused_and_the_peer_carries_on():
    peer = BotApiPeer()
    async with client_of(peer) as client:
        async with client.post("/elsewhere", json={}) as response:
            assert response.status == 404
        headers = {"Content-Type": "application/json"}
        async with client.post(
            "/bot1:x/sendMessage", data=b"{not json", headers=headers
        ) as response:
            assert (response.status, (await response.json())["ok"]) == (400, False)
        async with client.post("/bot1:x/sendMessage", json={"text": "no chat"}) as response:
            assert response.status == 400
        async with client.post("/bot1:x/getMe") as response:
            assert (await response.json())["result"]["id"] == BOT_ID
