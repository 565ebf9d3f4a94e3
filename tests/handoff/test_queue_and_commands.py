"""The hand-off inside bot/ apps (real domain, a stand-in Rasa), through their HTTP routes: places
in the queue pushed as they change, the doors' commands during a hand-off, Welsh, and two
replicas sharing one desk on Redis."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import CONVERSATIONS
from bot.handoff import HANDOFF
from bot.handoff.cases_redis import RedisCaseStore
from bot.handoff.passwords import hash_password
from tests.handoff.apps import PASSWORD, Desk, add_accounts

ENGLISH_LEAVE = "Leave and go back to the assistant"
WELSH_LEAVE = "Gadael a mynd yn ôl at y cynorthwyydd"


class Person:
    """One widget session: what it sends and what the hand-off feed gives it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.session = secrets.token_hex(16)
        self.cursor: int | None = None

    async def post(self, **body) -> list[dict]:
        body = {"session": self.session, "id": secrets.token_hex(16), **body}
        response = await self.client.post("/widget/api/message", json=body)
        assert response.status == 200
        return (await response.json())["replies"]

    async def say(self, text: str) -> list[dict]:
        return await self.post(text=text)

    async def press(self, replies: list[dict], title: str) -> list[dict]:
        [payload] = [b["payload"] for r in replies for b in r["buttons"] if b["title"] == title]
        return await self.post(payload=payload)

    async def feed(self) -> dict:
        response = await self.client.post(
            "/widget/api/handoff", json={"session": self.session, "after": self.cursor}
        )
        assert response.status == 200
        data = await response.json()
        self.cursor = data["cursor"]
        return data

    async def notices(self) -> list[str]:
        return [m["text"] for m in (await self.feed())["messages"] if m["from"] == "notice"]


def texts(replies: list[dict]) -> str:
    return "\n".join(r["text"] for r in replies)


async def test_people_waiting_are_told_each_new_place_once(settings, rasa):
    await add_accounts(settings, alice="gwent")
    async with TestClient(TestServer(create_app(settings))) as client:
        first, second, third = Person(client), Person(client), Person(client)
        for number, person in enumerate((first, second, third), start=1):
            [reply] = await person.say("a person please")
            assert ("you're next" if number == 1 else f"number {number}") in reply["text"]
            await person.feed()  # the page has loaded the open case

        alice = Desk(client, "alice")
        await alice.login()
        _, queue = await alice.get("queue")
        references = [c["reference"] for c in queue["cases"]]
        assert (await alice.post(f"cases/{references[0]}/claim"))[0] == 200
        assert await second.notices() == [
            "You're next in the queue: a person at Gwent Police should join this chat soon."
        ]
        [moved] = await third.notices()
        assert "number 2" in moved and "Gwent Police" in moved

        # Nothing changed for them: no message, whatever else happens meanwhile.
        [still] = await second.say("are you still there?")
        assert "number 1" in still["text"]
        await client.app[HANDOFF].tick()
        assert await second.notices() == [] and await third.notices() == []

        # The one ahead leaves: the last one is next now, and told so once.
        await second.post(payload="/handoff_leave")
        assert await third.notices() == [
            "You're next in the queue: a person at Gwent Police should join this chat soon."
        ]
        await client.app[HANDOFF].tick()
        assert await third.notices() == []

        # The desk never sees the place updates, only what the person and the handler said.
        _, case = await alice.get(f"cases/{references[2]}")
        assert [m["from"] for m in case["messages"]] == []


