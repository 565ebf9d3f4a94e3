"""addons.redis_tracker_store: Rasa's Redis tracker store merge, same result, linear time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from addons.redis_tracker_store import LinearMergeRedisTrackerStore, merge_trackers
from scripts.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
METADATA = {"language": "en"}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def session_start(at: float, metadata: dict | None = METADATA) -> list[Event]:
    """A session's first events as Rasa's processor writes them for a message with metadata:
    the metadata slot is set just before ``action_session_start``."""
    events: list[Event] = []
    if metadata:
        events.append(SlotSet("session_started_metadata", metadata, timestamp=at))
    events += [
        ActionExecuted("action_session_start", timestamp=at + 0.01),
        SessionStarted(timestamp=at + 0.01),
    ]
    if metadata:
        events.append(SlotSet("session_started_metadata", metadata, timestamp=at + 0.01))
    events.append(ActionExecuted("action_listen", timestamp=at + 0.02))
    return events


def turn(text: str, at: float) -> list[Event]:
    return [
        UserUttered(text, {"name": "greet", "confidence": 0.9}, [], timestamp=at),
        SlotSet("language", "en", timestamp=at),
        ActionExecuted("utter_greet", timestamp=at + 0.1),
        BotUttered("Hello.", {"buttons": None}, timestamp=at + 0.1),
        ActionExecuted("action_listen", timestamp=at + 0.2),
    ]


def tracker(domain: Domain, events: list[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", events, domain.slots)


def dicts(tracker: DialogueStateTracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events]


def assert_same_as_rasa(domain: Domain, stored: list[Event], in_hand: list[Event]) -> None:
    ours = merge_trackers(tracker(domain, stored), tracker(domain, in_hand))
    rasas = RedisTrackerStore._merge_trackers(tracker(domain, stored), tracker(domain, in_hand))
    assert dicts(ours) == dicts(rasas)


def test_a_session_started_with_metadata_merges_as_rasa_without_comparing_every_pair(
    domain, monkeypatch
):
    # What retrieve() hands over is the latest session, which starts after the first SlotSet.
    stored = session_start(1.0) + turn("hello", 2.0) + turn("again", 3.0)
    new = turn("more", 4.0)
    in_hand = stored[1:] + new
    assert_same_as_rasa(domain, stored, in_hand)

    calls = 0
    as_dict = Event.as_dict

    def counted(self: Event) -> dict:
        nonlocal calls
        calls += 1
        return as_dict(self)

    monkeypatch.setattr(Event, "as_dict", counted)
    merged = merge_trackers(tracker(domain, stored), tracker(domain, in_hand))
    assert calls == len(new)  # only the newer events, where Rasa compared every pair
    monkeypatch.undo()
    assert dicts(merged) == [event.as_dict() for event in stored + new]


def test_the_merge_replays_only_the_newer_events(domain, monkeypatch):
    """The stored tracker is already a replay of what Redis holds: Rasa replayed the events in
    hand and the stored ones again, into trackers made only to be read back."""
    stored = session_start(1.0) + turn("hello", 2.0) + turn("again", 3.0)
    new = turn("more", 4.0)
    prior, in_hand = tracker(domain, stored), tracker(domain, stored[1:] + new)
    applied = 0
    update = DialogueStateTracker.update

    def counted(self: DialogueStateTracker, event: Event, domain=None) -> None:
        nonlocal applied
        applied += 1
        update(self, event, domain)

    monkeypatch.setattr(DialogueStateTracker, "update", counted)
    merged = merge_trackers(prior, in_hand)
    monkeypatch.undo()
    assert applied == len(new)
    assert dicts(merged) == [event.as_dict() for event in stored + new]
    assert merged.current_state() == tracker(domain, stored + new).current_state()


def test_a_conversation_past_its_first_session_merges_as_rasa(domain):
    first = session_start(1.0, metadata=None) + turn("hello", 2.0)
    second = session_start(100.0) + turn("back again", 101.0)
    in_hand = second[1:] + turn("and again", 102.0)
    assert_same_as_rasa(domain, first + second, in_hand)


def test_the_tracker_in_hand_is_returned_when_it_is_the_stored_one_plus_new_events(domain):
    stored = session_start(1.0, metadata=None) + turn("hello", 2.0)
    in_hand = tracker(domain, stored + turn("again", 3.0))
    assert merge_trackers(tracker(domain, stored), in_hand) is in_hand
    assert merge_trackers(tracker(domain, []), in_hand) is in_hand


def test_trackers_that_went_apart_merge_as_rasa(domain):
    start = session_start(1.0)
    stored = start + turn("hello", 2.0) + turn("stored only", 3.0)
    # In hand: without the stored-only turn, a newer turn twice and one event older than the
    # last stored one.
    later = turn("in hand", 4.0)
    in_hand = start + turn("hello", 2.0) + later + later[:2] + [SlotSet("paid", True, 2.5)]
    assert_same_as_rasa(domain, stored, in_hand)


def test_the_redis_endpoints_use_it():
    endpoints = yaml.safe_load((ROOT / "deploy" / "endpoints.redis.yml").read_text())
    kind = endpoints["tracker_store"]["type"]
    assert kind == f"{merge_trackers.__module__}.{LinearMergeRedisTrackerStore.__name__}"
    assert issubclass(LinearMergeRedisTrackerStore, RedisTrackerStore)


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.port
    server.stop()


@pytest.mark.parametrize("metadata", [METADATA, None], ids=["with metadata", "without"])
async def test_saved_and_retrieved_through_redis_as_rasas_store_does(domain, redis_port, metadata):
    """The same turns through Rasa's store and ours, each on its own Redis database, as Rasa's
    processor makes them: retrieve, add the turn's events, save. Redis holds the same text and
    retrieve hands over the same tracker, through sessions started with metadata (as bot/'s)
    or without, and a tracker in hand that went apart from the stored one."""
    rasas = RedisTrackerStore(domain, port=redis_port, db=1)
    ours = LinearMergeRedisTrackerStore(domain, port=redis_port, db=2)
    sender = f"someone-{bool(metadata)}"
    first = session_start(1.0, metadata) + turn("hello", 2.0)
    steps = [
        first,
        turn("again", 3.0),
        turn("more", 4.0),
        session_start(100.0, metadata) + turn("back after a while", 101.0),
        turn("and again", 102.0),
    ]
    for step in steps:
        for store in (rasas, ours):
            tracker = await store.retrieve(sender) or store.init_tracker(sender)
            for event in step:
                tracker.update(event)
            await store.save(tracker)
        assert ours.red.get(f"tracker:{sender}") == rasas.red.get(f"tracker:{sender}")
        theirs, mine = await rasas.retrieve(sender), await ours.retrieve(sender)
        assert (dicts(mine), mine.current_state()) == (dicts(theirs), theirs.current_state())
        full_theirs = await rasas.retrieve_full_tracker(sender)
        assert dicts(await ours.retrieve_full_tracker(sender)) == dicts(full_theirs)
    # A tracker in hand that went apart from the stored one: merged as Rasa merges it.
    apart = DialogueStateTracker.from_events(sender, first + turn("elsewhere", 200.0), domain.slots)
    for store in (rasas, ours):
        await store.save(apart)
    assert ours.red.get(f"tracker:{sender}") == rasas.red.get(f"tracker:{sender}")
    assert await ours.retrieve("nobody") is None
