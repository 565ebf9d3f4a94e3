"""Two of Rasa 3.6's hot spots, made cheap with the same behaviour.

1. Rasa checks every action server response with ``jsonschema.validate``, which first checks the
*schema* against the JSON Schema meta-schema (draft 2020-12, slow to evaluate), on every call.
Profiling a triage turn showed half of Rasa's CPU time in that meta-schema check. The schema is
a constant, so we check it once, build its validator once, and validate each response with it:
valid responses pass and invalid ones raise the same ``ValidationError`` with the same message.

2. Rasa turns every stored event back into an object by walking all subclasses of ``Event``
   for each one (``Event.resolve_by_type``), which the tracker store does for the whole
   conversation on every turn. We keep the type name to class table and walk only on a miss.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
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


def install() -> None:
    """Idempotent; Rasa imports ``addons`` whenever it loads our model, which calls this."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


__all__ = ["install"]
