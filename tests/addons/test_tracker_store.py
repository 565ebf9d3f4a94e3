"""addons.tracker_store: Rasa's SQL tracker store, faster, storing and reading the same rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from addons.tracker_store import PooledSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _turn(text: str, intent: str, timestamp: float) -> list:
    return [
        UserUttered(
            text,
            {"name": intent, "confidence": 0.9},
            [{"entity": "language", "value": "en", "start": 0, "end": len(text)}],
            timestamp=timestamp,
        ),
        SlotSet("language", "en", timestamp=timestamp),
        ActionExecuted("utter_greet", timestamp=timestamp + 0.1),
        BotUttered(
            "Hello",
            {"buttons": [{"title": "Yes", "payload": "/affirm"}]},
            timestamp=timestamp + 0.1,
        ),
        ActionExecuted("action_listen", timestamp=timestamp + 0.2),
    ]


def _tracker(domain: Domain, sender: str, events: list) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, events, domain.slots)


def _dicts(tracker: DialogueStateTracker | None) -> list[dict]:
    assert tracker is not None
    return [event.as_dict() for event in tracker.events]


async def test_it_reads_what_rasas_store_wrote_and_the_other_way_round(domain, tmp_path):
    db = str(tmp_path / "tracker.db")
    ours, rasas = PooledSQLTrackerStore(domain, db=db), SQLTrackerStore(domain, db=db)
    first = _tracker(
        domain,
        "a",
        [
            ActionExecuted("action_session_start", timestamp=1.0),
            SessionStarted(timestamp=1.0),
            *_turn("hi", "greet", 2.0),
        ],
    )
    await rasas.save(first)
    assert _dicts(await ours.retrieve("a")) == _dicts(first)

    second = _tracker(domain, "b", _turn("hello", "greet", 5.0))
    await ours.save(second)
    assert _dicts(await rasas.retrieve("b")) == _dicts(second)
    assert _dicts(await ours.retrieve("b")) == _dicts(second)
    assert set(await ours.keys()) == {"a", "b"}


async def test_saving_again_adds_only_the_new_events(domain, tmp_path):
    store = PooledSQLTrackerStore(domain, db=str(tmp_path / "tracker.db"))
    tracker = _tracker(domain, "a", _turn("hi", "greet", 1.0))
    await store.save(tracker)
    await store.save(tracker)
    for event in _turn("yes", "affirm", 3.0):
        tracker.update(event)
    await store.save(tracker)
    loaded = await store.retrieve("a")
    assert _dicts(loaded) == _dicts(tracker) and len(loaded.events) == 10
    assert loaded.get_slot("language") == "en"
    assert loaded.latest_message.intent["name"] == "affirm"


async def test_only_the_last_session_is_loaded_unless_all_are_asked_for(domain, tmp_path):
    store = PooledSQLTrackerStore(domain, db=str(tmp_path / "tracker.db"))
    earlier = [SessionStarted(timestamp=1.0), *_turn("hi", "greet", 2.0)]
    later = [
        ActionExecuted("action_session_start", timestamp=10.0),
        SessionStarted(timestamp=10.0),
        *_turn("again", "greet", 11.0),
    ]
    await store.save(_tracker(domain, "a", [*earlier, *later]))
    assert [e["event"] for e in _dicts(await store.retrieve("a"))][:2] == [
        "action",
        "session_started",
    ]
    assert len((await store.retrieve("a")).events) == len(later)
    assert len((await store.retrieve_full_tracker("a")).events) == len(earlier) + len(later)
    assert await store.retrieve("nobody") is None


async def test_the_database_is_in_wal_mode(domain, tmp_path):
    db = tmp_path / "tracker.db"
    store = PooledSQLTrackerStore(domain, db=str(db))
    await store.save(_tracker(domain, "a", _turn("hi", "greet", 1.0)))
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        # Another process (bot/'s retention and /forget) deletes rows while Rasa holds its pool.
        connection.execute("DELETE FROM events WHERE sender_id = 'a'")
    assert await store.retrieve("a") is None


async def test_endpoints_yml_names_it(domain, tmp_path):
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    assert config.type == "addons.tracker_store.PooledSQLTrackerStore"
    local = EndpointConfig(type=config.type, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    store = TrackerStore.create(local, domain)
    assert isinstance(getattr(store, "_tracker_store", store), PooledSQLTrackerStore)
