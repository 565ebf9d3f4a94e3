"""bot/rasa_client.py with several Rasa servers: a home server per conversation, and the next
one only when the home server cannot be reached at all."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
import pytest
from aiohttp import web

from bot.messages import Button, Reply
from bot.rasa_client import Custom, RasaClient, RasaUnavailable, home_index
from tests.bot.fake_rasa import FakeRasa, start_fake_rasa
from tests.loopback import serving


@pytest.fixture
async def two_servers():
    rasas = [FakeRasa(), FakeRasa()]
    servers = [await start_fake_rasa(rasa) for rasa in rasas]
    yield rasas, [str(server.make_url("")).rstrip("/") for server in servers], servers
    for server in servers:
        await server.close()


def test_homes_are_stable_and_spread_evenly():
    senders = [f"pseudonym-{n}" for n in range(2000)]
    homes = Counter(home_index(sender, 2) for sender in senders)
    assert 900 < homes[0] < 1100 and homes[0] + homes[1] == 2000
    # From SHA-256, not Python's per-process hash(): every bot/ process and restart agrees.
    assert [home_index(f"pseudonym-{n}", 3) for n in range(8)] == [0, 2, 1, 0, 2, 1, 2, 1]
    assert all(home_index(s, 1) == 0 for s in senders)


async def test_each_conversation_always_goes_to_its_home_server(two_servers):
    rasas, urls, _ = two_servers
    async with aiohttp.ClientSession() as http:
        client = RasaClient(http, urls, 5.0)
        for n in range(20):
            for turn in range(3):
                await client.send(f"person-{n}", f"turn {turn}", "widget", {})
    for index, rasa in enumerate(rasas):
        senders = {body["sender"] for body in rasa.received}
        assert senders and all(home_index(sender, 2) == index for sender in senders)
        assert len(rasa.received) == 3 * len(senders)


async def test_a_server_that_cannot_be_reached_is_skipped(two_servers, unused_tcp_port):
    rasas, urls, _ = two_servers
    down = f"http://127.0.0.1:{unused_tcp_port}"
    async with aiohttp.ClientSession() as http:
        client = RasaClient(http, [down, urls[1]], 5.0)
        senders = [f"person-{n}" for n in range(10)]
        for sender in senders:
            [reply] = await client.send(sender, "hello", "widget", {})
            assert reply.text == "echo: hello"
            assert await client.events(sender)
    # Those whose home is the server that is down were all answered by the other one.
    assert {b["sender"] for b in rasas[1].received} == set(senders)
    assert any(home_index(sender, 2) == 0 for sender in senders)


async def test_a_server_that_failed_is_not_asked_again_elsewhere(two_servers):
    rasas, urls, _ = two_servers
    for rasa in rasas:
        rasa.mode = "status500"
    async with aiohttp.ClientSession() as http:
        client = RasaClient(http, urls, 5.0)
        with pytest.raises(RasaUnavailable):
            await client.send("person-1", "hello", "widget", {})
    # It may have handled the message before failing: sending it again could answer twice.
    assert len(rasas[0].received) + len(rasas[1].received) == 1


async def test_all_servers_down_is_unavailable(unused_tcp_port_factory):
    urls = [f"http://127.0.0.1:{unused_tcp_port_factory()}" for _ in range(2)]
    async with aiohttp.ClientSession() as http:
        with pytest.raises(RasaUnavailable):
            await RasaClient(http, urls, 5.0).send("person-1", "hello", "widget", {})


def test_a_single_url_string_is_refused():
    with pytest.raises(ValueError):
        RasaClient(None, "http://127.0.0.1:5005", 5.0)  # type: ignore[arg-type]


@pytest.fixture
async def recording_rasa():
    """A Rasa that records each request's path and query and answers with ``answer``."""
    seen: list[tuple[str, str, dict]] = []
    answer: list = [
        {"recipient_id": "x", "text": "Have you paid?", "buttons": [YES, {"title": ""}]},
        {"recipient_id": "x", "custom": {"handoff": {"queue": "dorset"}}},
        {"recipient_id": "x", "image": "https://example.invalid/a.png"},
    ]

    async def webhook(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, await request.json()))
        return web.json_response(answer)

    async def tracker(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, {}))
        return web.json_response({"events": [{"event": "user", "text": "hi"}]})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/conversations/{sender}/tracker", tracker)
    async with serving(app) as url:
        yield url, seen


YES = {"title": "Yes", "payload": "/affirm"}


async def test_the_token_goes_with_every_call_and_replies_become_replies(recording_rasa):
    url, seen = recording_rasa
    async with aiohttp.ClientSession() as http:
        client = RasaClient(http, [url], 5.0, token="t k&=")
        replies = await client.send("a/b", "héllo £5", "telegram", {"language": "en"})
        events = await client.events("a/b")
    [(post, webhook, body), (get, tracker, _)] = seen
    assert (post, webhook) == ("POST", "/webhooks/rest/webhook?token=t+k%26%3D")
    assert body == {
        "sender": "a/b",
        "message": "héllo £5",
        "input_channel": "telegram",
        "metadata": {"language": "en"},
    }
    assert (get, tracker) == (
        "GET",
        "/conversations/a%2Fb/tracker?include_events=AFTER_RESTART&token=t+k%26%3D",
    )
    assert events == [{"event": "user", "text": "hi"}]
    # The button without a title is dropped, the custom payload kept for bot/, the image
    # (nothing to show) dropped.
    assert replies == [
        Reply("Have you paid?", (Button("Yes", "/affirm"),)),
        Custom(text="", payload={"handoff": {"queue": "dorset"}}),
    ]
    assert replies[1].payload == {"handoff": {"queue": "dorset"}}


async def test_no_token_no_query(recording_rasa):
    url, seen = recording_rasa
    async with aiohttp.ClientSession() as http:
        await RasaClient(http, [url], 5.0).send("s", "hi", "widget", {})
    assert seen[0][1] == "/webhooks/rest/webhook"


async def test_a_slow_server_is_unavailable_within_the_timeout(two_servers):
    rasas, urls, _ = two_servers
    for rasa in rasas:
        rasa.mode, rasa.slow_seconds = "slow", 3.0
    async with aiohttp.ClientSession() as http:
        client = RasaClient(http, urls, 0.3)
        started = asyncio.get_running_loop().time()
        with pytest.raises(RasaUnavailable):
            await client.send("person-1", "hello", "widget", {})
        assert asyncio.get_running_loop().time() - started < 2.0
    # Reached, then slow: it may still handle the message, so no other server is asked.
    assert len(rasas[0].received) + len(rasas[1].received) == 1


async def test_no_connection_in_time_hands_the_message_to_the_next_server(two_servers):
    """A server whose connections are all busy past the timeout is like one that cannot be
    reached: nothing was sent, so the next server takes the message."""
    rasas, urls, _ = two_servers
    senders = [f"person-{n}" for n in range(20)]
    first, second = [s for s in senders if home_index(s, 2) == 0][:2]
    rasas[0].mode, rasas[0].slow_seconds = "slow", 1.0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit_per_host=1)) as http:
        holding = asyncio.create_task(RasaClient(http, urls, 5.0).send(first, "1", "widget", {}))
        await asyncio.sleep(0.1)  # it holds server 0's only connection for a second
        rasas[0].mode = "echo"
        [reply] = await RasaClient(http, urls, 0.3).send(second, "2", "widget", {})
        await holding
    assert reply.text == "echo: 2"
    assert [b["message"] for b in rasas[0].received] == ["1"]
    assert [b["message"] for b in rasas[1].received] == ["2"]
