"""The front-door rules every door gets from Conversations, against a stand-in Rasa."""

from __future__ import annotations

import asyncio
import sqlite3
import unicodedata

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation import Conversations, clean_text, payload_with_entity
from bot.messages import Button, Reply
from bot.pseudonym import pseudonym
from bot.rasa_client import RasaClient
from tests.bot.conftest import SECRET

UNAVAILABLE = "[utter_frontdoor_unavailable] 101 999 116 123"
YES = {"title": "Yes", "payload": "/affirm"}
BIDI_OVERRIDES = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
PLATFORM = {"title": "Instagram", "payload": '/inform{"platform":"instagram"}'}


def texts(replies: list[Reply]) -> list[str]:
    return [reply.text for reply in replies]


async def test_a_message_reaches_rasa_under_a_pseudonym_only(conversations, fake_rasa):
    rasa, _ = fake_rasa
    replies = await conversations.handle("telegram", 123456789, text="hello")
    assert texts(replies) == ["echo: hello"]
    sent = rasa.received[-1]
    assert sent["sender"] == pseudonym(SECRET, "telegram", 123456789)
    assert sent["input_channel"] == "telegram"
    assert "123456789" not in str(sent)


async def test_rasa_buttons_become_reply_buttons(conversations, fake_rasa):
    rasa, _ = fake_rasa
    rasa.buttons = [YES, PLATFORM]
    (reply,) = await conversations.handle("widget", "s1", text="hi")
    assert reply.buttons == (Button("Yes", "/affirm"), Button("Instagram", PLATFORM["payload"]))


@pytest.mark.parametrize("typed", ["/affirm", "//affirm", " / /affirm", '/inform{"platform":"x"}'])
async def test_typed_text_is_never_a_payload(conversations, fake_rasa, typed):
    rasa, _ = fake_rasa
    await conversations.handle("widget", "s1", text=typed)
    assert not rasa.received[-1]["message"].startswith("/")


async def test_an_offered_payload_is_forwarded_with_its_title(conversations, fake_rasa):
    rasa, _ = fake_rasa
    rasa.buttons = [YES, PLATFORM]
    await conversations.handle("widget", "s1", text="hi")
    await conversations.handle("widget", "s1", payload=PLATFORM["payload"])
    # The payload as offered, with the turn's language as one more entity (Rasa's pipeline,
    # addons/message_language.py, never sees a payload, so bot/ puts the language in it).
    assert rasa.received[-1]["message"] == '/inform{"platform": "instagram", "language": "en"}'
    assert rasa.received[-1]["metadata"]["display_text"] == "Instagram"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("/affirm", '/affirm{"language": "cy"}'),
        ('/inform{"platform":"snapchat"}', '/inform{"platform": "snapchat", "language": "cy"}'),
        ('/inform{"language":"en"}', '/inform{"language": "cy"}'),
        ("/affirm{not json", "/affirm{not json"),
        ("/affirm@0.9", '/affirm@0.9{"language": "cy"}'),
        ('/inform["a list"]', '/inform["a list"]'),
    ],
)
def test_a_payload_carries_the_language(payload, expected):
    assert payload_with_entity(payload, "language", "cy") == expected


async def test_a_payload_never_offered_is_only_text(conversations, fake_rasa):
    rasa, _ = fake_rasa
    rasa.buttons = [YES]
    await conversations.handle("widget", "s1", text="hi")
    await conversations.handle("widget", "s1", payload='/inform{"age":"30"}')
    assert rasa.received[-1]["message"] == 'inform{"age":"30"}'


async def test_a_payload_offered_to_someone_else_is_only_text(conversations, fake_rasa):
    rasa, _ = fake_rasa
    rasa.buttons = [YES]
    await conversations.handle("widget", "alice", text="hi")
    await conversations.handle("widget", "bob", payload="/affirm")
    assert rasa.received[-1]["message"] == "affirm"


