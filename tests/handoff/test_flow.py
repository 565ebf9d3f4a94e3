"""The whole hand-off inside one bot/ app (real domain, a stand-in Rasa), through its HTTP routes:
the widget's channel and feed on one side, the desk's API on the other."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.handoff import HANDOFF
from tests.handoff.apps import SESSION, Desk, add_accounts


async def widget_say(client: TestClient, text: str = "", payload: str | None = None) -> list[dict]:
    body = {"session": SESSION, "id": secrets.token_hex(16)}
    body.update({"payload": payload} if payload else {"text": text})
    response = await client.post("/widget/api/message", json=body)
    assert response.status == 200
    return (await response.json())["replies"]


async def feed(client: TestClient, after: int | None = None) -> dict:
    response = await client.post("/widget/api/handoff", json={"session": SESSION, "after": after})
    assert response.status == 200
    return await response.json()


async def test_a_person_is_handed_off_claimed_answered_and_handed_back(settings, rasa):
    await add_accounts(settings, alice="gwent", bob="gwent", dai="dorset")
    async with TestClient(TestServer(create_app(settings))) as client:
        [reply] = await widget_say(client, "I want a person")
        assert "you're next" in reply["text"]
        assert reply["buttons"] == [
            {"title": "Leave and go back to the assistant", "payload": "/handoff_leave"}
        ]
        assert (await feed(client))["active"] is True

        alice, bob, dai = (Desk(client, n) for n in ("alice", "bob", "dai"))
        assert await alice.login("wrong password!") == 401
        for desk in (alice, bob, dai):
            assert await desk.login() == 200
        status, queue = await alice.get("queue")
        [brief] = queue["cases"]
        reference = brief["reference"]
        assert brief["state"] == "waiting"
        # Another force sees nothing of it, not even that it exists.
        assert (await dai.get("queue"))[1]["cases"] == []
        assert (await dai.get(f"cases/{reference}"))[0] == 404
        assert (await dai.post(f"cases/{reference}/claim"))[0] == 404

        # The person writes while waiting: it goes to the case, not to Rasa.
        before = len(rasa.received)
        [waiting] = await widget_say(client, "are you there?")
        assert "still" in waiting["text"].lower() or "waiting" in waiting["text"].lower()
        assert len(rasa.received) == before

        # A claim without the CSRF token is refused; two at once, exactly one wins.
        assert (await alice.post(f"cases/{reference}/claim", csrf=False))[0] == 403
        results = await asyncio.gather(
            alice.post(f"cases/{reference}/claim"), bob.post(f"cases/{reference}/claim")
        )
        assert sorted(status for status, _ in results) == [200, 409]
        handler = alice if results[0][0] == 200 else bob
        other = bob if handler is alice else alice

        status, case = await handler.get(f"cases/{reference}")
        assert case["summary_text"] == "What happened: a video call was recorded"
        assert [m["text"] for m in case["messages"] if m["from"] == "user"] == ["are you there?"]
        assert "pseudonym" not in str(case) and SESSION not in str(case)
        assert (await other.post(f"cases/{reference}/messages", {"text": "hi"}))[0] == 409

        # Both ways.
        assert (await handler.post(f"cases/{reference}/messages", {"text": "Hello, I'm here."}))[
            0
        ] == 200
        items = (await feed(client))["messages"]
        person = [m for m in items if m["from"] == "person"]
        assert person[0]["text"] == "Hello, I'm here."
        assert person[0]["label"] == "Person at Gwent Police:"
        assert any("has joined the chat" in m["text"] for m in items)
        cursor = (await feed(client))["cursor"]
        assert await widget_say(client, "thank you") == []
        _, case = await handler.get(f"cases/{reference}")
        assert case["messages"][-1] == {**case["messages"][-1], "from": "user", "text": "thank you"}
        assert len(rasa.received) == before

        # The handler ends it: the person is told, and the assistant answers again.
        status, closed = await handler.post(f"cases/{reference}/close", {"outcome": "advice given"})
        assert status == 200 and closed["state"] == "closed"
        after = await feed(client, cursor)
        assert after["active"] is False
        assert "back with the assistant" in after["messages"][-1]["text"]
        assert await widget_say(client, "hello again") == [
            {"text": "echo: hello again", "buttons": []}
        ]


async def test_out_of_hours_gives_a_reference_the_desk_can_open(settings, rasa):
    await add_accounts(settings, alice="gwent", dai="dorset")
    settings = replace(settings, handoff_hours="gwent=closed")
    async with TestClient(TestServer(create_app(settings))) as client:
        [reply] = await widget_say(client, "a person please")
        text = reply["text"]
        assert (
            "101" in text and "I have a reference from the online sextortion advice service" in text
        )
        reference = text.split("reference is ")[1][:7]
        # Not in a hand-off: the assistant carries on.
        assert (await widget_say(client, "ok"))[0]["text"] == "echo: ok"
        alice, dai = Desk(client, "alice"), Desk(client, "dai")
        await alice.login(), await dai.login()
        status, case = await alice.get(f"cases/{reference.lower().replace('-', ' ')}")
        assert status == 200 and case["state"] == "referred" and case["can_close"]
        assert (await dai.get(f"cases/{reference}"))[0] == 404
        status, case = await alice.post(
            f"cases/{reference}/close", {"outcome": "crime report taken"}
        )
        assert status == 200 and case["outcome"] == "crime report taken"


async def test_nobody_picks_up_in_time_so_the_person_gets_a_reference(settings, rasa):
    settings = replace(settings, handoff_wait_minutes=0.0001)
    async with TestClient(TestServer(create_app(settings))) as client:
        await widget_say(client, "a person please")
        waiting = await feed(client)
        assert waiting["active"] is True
        await asyncio.sleep(0.05)
        await client.app[HANDOFF].tick()
        data = await feed(client, waiting["cursor"])
        assert data["active"] is False
        [notice] = data["messages"]
        assert "nobody has been able to pick this up" in notice["text"]
        assert "I have a reference from the online sextortion advice service" in notice["text"]
        assert await client.app[HANDOFF].cases.queue("gwent") == []
        assert (await widget_say(client, "hi"))[0]["text"] == "echo: hi"


async def test_leaving_the_queue_and_forget(settings, rasa):
    async with TestClient(TestServer(create_app(settings))) as client:
        await widget_say(client, "a person please")
        [left] = await widget_say(client, payload="/handoff_leave")
        assert "left the queue" in left["text"]
        assert (await widget_say(client, "hi"))[0]["text"] == "echo: hi"
        await widget_say(client, "a person please again")
        handoff = client.app[HANDOFF]
        [case] = await handoff.cases.queue("gwent")
        response = await client.post("/widget/api/forget", json={"session": SESSION})
        assert response.status == 200
        assert await handoff.cases.by_reference(case.reference) is None


async def test_sessions_expire_and_need_the_right_origin(settings, rasa):
    await add_accounts(settings, alice="gwent")
    settings = replace(settings, desk_session_minutes=0.1)  # 6 s, passed on the bot's clock
    async with TestClient(TestServer(create_app(settings))) as client:
        alice = Desk(client, "alice")
        assert await alice.login(Origin="https://evil.example") == 403
        assert await alice.login() == 200
        cookie = alice.cookie
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/desk" in cookie
        assert (await alice.get("me"))[0] == 200
        handoff = client.app[HANDOFF]
        started = handoff.clock()
        handoff.clock = lambda: started + 6.5
        status, body = await alice.get("queue")
        assert status == 401
        token = cookie.split("aic_desk=")[1].split(";")[0]
        response = await client.get("/desk/api/queue", headers={"Cookie": f"aic_desk={token}"})
        assert response.status == 401
        assert (await response.json())["error"] == "session_expired"


async def test_the_desk_page_is_served_with_a_strict_policy(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        response = await client.get("/desk")
        assert response.status == 200
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert (await client.get("/desk/api/queue")).status == 401
