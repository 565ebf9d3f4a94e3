"""addons.speedups must change how fast Rasa is, never what it does."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

import addons  # noqa: F401  (installs the speed-ups, as Rasa's model loading does)
from addons import speedups

VALID = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "paid", "value": "yes"}]},
    {"responses": [{"response": "utter_greet"}, {"text": "hi", "buttons": []}]},
    {"events": [{"event": "followup", "name": "action_listen"}], "responses": []},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "paid"}]},
    {"events": [{"event": 3}]},
    {"responses": {"text": "not a list"}},
    {"events": [], "responses": [3]},
]


def test_installed_when_rasa_imports_our_components():
    assert RemoteAction._validate_action_result is speedups._validate_action_result
    assert Event.resolve_by_type("slot") is SlotSet


@pytest.mark.parametrize("response", VALID)
def test_valid_action_responses_pass_as_before(response):
    jsonschema.validate(response, RemoteAction.action_response_format_spec())
    assert RemoteAction("action_x", None)._validate_action_result(response) is True


@pytest.mark.parametrize("response", INVALID)
def test_invalid_action_responses_fail_as_before(response):
    with pytest.raises(jsonschema.ValidationError) as rasa_would:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        RemoteAction("action_x", None)._validate_action_result(response)
    assert ours.value.message.startswith(rasa_would.value.message)
    assert "Failed to validate Action server response" in ours.value.message
    assert list(ours.value.path) == list(rasa_would.value.path)


def test_every_event_type_resolves_to_the_class_rasa_would_pick():
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is speedups._original_resolve_by_type(
            cls.type_name
        )
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted


def test_unknown_event_types_behave_as_before():
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_a_subclass_imported_later_is_found():
    class LateEvent(SlotSet):
        type_name = "aic_late_test_event"

    assert Event.resolve_by_type("aic_late_test_event") is LateEvent


def test_the_heap_is_frozen_before_the_first_message():
    from rasa.core.processor import MessageProcessor

    assert MessageProcessor.handle_message.freezes_heap
    speedups.install()  # again: still one wrapper, not two
    assert not getattr(MessageProcessor.handle_message.__wrapped__, "freezes_heap", False)


async def test_freezing_happens_once_and_the_handler_still_answers():
    import gc

    calls = []

    async def handler(message):
        calls.append(message)
        return [f"reply to {message}"]

    wrapped = speedups.freeze_heap_first(handler)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    assert await wrapped("hi") == ["reply to hi"]
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert await wrapped("again") == ["reply to again"] and calls == ["hi", "again"]
    assert gc.get_freeze_count() == frozen  # not frozen again: new objects stay collectable
    gc.unfreeze()
