"""Two bot/ processes on one Redis serve one desk, with the real Rasa (tests/scale/cluster.py):
a case opened through replica 1 shows up live on a desk connected to replica 2, two handlers on
the two replicas claim it at once and exactly one wins, and the handler's reply reaches the
person, whichever replica each side talks to."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.handoff.test_e2e import ASK, DeskApi, add_account
from tests.scale.cluster import Bot, Cluster, WidgetUser, payload_of, text_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replicas(cluster: Cluster) -> tuple[Bot, Bot]:
    # Rasa servers 1 and 2: tests/scale kills server 0 for good in its last test.
    one = cluster.start_bot("bot-desk-1", cluster.rasa_urls[1])
    two = cluster.start_bot("bot-desk-2", cluster.rasa_urls[2])
    # With the replicas' own settings: the accounts go to Redis, for every replica.
    redis_url = cluster.bot_env(one.url)["AIC_REDIS_URL"]
    for name in ("ria", "rhys"):
        add_account(cluster.work / f"accounts-{name}", name, "national", AIC_REDIS_URL=redis_url)
    return one, two


async def send(user: WidgetUser, bot: Bot, **body) -> list[dict]:
    return await asyncio.to_thread(user.send, bot, **body)


async def feed(user: WidgetUser, bot: Bot, after: int | None = None) -> dict:
    return await asyncio.to_thread(user.post, bot, "handoff", {"after": after})


async def test_a_case_opened_on_one_replica_is_claimed_and_answered_on_the_other(replicas):
    one, two = replicas
    ria, rhys = DeskApi(two.url, "ria"), DeskApi(one.url, "rhys")
    try:
        assert await ria.login() == 200 and await rhys.login() == 200
        async with aiohttp.ClientSession(cookie_jar=ria.http.cookie_jar) as browser:
            async with browser.ws_connect(f"{two.url}/desk/ws") as ws:
                user = WidgetUser()
                offer = await send(user, one, text=ASK)
                replies = await send(user, one, payload=payload_of(offer, "Yes, pass me on"))
                assert "you're next" in text_of(replies)
                # The desk on replica 2 hears of the case opened through replica 1.
                event = await ws.receive_json(timeout=15)
                while event != {"type": "queue"}:
                    event = await ws.receive_json(timeout=15)
        reference = (await ria.wait_for_case())["reference"]
        start = await feed(user, one)

        # Both handlers, each on their own replica, claim at once: one wins.
        results = await asyncio.gather(
            ria.post(f"cases/{reference}/claim"), rhys.post(f"cases/{reference}/claim")
        )
        assert sorted(status for status, _ in results) == [200, 409]
        handler = ria if results[0][0] == 200 else rhys
        status, _ = await handler.post(
            f"cases/{reference}/messages", {"text": "Hello, this is the 101 team."}
        )
        assert status == 200

        # The person reads it through replica 1, and writes back through replica 2.
        data = await feed(user, one, start["cursor"])
        said = [m for m in data["messages"] if m["from"] == "person"]
        assert [m["text"] for m in said] == ["Hello, this is the 101 team."]
        assert said[0]["label"] == "Person at your local police:"
        assert any("has joined the chat" in m["text"] for m in data["messages"])
        assert await send(user, two, text="thank you, I'm scared") == []
        _, case = await handler.get(f"cases/{reference}")
        assert case["messages"][-1] == {
            **case["messages"][-1],
            "from": "user",
            "text": "thank you, I'm scared",
        }

        status, _ = await handler.post(f"cases/{reference}/close", {"outcome": "advice given"})
        assert status == 200
        data = await feed(user, two, data["cursor"])
        assert data["active"] is False and "back with the assistant" in data["messages"][-1]["text"]
        answer = await send(user, one, text="will they really post it?")
        assert answer and "Person at" not in text_of(answer)
    finally:
        await ria.close()
        await rhys.close()
