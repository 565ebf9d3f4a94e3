"""Rasa's Redis tracker store, with a save that takes linear time (README, Load).

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
ones need adding; otherwise a set of the events as JSON replaces the scan. Same keys and
values in Redis as Rasa's store. Use it in endpoints as
``type: addons.redis_tracker_store.LinearMergeRedisTrackerStore``.
"""

from __future__ import annotations

import json

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker


class LinearMergeRedisTrackerStore(RedisTrackerStore):
    @staticmethod
    def _merge_trackers(
        prior_tracker: DialogueStateTracker, tracker: DialogueStateTracker
    ) -> DialogueStateTracker:
        return merge_trackers(prior_tracker, tracker)


def merge_trackers(
    prior_tracker: DialogueStateTracker, tracker: DialogueStateTracker
) -> DialogueStateTracker:
    """``RedisTrackerStore._merge_trackers``'s result in linear time: ``prior_tracker`` is
    what Redis holds, ``tracker`` the conversation in hand (often its latest session only)."""
    stored = list(prior_tracker.events)
    if not stored:
        return tracker
    last_stored = stored[-1].timestamp
    # As Rasa: the events in hand up to the last stored one, the prefix of the events in hand.
    past = list(tracker.travel_back_in_time(target_time=last_stored).events)
    if past == stored:
        return tracker
    in_hand = list(tracker.events)
    newer = in_hand[len(past) :]
    merged = tracker.init_copy()
    merged.update_with_events(stored, override_timestamp=False, domain=None)
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
    for event in newer:
        key = _as_key(event)
        if key not in seen:
            merged.update(event)
            seen.add(key)
    return merged


def _as_key(event: Event) -> str:
    # Rasa compares events by as_dict(); equal dicts give equal canonical JSON.
    return json.dumps(event.as_dict(), sort_keys=True, default=repr)
