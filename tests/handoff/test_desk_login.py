"""The desk's login: slowed per name and address and per address, so nobody can keep a known
handler out from elsewhere; a crowd of password checks gets 429 rather than both cores; and
X-Forwarded-For counts only from a proxy the settings trust."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.handoff.desk import (
    ADDRESS_FAILURES_BEFORE_PAUSE,
    LOGIN_FAILURES_BEFORE_PAUSE,
    MAX_PASSWORD_CHECKS_AT_ONCE,
)
from tests.handoff.apps import PASSWORD, Desk, add_accounts

ATTACKER, HANDLER = "203.0.113.9", "198.51.100.7"


def sent_from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_someone_elses_failures_never_lock_a_handler_out(settings, rasa):
    await add_accounts(settings, alice="gwent")
    settings = replace(settings, trusted_proxies=("127.0.0.1",))
    async with TestClient(TestServer(create_app(settings))) as client:
        attacker = Desk(client, "alice")
        for _ in range(LOGIN_FAILURES_BEFORE_PAUSE):
            assert await attacker.login("wrong password", **sent_from(ATTACKER)) == 401
        assert await attacker.login("wrong password", **sent_from(ATTACKER)) == 429
        assert await attacker.login(PASSWORD, **sent_from(ATTACKER)) == 429
        # The handler, elsewhere, with the right password.
        assert await Desk(client, "alice").login(PASSWORD, **sent_from(HANDLER)) == 200


async def test_an_address_trying_many_names_is_paused(settings, rasa):
    await add_accounts(settings, alice="gwent")
    settings = replace(settings, trusted_proxies=("127.0.0.1",))
    async with TestClient(TestServer(create_app(settings))) as client:
        for number in range(ADDRESS_FAILURES_BEFORE_PAUSE):
            name = f"guess{number}"
            assert await Desk(client, name).login("wrong", **sent_from(ATTACKER)) == 401
        assert await Desk(client, "alice").login(PASSWORD, **sent_from(ATTACKER)) == 429
        assert await Desk(client, "alice").login(PASSWORD, **sent_from(HANDLER)) == 200


async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(settings, rasa):
    await add_accounts(settings, alice="gwent")
    async with TestClient(TestServer(create_app(settings))) as client:
        for number in range(LOGIN_FAILURES_BEFORE_PAUSE):
            # A fresh "address" each time changes nothing: the connection's own address counts.
            spoofed = sent_from(f"192.0.2.{number}")
            assert await Desk(client, "alice").login("wrong password", **spoofed) == 401
        assert await Desk(client, "alice").login(PASSWORD, **sent_from(HANDLER)) == 429


async def test_a_crowd_of_password_checks_gets_429_not_the_cores(settings, rasa):
    await add_accounts(settings, alice="gwent")
    settings = replace(settings, trusted_proxies=("127.0.0.1",))
    async with TestClient(TestServer(create_app(settings))) as client:

        async def attempt(number: int) -> tuple[int, str]:
            response = await client.post(
                "/desk/api/login",
                json={"username": f"name{number}", "password": "wrong password"},
                headers=sent_from(f"192.0.2.{number}"),
            )
            return response.status, (await response.json())["error"]

        results = await asyncio.gather(*(attempt(n) for n in range(30)))
        assert {status for status, _ in results} <= {401, 429}
        assert ("429", "busy") in {(str(status), error) for status, error in results}
        assert sum(status == 401 for status, _ in results) >= MAX_PASSWORD_CHECKS_AT_ONCE
        assert await Desk(client, "alice").login(PASSWORD, **sent_from(HANDLER)) == 200


async def test_with_a_public_address_the_desk_takes_only_its_origin_and_says_https(settings):
    public = replace(settings, public_origin="https://bot.example.police.uk")
    async with TestClient(TestServer(create_app(public))) as client:
        login = {"username": "nobody", "password": "x" * 12}
        # The address the request reached (as a proxy passing the wrong Host would show it).
        here = f"http://{client.host}:{client.port}"
        refused = await client.post("/desk/api/login", json=login, headers={"Origin": here})
        assert refused.status == 403
        taken = await client.post(
            "/desk/api/login", json=login, headers={"Origin": "https://bot.example.police.uk"}
        )
        assert taken.status == 401  # past the origin check: a wrong name
        assert taken.headers["Strict-Transport-Security"].startswith("max-age=")