async def test_commands_send_their_trusted_payloads(conversations, fake_rasa):
    rasa, _ = fake_rasa
    await conversations.command("telegram", 1, "start")
    await conversations.command("telegram", 1, "help")
    await conversations.command("telegram", 1, "restart")
    assert [r["message"] for r in rasa.received] == [
        '/greet{"language": "en"}',
        '/bot_capabilities{"language": "en"}',
        '/restart{"language": "en"}',
    ]


async def test_restart_without_a_reply_greets(conversations, fake_rasa):
    rasa, _ = fake_rasa
    rasa.mode = "empty"
    replies = await conversations.command("telegram", 1, "restart")
    assert [r["message"] for r in rasa.received] == [
        '/restart{"language": "en"}',
        '/greet{"language": "en"}',
    ]
    assert rasa.received[-1]["metadata"]["hidden"] is True
    assert texts(replies) == [UNAVAILABLE]  # the greeting got no answer either


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x07", "/", " // "])
async def test_empty_messages_get_the_empty_response(conversations, fake_rasa, text):
    rasa, _ = fake_rasa
    assert texts(await conversations.handle("widget", "s1", text=text)) == [
        "[utter_frontdoor_empty]"
    ]
    assert rasa.received == []


async def test_over_long_messages_are_refused(conversations, fake_rasa):
    rasa, _ = fake_rasa
    replies = await conversations.handle("widget", "s1", text="x" * 101)
    assert texts(replies) == ["[utter_frontdoor_too_long]"]
    assert texts(await conversations.handle("widget", "s1", text="x" * 100)) == [
        "echo: " + "x" * 100
    ]
    assert len(rasa.received) == 1


async def test_control_characters_never_reach_rasa(conversations, fake_rasa):
    rasa, _ = fake_rasa
    await conversations.handle("widget", "s1", text="he\x00l\x1blo\u202e there\r\nfriend")
    assert rasa.received[-1]["message"] == "hello there\nfriend"


async def test_rate_limit_says_so_once_then_stays_quiet(make_conversations, fake_rasa, clock):
    rasa, _ = fake_rasa
    conversations = make_conversations(rate_limit_per_minute=3)
    for _ in range(3):
        assert texts(await conversations.handle("widget", "s1", text="hi")) == ["echo: hi"]
    assert texts(await conversations.handle("widget", "s1", text="hi")) == [
        "[utter_frontdoor_rate_limited]"
    ]
    assert await conversations.handle("widget", "s1", text="hi") == []
    assert texts(await conversations.handle("widget", "other", text="hi")) == ["echo: hi"]
    clock.now += 20  # one token back (3 a minute)
    assert texts(await conversations.handle("widget", "s1", text="hi")) == ["echo: hi"]
    assert len(rasa.received) == 5  # 3 + "other" + the one after the refill


@pytest.mark.parametrize("mode", ["status500", "garbage", "not_a_list", "slow", "empty"])
async def test_rasa_failing_gets_the_safety_message(make_conversations, fake_rasa, mode):
    rasa, _ = fake_rasa
    rasa.mode = mode
    conversations = make_conversations(rasa_timeout=0.3)
    assert texts(await conversations.handle("telegram", 1, text="help me")) == [UNAVAILABLE]


async def test_rasa_down_gets_the_safety_message(make_conversations, fake_rasa, unused_tcp_port):
    async with aiohttp.ClientSession() as http:
        down = RasaClient(http, [f"http://127.0.0.1:{unused_tcp_port}"], 1.0)
        conversations = make_conversations(rasa=down)
        assert texts(await conversations.handle("telegram", 1, text="hi")) == [UNAVAILABLE]
        assert texts(await conversations.command("telegram", 1, "start")) == [UNAVAILABLE]


