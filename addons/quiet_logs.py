"""What a person wrote never reaches Rasa's log, on any path.

Rasa runs each structured log event first through ``_anonymizer`` (rasa/utils/log_utils.py),
which hands the parts that can hold a conversation to a pipeline only Rasa Pro provides. Ours
takes its place and withholds those parts at every level: the REST channel's timeout and failure
events, for one, carry the message's text at ERROR. A logged error keeps its types and the stack's
frames, but neither its message nor the frames' local variables: rendered as JSON, as when the
log goes to a file or a container, Rasa's tracebacks list every frame's locals, the message's
text among them.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import rasa.utils.log_utils
import structlog

WITHHELD = "[not logged]"
# Rasa's own list (``_anonymizer``), and the other names its events give to what was said.
CONTENT_KEYS = frozenset(
    {
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
        "body",
        "request_body",
        "events",
        "tracker",
        "parse_data",
    }
)
original_anonymizer = rasa.utils.log_utils._anonymizer


def withhold_content(
    _: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in CONTENT_KEYS & event_dict.keys():
        event_dict[key] = WITHHELD
    error = _error_of(method_name, event_dict)
    if error is not None:
        # Rendered here, so that the renderers later in the chain find no error to render.
        event_dict["exc_info"] = False
        event_dict["exception"] = where_it_failed(error)
    return event_dict


def _error_of(method_name: str, event_dict: MutableMapping[str, Any]) -> BaseException | None:
    exc_info = event_dict.get("exc_info", method_name == "exception")
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple):
        return exc_info[1]
    return sys.exc_info()[1] if exc_info else None


def where_it_failed(error: BaseException) -> str:
    """Each error in the chain by its type, with the stack's frames: no message, no locals."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(
            f"{type(current).__module__}.{type(current).__qualname__}, at\n"
            + "".join(traceback.format_tb(current.__traceback__))
        )
        current = current.__cause__ or current.__context__
    return "\ncaused by ".join(parts)


def install() -> None:
    """Idempotent. Rasa configures its logging before it loads our components, so the chain in
    use is changed in place; a later configuration picks ours up from the module."""
    rasa.utils.log_utils._anonymizer = withhold_content
    processors = structlog.get_config()["processors"]
    for index, processor in enumerate(processors):
        if processor is original_anonymizer:
            processors[index] = withhold_content
