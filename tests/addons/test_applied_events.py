"""The carried-forward ``applied_events`` must give what Rasa's own gives, at every step of
every conversation: restarts, reverts, loops that run, get rejected and end, new loop names
arriving late, and events replaced or cut from under it."""

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

import addons  # noqa: F401  (installs the speed-ups, as Rasa's model loading does)
from addons.applied_events import applied_events, original_applied_events

LOOPS = ["triage_form", "age_form"]
ACTIONS = ["action_listen", "utter_greet", "action_advice", *LOOPS]

events = st.one_of(
    st.builds(lambda text: UserUttered(text, {"name": "inform"}), st.sampled_from(["a", "b"])),
    st.builds(ActionExecuted, st.sampled_from(ACTIONS)),
    st.builds(ActionExecutionRejected, st.sampled_from(LOOPS)),
    st.builds(ActiveLoop, st.sampled_from([*LOOPS, None])),
    st.builds(SlotSet, st.just("paid"), st.sampled_from(["yes", "no", None])),
    st.builds(BotUttered, st.just("hello")),
    st.just(Restarted()),
    st.just(SessionStarted()),
    st.just(ActionReverted()),
    st.just(UserUtteranceReverted()),
)


def same_as_rasa(tracker: DialogueStateTracker) -> None:
    ours = tracker.applied_events()
    assert ours == original_applied_events(tracker)
    assert [id(e) for e in ours] == [id(e) for e in original_applied_events(tracker)]


def test_installed_when_rasa_imports_our_components():
    assert DialogueStateTracker.applied_events is applied_events


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(events, max_size=6), max_size=12))
def test_each_step_of_a_conversation_gives_what_rasa_gives(turns):
    tracker = DialogueStateTracker("someone", [])
    same_as_rasa(tracker)
    for turn in turns:
        for event in turn:
            tracker.update(event)
        same_as_rasa(tracker)
        same_as_rasa(tracker)  # and again with nothing new


@settings(max_examples=200, deadline=None)
@given(st.lists(events, min_size=1, max_size=30), st.lists(events, min_size=1, max_size=30))
def test_replaced_or_cut_events_are_read_again(first, second):
    tracker = DialogueStateTracker("someone", [])
    for event in first:
        tracker.update(event)
    same_as_rasa(tracker)
    tracker.events = deque(second)  # another deque
    same_as_rasa(tracker)
    tracker.events.pop()  # fewer events
    same_as_rasa(tracker)
    if tracker.events:
        tracker.events.pop()
        tracker.events.append(ActionExecuted("action_listen"))  # as many, another last one
        same_as_rasa(tracker)


@settings(max_examples=200, deadline=None)
@given(st.lists(events, max_size=40))
def test_a_capped_history_gives_what_rasa_gives(history):
    tracker = DialogueStateTracker("someone", [], max_event_history=5)
    for event in history:
        tracker.update(event)
        same_as_rasa(tracker)


def test_a_loop_name_arriving_late_changes_earlier_events_as_in_rasa():
    tracker = DialogueStateTracker("someone", [])
    for event in [
        ActionExecuted("triage_form"),
        UserUttered("a", {"name": "inform"}),
        ActionExecuted("triage_form"),
    ]:
        tracker.update(event)
    same_as_rasa(tracker)
    tracker.update(ActiveLoop("triage_form"))  # now triage_form runs count as a loop's
    same_as_rasa(tracker)
    assert len(tracker.applied_events()) == len(original_applied_events(tracker))


def test_callers_get_their_own_list():
    tracker = DialogueStateTracker("someone", [])
    tracker.update(ActionExecuted("action_listen"))
    tracker.applied_events().clear()
    assert len(tracker.applied_events()) == 1


def test_a_copied_tracker_goes_its_own_way():
    tracker = DialogueStateTracker("someone", [])
    tracker.update(ActionExecuted("action_listen"))
    tracker.applied_events()
    copy = tracker.copy()
    copy.update(UserUttered("a", {"name": "inform"}))
    same_as_rasa(copy)
    same_as_rasa(tracker)
    assert len(copy.applied_events()) == 2 and len(tracker.applied_events()) == 1
