"""bot/ in Welsh: its own messages (the safety message above all) follow the person's language,
and the language it settles on goes to Rasa with every message."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.people import SQLiteStore

WELSH_SAFETY = "Mae'n ddrwg gen i, alla i ddim ateb yn iawn"
ENGLISH_SAFETY = "Sorry, I can't answer properly right now"


def test_responses_pick_the_welsh_variation(responses):
    assert responses.text("utter_frontdoor_unavailable", "widget", "cy").startswith(WELSH_SAFETY)
    assert "0808 164 0123" in responses.text("utter_frontdoor_unavailable", None, "cy")
    assert responses.text("utter_frontdoor_unavailable", "widget").startswith(ENGLISH_SAFETY)
    assert responses.text("utter_frontdoor_unavailable", "widget", "en").startswith(ENGLISH_SAFETY)
    assert (
        responses.text("utter_frontdoor_command_cymraeg", "telegram", "cy") == "Newid i'r Gymraeg"
    )


async def test_welsh_text_goes_to_rasa_as_welsh(conversations, fake_rasa):
    rasa, _ = fake_rasa
    await conversations.handle("widget", "s1", text="helo, dw i angen help")
    assert rasa.received[-1]["metadata"]["language"] == "cy"
    # A one-word answer keeps the language.
    await conversations.handle("widget", "s1", text="ydw")
    assert rasa.received[-1]["metadata"]["language"] == "cy"
    assert await conversations.language("widget", "s1") == "cy"


async def test_the_safety_message_is_welsh_for_a_welsh_writer(conversations, fake_rasa):
    rasa, _ = fake_rasa
    rasa.mode = "status500"
    [reply] = await conversations.handle("telegram", 7, text="mae rhywun yn fy mlacmelio")
    assert reply.text.startswith(WELSH_SAFETY)
    [reply] = await conversations.handle("telegram", 8, text="someone is blackmailing me")
    assert reply.text.startswith(ENGLISH_SAFETY)


async def test_the_door_guess_counts_until_the_person_writes(conversations, fake_rasa):
    rasa, _ = fake_rasa
    rasa.mode = "status500"
    [reply] = await conversations.command("telegram", 9, "start", language_hint="cy")
    assert reply.text.startswith(WELSH_SAFETY)
    rasa.mode = "echo"
    await conversations.handle("telegram", 9, text="I'd like to carry on in English please")
    assert rasa.received[-1]["metadata"]["language"] == "en"


async def test_a_choice_sticks_until_the_next_choice(conversations, fake_rasa):
    rasa, _ = fake_rasa
    [reply] = await conversations.command("telegram", 10, "cymraeg")
    assert reply.text.startswith("Iawn, bydda i'n ateb yn Gymraeg")
    assert rasa.received == []  # nothing sent to Rasa: the triage answers stay as they are
    await conversations.handle("telegram", 10, text="I paid them on PayPal")
    assert rasa.received[-1]["metadata"]["language"] == "cy"
    [reply] = await conversations.command("telegram", 10, "english")
    assert reply.text.startswith("OK, I'll answer in English")
    await conversations.handle("telegram", 10, text="dw i wedi talu ddoe")
    assert rasa.received[-1]["metadata"]["language"] == "en"


async def test_forgetting_answers_in_the_persons_language(conversations):
    await conversations.handle("widget", "s2", text="helo, dw i angen help")
    [reply] = await conversations.forget("widget", "s2")
    assert reply.text.startswith("Dyna ni: rydw i wedi dileu popeth")


async def test_an_older_store_gains_the_language_columns(tmp_path: Path):
    path = tmp_path / "bot.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE people (pseudonym TEXT PRIMARY KEY, channel TEXT NOT NULL, address TEXT"
        " NOT NULL, last_active REAL NOT NULL, offered TEXT NOT NULL DEFAULT '[]', rate_tokens"
        " REAL, rate_updated REAL, rate_told INTEGER NOT NULL DEFAULT 0)"
    )
    old.execute(
        "INSERT INTO people (pseudonym, channel, address, last_active) VALUES ('p', 'w', 'a', 1)"
    )
    old.commit()
    old.close()
    store = await SQLiteStore.open(path)
    try:
        assert await store.language("p") == (None, False)
        await store.set_language("p", "cy", True)
        assert await store.language("p") == ("cy", True)
        assert await store.language("nobody") == (None, False)
    finally:
        await store.close()
