"""Limits per client address on the routes anyone can call (bot/address_limits.py, through the
app): a fresh session id with each request does not get round them, and one address cannot fill
a force's queue with cases. Another address, named by a trusted proxy, is not held back."""

from __future__ import annotations

import secrets
from dataclasses import replace

from aiohttp import hdrs
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.handoff import HANDOFF


def fresh_session() -> str:
    return secrets.token_hex(16)


async def say(client: TestClient, session: str, text: str, address: str | None = None) -> list:
    headers = {hdrs.X_FORWARDED_FOR: address} if address else {}
    body = {"session": session, "id": secrets.token_hex(16), "text": text}
    response = await client.post("/widget/api/message", json=body, headers=headers)
    assert response.status == 200
    return (await response.json())["replies"]


async def test_new_session_ids_do_not_get_round_the_limit_per_address(settings):
    settings = replace(
        settings, address_requests_per_minute=5, trusted_proxies=("127.0.0.1", "::1")
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        statuses = []
        for _ in range(6):
            response = await client.post(
                "/widget/api/handoff", json={"session": fresh_session(), "after": None}
            )
            statuses.append(response.status)
        assert statuses == [200] * 5 + [429]
        assert int(response.headers[hdrs.RETRY_AFTER]) >= 1
        assert (await client.post("/desk/api/login", json={})).status == 429
        # Someone else behind the same proxy is another address.
        other = await client.post(
            "/widget/api/handoff",
            json={"session": fresh_session(), "after": None},
            headers={hdrs.X_FORWARDED_FOR: "198.51.100.23"},
        )
        assert other.status == 200
        # The pages themselves are not API calls.
        assert (await client.get("/healthz")).status == 200


async def test_one_address_cannot_fill_a_queue_with_cases(settings, rasa):
    settings = replace(
        settings, handoff_cases_per_address_per_hour=2, trusted_proxies=("127.0.0.1", "::1")
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        for _ in range(2):
            [reply] = await say(client, fresh_session(), "I want a person", "203.0.113.4")
            assert "101" not in reply["text"]
        # The third from the same address: a reference and 101 at once, not a place in the queue.
        [referred] = await say(client, fresh_session(), "I want a person", "203.0.113.4")
        assert "101" in referred["text"]
        handoff = client.server.app[HANDOFF]
        assert len(await handoff.cases.queue("gwent")) == 2
        # A person on another address still joins the queue.
        [joined] = await say(client, fresh_session(), "I want a person", "198.51.100.8")
        assert "101" not in joined["text"]
        assert len(await handoff.cases.queue("gwent")) == 3
