"""Four of Rasa 3.6's hot spots, made cheap with the same behaviour.

1. Rasa checks every action server response with ``jsonschema.validate``, which first checks the
*schema* against the JSON Schema meta-schema (draft 2020-12, slow to evaluate), on every call.
Profiling a triage turn showed half of Rasa's CPU time in that meta-schema check. The schema is
a constant, so we check it once, build its validator once, and validate each response with it:
valid responses pass and invalid ones raise the same ``ValidationError`` with the same message.

2. Rasa turns every stored event back into an object by walking all subclasses of ``Event``
   for each one (``Event.resolve_by_type``), which the tracker store does for the whole
   conversation on every turn. We keep the type name to class table and walk only on a miss.

3. A loaded model is millions of Python objects that live as long as the process, and each
   full garbage collection walks them all: about half a second during which no one gets an
   answer. Before the first message we move everything loaded so far out of the collector's
   sight (``gc.freeze``); a full collection then takes about a millisecond. (A model replaced
   at run time would stay in memory; this deployment never does that.)

4. Each message runs the model's prediction graph three or so times (NLU, then once per
   action predicted), each time through dask's scheduler, whose bookkeeping cost more than
   most of the graph's nodes. ``SequentialGraphRunner`` runs the same nodes with the same
   inputs, each after the nodes it needs, in one plain loop (planned once per set of targets);
   the message processor loads models with it. Training keeps dask.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any

import rasa.core.processor
from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_original_resolve_by_type = Event.resolve_by_type
_event_classes: dict[str, type[Event]] = {}


@cache
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = exceptions.best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        f"from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _event_classes.get(type_name)
    if found is None:
        # A miss may be a subclass imported since the table was built: rebuild, keeping the
        # first class of each name in Rasa's own walking order.
        _event_classes.clear()
        for cls in all_subclasses(Event):
            _event_classes.setdefault(cls.type_name, cls)
        found = _event_classes.get(type_name)
    if found is None:
        return _original_resolve_by_type(type_name, default)
    return found


def freeze_heap_first(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``handler``, which calls ``gc.freeze()`` the first time it runs."""
    if getattr(handler, "freezes_heap", False):
        return handler
    frozen = False

    @wraps(handler)
    async def freezing_handler(*args: Any, **kwargs: Any) -> Any:
        nonlocal frozen
        if not frozen:
            frozen = True
            gc.freeze()
        return await handler(*args, **kwargs)

    freezing_handler.freezes_heap = True  # type: ignore[attr-defined]
    return freezing_handler


@dataclass(frozen=True)
class _Plan:
    """The nodes a set of targets needs, each after its own needs: (name, node, needs)."""

    steps: tuple[tuple[str, Any, tuple[str, ...]], ...]
    names: frozenset[str]


class SequentialGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner`` with ``run`` as a plain loop: the same results and errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def _plan(self, targets: tuple[str, ...]) -> _Plan:
        if targets not in self._plans:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            order: list[str] = []

            def visit(name: str) -> None:
                if name in nodes and name not in order:
                    for need in nodes[name].needs.values():
                        visit(need)
                    order.append(name)

            for target in targets:
                visit(target)
            self._plans[targets] = _Plan(
                steps=tuple(
                    (name, self._instantiated_nodes[name], tuple(nodes[name].needs.values()))
                    for name in order
                ),
                names=frozenset(order),
            )
        return self._plans[targets]

    def run(
        self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        plan = self._plan(run_targets)
        inputs = inputs or {}
        for value in inputs.values():
            if isinstance(value, str) and value in plan.names:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
        # As in dask's graph: an input is (name, value), like every node's output, and takes
        # the place of a node of the same name; a need that is neither stays the bare name.
        results: dict[str, Any] = {name: (name, value) for name, value in inputs.items()}
        try:
            for name, node, needs in plan.steps:
                if name not in inputs:
                    results[name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)


def install() -> None:
    """Idempotent; Rasa imports ``addons`` whenever it loads our model, which calls this."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
    MessageProcessor.handle_message = freeze_heap_first(MessageProcessor.handle_message)  # type: ignore[method-assign]
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]


__all__ = ["install"]