async def test_one_persons_turns_are_processed_in_order(conversations, fake_rasa):
    rasa, _ = fake_rasa
    words = [f"message {i}" for i in range(8)]
    await asyncio.gather(*(conversations.handle("widget", "s1", text=w) for w in words))
    assert [r["message"] for r in rasa.received] == words
    assert rasa.max_in_flight == 1


async def test_different_people_are_not_queued_behind_each_other(conversations, fake_rasa):
    rasa, _ = fake_rasa
    await asyncio.gather(*(conversations.handle("widget", f"s{i}", text="hi") for i in range(5)))
    assert rasa.max_in_flight > 1


class HeldButtons:
    """The store, with each write of the buttons offered held until ``release`` is set (then
    failing with ``fail``, if given): the answer goes out before the write lands."""

    def __init__(self, store) -> None:
        self._store = store
        self.fail: Exception | None = None
        self.release = asyncio.Event()
        self.writes = 0

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def set_offered(self, pseudonym_, buttons) -> None:
        await self.release.wait()
        self.writes += 1
        if self.fail is not None:
            raise self.fail
        await self._store.set_offered(pseudonym_, buttons)


@pytest.fixture
def held(make_conversations, fake_rasa, store) -> tuple[HeldButtons, Conversations]:
    """Conversations on a store whose buttons are held (HeldButtons); Rasa offers "Yes"."""
    rasa, _ = fake_rasa
    rasa.buttons = [YES]
    slow = HeldButtons(store)
    return slow, make_conversations(store=slow)


async def test_a_press_as_soon_as_the_answer_arrives_is_checked_against_its_buttons(
    held, fake_rasa, store
):
    rasa, _ = fake_rasa
    slow, conversations = held
    # The answer is back while its buttons are still being stored.
    assert texts(await conversations.handle("widget", "s1", text="hi")) == ["echo: hi"]
    assert await store.offered(conversations.pseudonym("widget", "s1")) == ()
    # The press waits for them, and goes to Rasa as the button it is.
    press = asyncio.create_task(conversations.handle("widget", "s1", payload="/affirm"))
    await asyncio.sleep(0.05)
    assert not press.done() and len(rasa.received) == 1
    slow.release.set()
    await press
    assert rasa.received[-1]["message"] == '/affirm{"language": "en"}'
    assert rasa.received[-1]["metadata"]["display_text"] == "Yes"
    # A door's own lookup (Telegram's, for a press) waits for the write too.
    assert await conversations.offered("widget", "s1") == (Button("Yes", "/affirm"),)


async def test_buttons_that_cannot_be_stored_leave_the_answer_and_the_next_turn(held):
    slow, conversations = held
    slow.fail = ConnectionError("store gone")
    slow.release.set()
    assert texts(await conversations.handle("widget", "s1", text="hi")) == ["echo: hi"]
    # The press is not known for one, so it arrives as the text it is, and is answered.
    assert texts(await conversations.handle("widget", "s1", payload="/affirm")) == ["echo: affirm"]
    await conversations.settle()
    assert slow.writes == 2


async def test_forgetting_at_once_leaves_no_buttons_behind(held, store):
    slow, conversations = held
    await conversations.handle("widget", "s1", text="hi")
    forgetting = asyncio.create_task(conversations.forget("widget", "s1"))
    await asyncio.sleep(0.05)
    slow.release.set()
    assert texts(await forgetting) == ["[utter_frontdoor_forgotten]"]
    # The write went first, the erasure after it: nothing of the person is left.
    me = conversations.pseudonym("widget", "s1")
    assert slow.writes == 1
    assert await store.address(me) is None and await store.offered(me) == ()


async def test_settle_waits_for_the_buttons_still_being_stored(held, store):
    slow, conversations = held
    for person in ("a", "b"):
        await conversations.handle("widget", person, text="hi")
    settling = asyncio.create_task(conversations.settle())
    await asyncio.sleep(0.05)
    assert not settling.done()
    slow.release.set()
    await settling
    for person in ("a", "b"):
        assert await store.offered(conversations.pseudonym("widget", person)) == (
            Button("Yes", "/affirm"),
        )