async def test_start_and_restart_in_a_hand_off_ask_first_and_help_keeps_the_case(settings, rasa):
    await add_accounts(settings, alice="gwent")
    async with TestClient(TestServer(create_app(settings))) as client:
        person = Person(client)
        await person.say("a person please")
        alice = Desk(client, "alice")
        await alice.login()
        reference = (await alice.get("queue"))[1]["cases"][0]["reference"]
        await alice.post(f"cases/{reference}/claim")
        sent = len(rasa.received)

        help_replies = await client.app[CONVERSATIONS].command("widget", person.session, "help")
        [help_reply] = help_replies
        assert f'press "{ENGLISH_LEAVE}"' in help_reply.text
        for number in ("999", "101", "116 123"):
            assert number in help_reply.text
        assert [b.title for b in help_reply.buttons] == [ENGLISH_LEAVE]

        for command in ("restart", "start"):
            [confirm] = await person.post(command=command)
            assert "Do you want to leave and start again" in confirm["text"]
            titles = [b["title"] for b in confirm["buttons"]]
            assert titles == ["Yes, leave and start again", "No, stay connected"]
            [stay] = await person.press([confirm], "No, stay connected")
            assert "still connected" in stay["text"]
        assert len(rasa.received) == sent  # Rasa heard none of it
        _, case = await alice.get(f"cases/{reference}")
        assert case["state"] == "live"

        [confirm] = await person.post(command="restart")
        replies = await person.press([confirm], "Yes, leave and start again")
        assert "You've left the queue" in replies[0]["text"]
        assert replies[1]["text"] == 'echo: /restart{"language": "en"}'
        assert rasa.received[-1] == '/restart{"language": "en"}'
        _, case = await alice.get(f"cases/{reference}")
        assert case["state"] == "left" and case["outcome"] == "person left"
        assert case["messages"][-1]["from"] == "notice"
        assert case["messages"][-1]["text"].startswith("You've left the queue")
        # The person saw it as the answer to their press: the widget's feed does not repeat it.
        assert all("left" not in m["text"] for m in (await person.feed())["messages"])
        assert (await person.say("hello"))[0]["text"] == "echo: hello"
        # An old confirmation pressed later starts again, and nothing else.
        again = await person.press([confirm], "Yes, leave and start again")
        assert [r["text"] for r in again] == ['echo: /restart{"language": "en"}']


async def test_a_welsh_speaker_gets_every_hand_off_message_in_welsh(settings, rasa):
    await add_accounts(settings, alice="gwent")
    async with TestClient(TestServer(create_app(settings))) as client:
        person, behind = Person(client), Person(client)
        await person.post(command="cymraeg")
        await behind.post(command="cymraeg")
        [waiting] = await person.say("person plis")
        assert "a chi sydd nesaf" in waiting["text"] and "Heddlu Gwent" in waiting["text"]
        assert [b["title"] for b in waiting["buttons"]] == [WELSH_LEAVE]
        [behind_waiting] = await behind.say("person plis")
        assert "Rydych chi'n rhif 2 yn y ciw" in behind_waiting["text"]
        await person.feed()
        await behind.feed()

        alice = Desk(client, "alice")
        await alice.login()
        references = [c["reference"] for c in (await alice.get("queue"))[1]["cases"]]
        await alice.post(f"cases/{references[0]}/claim")
        data = await person.feed()
        assert data["leave"]["title"] == WELSH_LEAVE and data["label"] == "Person yn Heddlu Gwent:"
        [joined] = [m["text"] for m in data["messages"]]
        assert joined.startswith("Mae person yn Heddlu Gwent wedi ymuno")
        assert await behind.notices() == [
            "Chi sydd nesaf yn y ciw: dylai person yn Heddlu Gwent ymuno â'r sgwrs hon cyn hir."
        ]
        await alice.post(f"cases/{references[0]}/messages", {"text": "Hello, how can I help?"})
        [said] = (await person.feed())["messages"]
        assert said["label"] == "Person yn Heddlu Gwent:"
        # The desk reads bot/'s notices in English.
        _, case = await alice.get(f"cases/{references[0]}")
        notices = [m["text"] for m in case["messages"] if m["from"] == "notice"]
        assert notices[0].startswith("A person at Gwent Police has joined the chat")
        await alice.post(f"cases/{references[0]}/close", {"outcome": "advice given"})
        [ended] = await person.notices()
        assert ended.startswith("Mae'r person yn Heddlu Gwent wedi gadael y sgwrs")

        # The one behind waits too long: the reference and the 101 details, in Welsh.
        client.app[HANDOFF]._wait_seconds = 0
        await client.app[HANDOFF].tick()
        [referred] = await behind.notices()
        assert "Cyfeirnod eich achos ydy" in referred and "Ffoniwch Heddlu Gwent ar 101" in referred
        assert "Efallai y bydd ei gyfrifon Facebook ac X" in referred  # extra_cy


