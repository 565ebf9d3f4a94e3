"""addons.speedups must change how fast Rasa is, never what it does."""

import jsonschema
import pytest
import rasa.core.processor
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

import addons  # noqa: F401  (installs the speed-ups, as Rasa's model loading does)
from addons import speedups
from addons.speedups import SequentialGraphRunner

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


# --- The prediction graph without dask ---------------------------------------------------------


class Add(GraphComponent):
    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "Add":
        return cls(config["amount"])

    def __init__(self, amount: int) -> None:
        self.amount = amount

    def add(self, number: int) -> int:
        if number < 0:
            raise ValueError("no negative numbers")
        return number + self.amount

    def total(self, first: int, second: int) -> int:
        return first + second


def _runner(tmp_path) -> SequentialGraphRunner:
    def node(fn: str, needs: dict, amount: int = 0, **flags) -> SchemaNode:
        return SchemaNode(needs, Add, "create", fn, {"amount": amount}, **flags)

    schema = GraphSchema(
        {
            "one": node("add", {"number": "__number__"}, 1),
            "two": node("add", {"number": "one"}, 2),
            "total": node("total", {"first": "one", "second": "two"}, is_target=True),
            "unused": node("add", {"number": "__other__"}, 5, is_target=True),
        }
    )
    return SequentialGraphRunner.create(
        schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "test")
    )


@pytest.mark.parametrize(
    "inputs, targets",
    [
        ({"__number__": 5}, ["total"]),
        ({"__number__": 5}, ["two", "one"]),
        ({"__number__": 5, "__other__": 1}, None),  # every target
        ({"__number__": 5, "one": 100}, ["total"]),  # an input stands in for a node
        ({"one": 7}, ["two"]),
    ],
)
def test_the_graph_gives_what_dask_gives(tmp_path, inputs, targets):
    runner = _runner(tmp_path)
    expected = DaskGraphRunner.run(runner, dict(inputs), targets)
    assert runner.run(dict(inputs), targets) == expected
    assert runner.run(dict(inputs), targets) == expected  # the second time from the plan


def test_the_graph_fails_as_dask_fails(tmp_path):
    runner = _runner(tmp_path)
    with pytest.raises(GraphComponentException) as dask_error:
        DaskGraphRunner.run(runner, {"__number__": -1}, ["total"])
    with pytest.raises(GraphComponentException) as ours:
        runner.run({"__number__": -1}, ["total"])
    assert str(ours.value) == str(dask_error.value)
    assert type(ours.value.__cause__) is type(dask_error.value.__cause__) is ValueError
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run({"__number__": "two"}, ["total"])


def test_the_message_processor_loads_models_with_it():
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
