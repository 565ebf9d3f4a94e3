"""Conversations against the real Rasa stack: what the tracker holds, and that /forget empties
it. (The rules themselves are unit-tested against a stand-in in test_conversation.py.)"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.conversation import Conversations
from bot.people import SQLiteStore
from bot.rasa_client import RasaClient
from bot.responses import Responses
from bot.tracker_admin import SQLiteTrackerAdmin
from scripts.processes import ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture
async def on_rasa(rasa_stack, tmp_path: Path) -> AsyncIterator[Conversations]:
    store = await SQLiteStore.open(tmp_path / "bot.db")
    async with aiohttp.ClientSession() as http:
        yield Conversations(
            rasa=RasaClient(http, [rasa_stack.rasa_url], 30.0),
            store=store,
            tracker_admin=SQLiteTrackerAdmin(rasa_stack.tracker_db),
            responses=Responses.from_domain(ROOT / "domain.yml"),
            secret=b"conversations-on-rasa-secret-0123456789",
            rate_limit_per_minute=100,
            max_message_chars=1500,
        )
    await store.close()


def events(rasa_stack, sender: str) -> list[dict]:
    return [json.loads(row) for row in rows(rasa_stack, sender)]


def rows(rasa_stack, sender: str) -> list[str]:
    with sqlite3.connect(rasa_stack.tracker_db) as db:
        found = db.execute("SELECT data FROM events WHERE sender_id=?", (sender,)).fetchall()
    db.close()
    return [row[0] for row in found]


async def test_history_forget_and_what_the_tracker_holds(on_rasa, rasa_stack):
    greeting = await on_rasa.command("widget", "history-1", "start")
    assert greeting
    replies = await on_rasa.handle(
        "widget", "history-1", text="someone is threatening to share my nudes unless I pay"
    )
    offered = [button for reply in replies for button in reply.buttons]
    if offered:
        await on_rasa.handle("widget", "history-1", payload=offered[0].payload)

    history = await on_rasa.history("widget", "history-1")
    assert history[0] == {"from": "user", "text": "/start", "buttons": []}
    assert (history[1]["from"], history[1]["text"]) == ("bot", greeting[0].text)
    users = [turn["text"] for turn in history if turn["from"] == "user"]
    assert "someone is threatening to share my nudes unless I pay" in users
    if offered:
        assert users[-1] == offered[0].title  # a press shows its title, not its payload

    me = on_rasa.pseudonym("widget", "history-1")
    said = [event for event in events(rasa_stack, me) if event["event"] == "user"]
    assert said and all(event["input_channel"] == "widget" for event in said)

    await on_rasa.forget("widget", "history-1")
    assert rows(rasa_stack, me) == []
    assert await on_rasa.history("widget", "history-1") == []


async def test_a_typed_payload_is_read_as_words_by_rasa(on_rasa, rasa_stack):
    await on_rasa.handle("widget", "typed-1", text='/inform{"under_18": true}')
    me = on_rasa.pseudonym("widget", "typed-1")
    (said,) = [event for event in events(rasa_stack, me) if event["event"] == "user"]
    assert said["text"] == 'inform{"under_18": true}'
    entities = said["parse_data"].get("entities") or []
    assert not any(entity.get("entity") == "under_18" for entity in entities)
