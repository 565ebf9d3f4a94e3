"""Rasa's Redis tracker store, with a save and a retrieve that take linear time and replay a
conversation at most once (bench/README.md).

Rasa's ``RedisTrackerStore.save`` merges the tracker stored in Redis with the one in hand.
Unless the one in hand is exactly the stored one plus new events, it compares every event in
hand with every stored event, as dicts: quadratic in the conversation's length. That happened
on every turn of a conversation whose first message carried metadata, as every message from
bot/ does: Rasa sets the ``session_started_metadata`` slot just before
``action_session_start``, and the latest session, which ``retrieve`` hands over, starts after
it. At ~100 events it cost Rasa ~8 ms of CPU a turn, a third of its time; it also happens in
every conversation that has outlived a session.

Here the merge keeps what Rasa's keeps, the stored events and then each event in hand that is
not among them (compared as dicts), without the quadratic scan: the events in hand up to the
stored tracker's last event are usually the stored tracker's tail, and then only the newer
ones need adding; otherwise a set of the events as JSON replaces the scan.

Rasa also rebuilt trackers only to read their events back: a save replayed the stored
conversation event by event (``deserialise_tracker``), the events in hand again
(``travel_back_in_time``) and, for such a conversation, the stored ones once more into the
merged tracker, which is then written out as its events alone; ``retrieve`` replayed the whole
conversation, then its latest session again. Here a save replays nothing and ``retrieve``
replays the latest session once. Same keys and values in Redis as Rasa's store, and the same
trackers handed over. Use it in endpoints as
``type: addons.redis_tracker_store.LinearMergeRedisTrackerStore``.
"""

from __future__ import annotations

import itertools
import json
import logging

from rasa.core.tracker_store import RedisTrackerStore, TrackerDeserialisationException
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import ActionExecuted, Event, split_events
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


class LinearMergeRedisTrackerStore(RedisTrackerStore):
    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """As Rasa's: the stored conversation merged with the one in hand, written as events."""
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        events = list(tracker.events)
        stored = self.red.get(key)
        if stored is not None:
            events = merged_events(stored_events(stored), events) or events
        dialogue = Dialogue(tracker.sender_id, events)
        self.red.set(key, json.dumps(dialogue.as_dict()), ex=timeout)

    async def _retrieve(
        self, sender_id: str, fetch_all_sessions: bool
    ) -> DialogueStateTracker | None:
        if fetch_all_sessions:
            return await super()._retrieve(sender_id, fetch_all_sessions)
        stored = self.red.get(self.key_prefix + sender_id)
        if stored is None:
            logger.debug("Could not find tracker for conversation ID '%s'.", sender_id)
            return None
        return latest_session(self.init_tracker(sender_id), stored_events(stored))

    @staticmethod
    def _merge_trackers(
        prior_tracker: DialogueStateTracker, tracker: DialogueStateTracker
    ) -> DialogueStateTracker:
        return merge_trackers(prior_tracker, tracker)


def stored_events(serialised: str | bytes) -> list[Event]:
    """The events of a tracker as Rasa's Redis store writes it, not replayed."""
    try:
        return Dialogue.from_parameters(json.loads(serialised)).events
    except UnicodeDecodeError as error:  # as Rasa's deserialise_tracker
        raise TrackerDeserialisationException(
            "Tracker cannot be deserialised. Trackers must be serialised as json."
        ) from error


def latest_session(empty: DialogueStateTracker, events: list[Event]) -> DialogueStateTracker:
    """What Rasa's ``retrieve`` hands over: the conversation's latest session (from its last
    ``action_session_start``), replayed into ``empty``'s kind of tracker."""
    sessions = split_events(
        events,
        ActionExecuted,
        {"action_name": ACTION_SESSION_START_NAME},
        include_splitting_event=True,
    )
    if len(sessions) <= 1:
        empty.recreate_from_dialogue(Dialogue(empty.sender_id, events))
        return empty
    return DialogueStateTracker.from_events(
        empty.sender_id,
        sessions[-1],
        empty.slots.values(),
        sender_source=empty.sender_source,
        max_event_history=empty._max_event_history,
    )


def merged_events(stored: list[Event], in_hand: list[Event]) -> list[Event] | None:
    """The events of ``RedisTrackerStore._merge_trackers``'s result, in linear time, or None
    when that result is the tracker in hand as it is."""
    if not stored:
        return None
    last_stored = stored[-1].timestamp
    # As Rasa: the events in hand up to the first one later than the last stored one.
    past = list(itertools.takewhile(lambda event: event.timestamp <= last_stored, in_hand))
    if past == stored:
        return None
    newer = in_hand[len(past) :]
    if (
        len(past) <= len(stored)
        and stored[len(stored) - len(past) :] == past
        and all(event.timestamp <= last_stored for event in stored)
        and all(event.timestamp > last_stored for event in newer)
    ):
        # The usual case: the events in hand so far are the stored tracker's tail (equal as
        # Rasa's own check above judges), and the newer ones are all later than any stored
        # event, so none of them can equal a stored one.
        seen: set[str] = set()
    else:
        seen = {_as_key(event) for event in stored}
        newer = in_hand
    merged = list(stored)
    for event in newer:
        key = _as_key(event)
        if key not in seen:
            merged.append(event)
            seen.add(key)
    return merged


def merge_trackers(
    prior_tracker: DialogueStateTracker, tracker: DialogueStateTracker
) -> DialogueStateTracker:
    """``RedisTrackerStore._merge_trackers``'s result: ``prior_tracker`` is what Redis holds,
    ``tracker`` the conversation in hand (often its latest session only)."""
    stored = list(prior_tracker.events)
    events = merged_events(stored, list(tracker.events))
    if events is None:
        return tracker
    # Rasa replays the stored events into a copy of the tracker in hand; ``prior_tracker`` is
    # that replay already (the same domain's slots, made from Redis for this merge alone).
    for event in events[len(stored) :]:
        prior_tracker.update(event)
    return prior_tracker


def _as_key(event: Event) -> str:
    # Rasa compares events by as_dict(); equal dicts give equal canonical JSON.
    return json.dumps(event.as_dict(), sort_keys=True, default=repr)
