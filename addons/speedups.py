"""Three of Rasa 3.6's hot spots, made cheap with the same behaviour.

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
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from functools import cache, wraps
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
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


def install() -> None:
    """Idempotent; Rasa imports ``addons`` whenever it loads our model, which calls this."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
    MessageProcessor.handle_message = freeze_heap_first(MessageProcessor.handle_message)  # type: ignore[method-assign]


__all__ = ["install"]
