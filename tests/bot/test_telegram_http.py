"""PTB's requests over aiohttp: what the Bot API peer receives, and the errors PTB expects."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.messages import Button
from bot.telegram_door import retry_seconds, send_message_parameters
from bot.telegram_http import BotApiRequest
from scripts.processes import free_port
from tests.loopback import serving


@pytest.fixture
async def peer():
    seen: list[dict] = []

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if name == "slow":
            await asyncio.sleep(2)
        if request.content_type.startswith("multipart/"):
            fields = {}
            async for part in await request.multipart():
                fields[part.name] = (part.filename, await part.read())
        elif request.content_type == "application/json":
            fields = await request.json()
        else:
            fields = dict(await request.post())
        seen.append(
            {
                "method": name,
                "fields": fields,
                "type": request.content_type,
                "agent": request.headers["User-Agent"],
            }
        )
        if name == "getMe":
            result = {"id": 42, "is_bot": True, "first_name": "AiC", "username": "aic_bot"}
            return web.json_response({"ok": True, "result": result})
        if name == "flood":
            flood = {"ok": False, "error_code": 429, "parameters": {"retry_after": 3}}
            return web.json_response(flood, status=429)
        if name == "refused":
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "no"}, status=400
            )
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    async with serving(app) as url:
        yield url, seen


async def test_parameters_reach_the_peer_as_one_json_body(peer):
    url, seen = peer
    request = BotApiRequest()
    await request.initialize()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="t1")]])
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 7),
            RequestParameter.from_input("text", "héllo £5"),
            RequestParameter.from_input("reply_markup", markup),
        ]
    )
    status, body = await request.do_request(f"{url}/bot1:x/sendMessage", "POST", data)
    await request.shutdown()
    assert status == 200 and json.loads(body)["ok"] is True
    assert seen[0]["type"] == "application/json"
    fields = seen[0]["fields"]
    # As in form fields, an object parameter is itself JSON text; the Bot API takes both.
    assert {key: fields[key] for key in ("chat_id", "text")} == {"chat_id": "7", "text": "héllo £5"}
    assert json.loads(fields["reply_markup"]) == markup.to_dict()
    assert seen[0]["agent"].startswith("python-telegram-bot")


async def test_a_bot_on_it_calls_the_api(peer):
    url, seen = peer
    async with Bot("1:x", base_url=f"{url}/bot", request=BotApiRequest()) as bot:
        assert bot.username == "aic_bot"
        assert await bot.send_message(7, "hi") is True
    assert [s["method"] for s in seen] == ["getMe", "sendMessage"]


async def test_the_door_sends_a_message_as_bot_send_message_does(peer):
    url, seen = peer
    buttons = (Button("Yes", "/affirm"), Button("No", "/deny"))
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.title, callback_data=b.token)] for b in buttons]
    )
    request = BotApiRequest()
    async with Bot("1:x", base_url=f"{url}/bot", request=request) as bot:
        await bot.send_message(7, "Have you paid? £", reply_markup=markup)
        await bot.send_message(7, "Thank you")
        await request.call(
            f"{bot.base_url}/sendMessage", send_message_parameters(7, "Have you paid? £", buttons)
        )
        await request.call(f"{bot.base_url}/sendMessage", send_message_parameters(7, "Thank you"))
    by_bot, by_door = seen[1:3], seen[3:5]
    assert [s["method"] for s in by_door] == ["sendMessage", "sendMessage"]
    assert by_door == by_bot


async def test_a_call_keeps_its_result_as_json_and_raises_what_bot_raises(peer, monkeypatch):
    url, _ = peer
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as bot/ runs
    request = BotApiRequest()
    await request.initialize()
    me = await request.call(f"{url}/bot1:x/getMe", {})
    with pytest.raises(RetryAfter) as flood:
        await request.call(f"{url}/bot1:x/flood", {"chat_id": "7"})
    with pytest.raises(BadRequest):
        await request.call(f"{url}/bot1:x/refused", {"chat_id": "7"})
    await request.shutdown()
    assert me == {"id": 42, "is_bot": True, "first_name": "AiC", "username": "aic_bot"}
    assert retry_seconds(flood.value) == 3.0


async def test_files_go_multipart(peer):
    url, seen = peer
    request = BotApiRequest()
    await request.initialize()
    upload = InputFile(b"abc", filename="a.txt")
    data = RequestData(
        [RequestParameter.from_input("chat_id", 7), RequestParameter.from_input("document", upload)]
    )
    status, _ = await request.do_request(f"{url}/bot1:x/sendDocument", "POST", data)
    await request.shutdown()
    assert status == 200
    assert seen[0]["fields"]["chat_id"] == (None, b"7")
    assert seen[0]["fields"]["document"] == ("a.txt", b"abc")


async def test_refusals_come_back_as_status_and_body(peer):
    url, _ = peer
    request = BotApiRequest()
    await request.initialize()
    status, body = await request.do_request(f"{url}/bot1:x/refused", "POST", None)
    await request.shutdown()
    assert status == 400 and json.loads(body)["description"] == "no"


async def test_a_slow_peer_is_a_timeout(peer):
    url, _ = peer
    request = BotApiRequest(read_timeout=0.2)
    await request.initialize()
    with pytest.raises(TimedOut):
        await request.do_request(f"{url}/bot1:x/slow", "POST", None)
    await request.shutdown()


async def test_no_peer_is_a_network_error():
    request = BotApiRequest()
    await request.initialize()
    with pytest.raises(NetworkError) as error:
        await request.do_request(f"http://127.0.0.1:{free_port()}/bot1:x/getMe", "POST", None)
    await request.shutdown()
    assert not isinstance(error.value, TimedOut)


async def test_unused_before_initialize():
    with pytest.raises(RuntimeError):
        await BotApiRequest().do_request("http://127.0.0.1:1/x", "POST", None)


async def test_a_proxy_carries_the_calls(peer, connect_proxy):
    url, seen = peer
    proxy, address = await connect_proxy()
    request = BotApiRequest(proxy_url=f"http://{address}")
    async with Bot("1:x", base_url=f"{url}/bot", request=request) as bot:
        assert await bot.send_message(7, "hi") is True
    assert [s["method"] for s in seen] == ["getMe", "sendMessage"]
    assert proxy.tunnels == [url.removeprefix("http://").encode()]
