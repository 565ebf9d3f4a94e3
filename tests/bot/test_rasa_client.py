"""bot/rasa_client.py with several Rasa servers: a home server per conversation, and the next
one only when the home server cannot be reached at all."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.http_client import HttpClient
from bot.rasa_client import RasaClient, RasaUnavailable, home_index
from tests.bot.fake_rasa import FakeRasa, start_fake_rasa


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
    async with HttpClient() as http:
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
    async with HttpClient() as http:
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
    async with HttpClient() as http:
        client = RasaClient(http, urls, 5.0)
        with pytest.raises(RasaUnavailable):
            await client.send("person-1", "hello", "widget", {})
    # It may have handled the message before failing: sending it again could answer twice.
    assert len(rasas[0].received) + len(rasas[1].received) == 1


async def test_all_servers_down_is_unavailable(unused_tcp_port_factory):
    urls = [f"http://127.0.0.1:{unused_tcp_port_factory()}" for _ in range(2)]
    async with HttpClient() as http:
        with pytest.raises(RasaUnavailable):
            await RasaClient(http, urls, 5.0).send("person-1", "hello", "widget", {})


def test_a_single_url_string_is_refused():
    with pytest.raises(ValueError):
        RasaClient(None, "http://127.0.0.1:5005", 5.0)  # type: ignore[arg-type]
