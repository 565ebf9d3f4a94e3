"""``DialogueStateTracker.applied_events`` carried forward instead of recomputed.

Rasa recomputes a tracker's applied events (its events less those undone by restarts, reverts
and loop rewinds) from the first event on every call, and the policies call it several times
for each action they predict: a conversation of a hundred events cost about 2 ms of a turn's
CPU in it, much of that in ``isinstance`` checks against Rasa's abstract event classes.

Rasa's pass reads the events in order and keeps a list; what it does with an event depends
only on the list so far and on the set of loop names that occur anywhere in the events. So a
tracker keeps the list it has reached, and the next call goes on from there with the events
appended since - unless those add a loop name, or the events were replaced or cut (another
deque, fewer events, a different last event), when it starts again from the first event. A
tracker with a capped history (not ours) gets Rasa's own pass.
Callers get a fresh list each time, as before.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

original_applied_events = DialogueStateTracker.applied_events
MEMO_ATTRIBUTE = "_aic_applied_events"


@dataclass
class _Progress:
    events: deque[Event]  # the tracker's deque this was reached on (identity, not content)
    loop_names: frozenset[str]
    count: int = 0
    last: Event | None = None
    applied: list[Event] = field(default_factory=list)


def _loop_names(events: Iterable[Event]) -> set[str]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def _apply(
    tracker: DialogueStateTracker,
    applied: list[Event],
    events: Iterable[Event],
    loop_names: frozenset[str],
) -> None:
    """Rasa 3.6's loop body of ``applied_events``, unchanged, over ``events``."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def _continues(progress: _Progress | None, events: deque[Event]) -> bool:
    return (
        progress is not None
        and progress.events is events
        and progress.count <= len(events)
        and (progress.count == 0 or events[progress.count - 1] is progress.last)
    )


def applied_events(self: DialogueStateTracker) -> list[Event]:
    events = self.events
    if events.maxlen is not None:
        # A capped history drops events at the front, which a count cannot tell.
        return original_applied_events(self)
    progress: _Progress | None = self.__dict__.get(MEMO_ATTRIBUTE)
    new: list[Event] = []
    if progress is not None and _continues(progress, events):
        new = list(itertools.islice(events, progress.count, None))
        if not _loop_names(new) <= progress.loop_names:
            progress = None
    else:
        progress = None
    if progress is None:
        progress = _Progress(events, frozenset(_loop_names(events)))
        new = list(events)
        self.__dict__[MEMO_ATTRIBUTE] = progress
    _apply(self, progress.applied, new, progress.loop_names)
    progress.count = len(events)
    progress.last = events[-1] if events else None
    return list(progress.applied)


def install() -> None:
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]