async def test_history_shows_titles_not_payloads(conversations, fake_rasa):
    rasa, _ = fake_rasa
    rasa.buttons = [YES]
    await conversations.handle("widget", "s1", text="hi")
    await conversations.handle("widget", "s1", payload="/affirm")
    history = await conversations.history("widget", "s1")
    assert [(t["from"], t["text"]) for t in history] == [
        ("user", "hi"),
        ("bot", "echo: hi"),
        ("user", "Yes"),
        ("bot", 'echo: /affirm{"language": "en"}'),
    ]
    assert history[1]["buttons"] == [YES]


async def test_forget_deletes_the_tracker_rows_and_bot_state(conversations, fake_rasa, tmp_path):
    rasa, _ = fake_rasa
    rasa.buttons = [YES]
    tracker = tmp_path / "tracker.db"
    with sqlite3.connect(tracker) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        me = conversations.pseudonym("telegram", 42)
        db.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            [(me, "a"), (me, "b"), ("someone-else", "c")],
        )
    db.close()
    await conversations.handle("telegram", 42, text="hi")
    assert await conversations.address(me) is not None

    assert texts(await conversations.forget("telegram", 42)) == ["[utter_frontdoor_forgotten]"]

    assert await conversations.address(me) is None
    assert await conversations.offered("telegram", 42) == ()
    with sqlite3.connect(tracker) as db:
        assert db.execute("SELECT sender_id FROM events").fetchall() == [("someone-else",)]
    db.close()


async def test_forget_without_a_tracker_file_still_forgets(conversations, tmp_path):
    await conversations.handle("telegram", 42, text="hi")
    assert texts(await conversations.forget("telegram", 42)) == ["[utter_frontdoor_forgotten]"]
    assert not (tmp_path / "tracker.db").exists()  # never created where Rasa keeps its own


async def test_forget_inactive_erases_only_the_idle(conversations, clock):
    await conversations.handle("widget", "old", text="hi")
    clock.now += 3600
    await conversations.handle("widget", "new", text="hi")
    assert await conversations.forget_inactive(1800) == 1
    assert await conversations.address(conversations.pseudonym("widget", "old")) is None
    assert await conversations.address(conversations.pseudonym("widget", "new")) is not None


async def test_notice_answers_under_the_rate_limit(make_conversations, fake_rasa):
    rasa, _ = fake_rasa
    conversations = make_conversations(rate_limit_per_minute=1)
    assert texts(await conversations.notice("telegram", 1, "utter_frontdoor_no_media")) == [
        "[utter_frontdoor_no_media]"
    ]
    assert texts(await conversations.notice("telegram", 1, "utter_frontdoor_no_media")) == [
        "[utter_frontdoor_rate_limited]"
    ]
    assert await conversations.notice("telegram", 1, "utter_frontdoor_no_media") == []
    assert rasa.received == []


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("hello", "hello"),
        ("  /start  ", "start"),
        ("a\u2028b", "a\nb"),
        ("tab\there", "tab here"),
        ("emoji 👩‍👩‍👧 stays", "emoji 👩‍👩‍👧 stays"),
        ("\ud800lone surrogate", "lone surrogate"),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


@settings(max_examples=2000)
# Lone surrogates included (Hypothesis leaves category Cs out unless told).
@given(st.text(alphabet=st.characters(exclude_categories=())))
def test_clean_text_drops_exactly_control_characters_surrogates_and_overrides(raw):
    text = raw.replace("\r\n", "\n")
    text = text.translate({ord("\r"): "\n", 0x2028: "\n", 0x2029: "\n", ord("\t"): " "})
    kept = "".join(
        ch
        for ch in text
        if ch == "\n" or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in BIDI_OVERRIDES)
    ).strip()
    while kept.startswith("/"):
        kept = kept.lstrip("/").strip()
    assert clean_text(raw) == kept