async def test_out_of_hours_in_welsh_names_the_force_and_the_sentence_to_say(settings, rasa):
    settings = replace(settings, handoff_hours="gwent=closed")
    async with TestClient(TestServer(create_app(settings))) as client:
        person = Person(client)
        await person.post(command="cymraeg")
        [reply] = await person.say("person plis")
        text = reply["text"]
        assert text.startswith("Does neb ar y ddesg ar-lein yn Heddlu Gwent")
        assert "Mae gen i gyfeirnod gan y gwasanaeth cyngor ar-lein am flacmel rhywiol" in text
        reference = text.split("Cyfeirnod eich achos ydy ")[1][:7]
        case = await client.app[HANDOFF].cases.by_reference(reference)
        assert case is not None and case.state == "referred"


# --- Two replicas, one Redis ------------------------------------------------------------------


async def test_two_replicas_on_one_redis_share_the_desk_and_its_live_events(
    settings, rasa, redis_server
):
    settings = replace(settings, redis_url=redis_server.url)
    store = await RedisCaseStore.open(redis_server.url)
    await store.add_account("alice", "gwent", hash_password(PASSWORD), 0)
    await store.close()
    one = TestClient(TestServer(create_app(settings)))
    two = TestClient(TestServer(create_app(replace(settings, data_dir=settings.data_dir / "2"))))
    async with one, two:
        alice = Desk(two, "alice")
        assert await alice.login() == 200
        jar = alice.http.cookie_jar
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:
            # Each replica hears the desk channel before anything happens.
            for client in (one, two):
                await asyncio.wait_for(client.app[HANDOFF].hub.subscribed.wait(), 10)
            async with browser.ws_connect(f"{alice.base}/desk/ws") as ws:
                person = Person(one)
                await person.say("a person please")
                event = await ws.receive_json(timeout=10)
                assert event == {"type": "queue"}  # replica 2's desk saw replica 1's case
                [brief] = (await alice.get("queue"))[1]["cases"]
                await person.say("are you there?")
                assert await ws.receive_json(timeout=10) == {
                    "type": "case",
                    "reference": brief["reference"],
                }
        assert (await alice.post(f"cases/{brief['reference']}/claim"))[0] == 200
        await alice.post(f"cases/{brief['reference']}/messages", {"text": "I'm here to help."})
        data = await person.feed()
        assert [m["text"] for m in data["messages"] if m["from"] == "person"] == [
            "I'm here to help."
        ]
        _, case = await alice.get(f"cases/{brief['reference']}")
        assert [m["text"] for m in case["messages"] if m["from"] == "user"] == ["are you there?"]


# --- The case store down at start ---------------------------------------------------------------


async def test_bot_starts_without_its_case_store_and_the_hand_off_works_once_it_opens(
    settings, rasa, tmp_path
):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data folder should be")
    settings = replace(settings, data_dir=blocked)
    async with TestClient(TestServer(create_app(settings))) as client:
        person = Person(client)
        [reply] = await person.say("hello")
        assert all(number in reply["text"] for number in ("101", "999", "116 123"))
        alice = Desk(client, "alice")
        assert await alice.login() == 503
        assert (
            await client.post("/widget/api/handoff", json={"session": person.session})
        ).status == 503
        blocked.unlink()
        await asyncio.sleep(1.1)  # the stores are tried again at most once a second
        [waiting] = await person.say("a person please")
        assert "you're next" in waiting["text"]
        assert (await person.feed())["active"] is True
        await add_accounts(settings, alice="gwent")
        assert await alice.login() == 200
        assert len((await alice.get("queue"))[1]["cases"]) == 1
