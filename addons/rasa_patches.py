"""Every change this project makes to Rasa's own code, listed in one place, and the guard that
keeps them on the Rasa they were written for.

Rasa imports ``addons`` whenever it loads our model (``rasa run``, ``rasa test``, ``rasa shell``,
any deployment), and ``addons/__init__.py`` calls ``install()`` here. Each patch keeps Rasa's
behaviour and was written against Rasa's code at the pinned version; tests/addons checks each
against Rasa's own. Under any other Rasa the process stops at start, with a message saying so,
rather than run a patch over code it was not written for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import rasa

from addons import action_client, applied_events, message_language, quiet_logs, speedups

# The version in pyproject.toml (tests/addons/test_rasa_patches.py checks that they agree).
PINNED_RASA = "3.6.21"


@dataclass(frozen=True)
class Patch:
    target: str  # the dotted path of what is replaced in Rasa
    where: str  # the module of ours that replaces it
    why: str


PATCHES = (
    Patch(
        "rasa.core.actions.action.RemoteAction._validate_action_result",
        "addons/speedups.py",
        "checked each action-server answer against the JSON Schema meta-schema on every call:"
        " half of Rasa's CPU a turn. The schema is a constant, so its validator is built once.",
    ),
    Patch(
        "rasa.shared.core.events.Event.resolve_by_type",
        "addons/speedups.py",
        "walked every subclass of Event for each stored event, for the whole conversation on"
        " every turn. The name-to-class table is kept, and walked again only on a miss.",
    ),
    Patch(
        "rasa.core.processor.MessageProcessor.handle_message",
        "addons/speedups.py",
        "a full garbage collection walked the loaded model's millions of objects: half a second"
        " with no answers. They are frozen out of the collector's sight before the first message.",
    ),
    Patch(
        "rasa.core.processor.DaskGraphRunner",
        "addons/speedups.py",
        "ran the prediction graph through dask's scheduler three times a message, its bookkeeping"
        " costing more than most nodes. The same nodes run in one plain loop; training keeps dask.",
    ),
    Patch(
        "rasa.shared.core.trackers.DialogueStateTracker.applied_events",
        "addons/applied_events.py",
        "recomputed from the first event on every call, several calls per predicted action."
        " The list reached is carried forward while the events only grow.",
    ),
    Patch(
        "rasa.utils.endpoints.EndpointConfig.request",
        "addons/action_client.py",
        "opened a new HTTP session and connection to the action server for every call."
        " One kept-alive session per event loop and endpoint settings, same requests and errors,"
        " except that an error's body is kept only for a 400 (Rasa logs it; a 500 can hold the"
        " conversation).",
    ),
    Patch(
        "rasa.core.actions.action.ActionExtractSlots.run",
        "addons/message_language.py",
        "set the language slot again on every turn from the entity bot/ always sends. The repeats"
        " are dropped: one event fewer a turn to store and replay, the same slot value.",
    ),
    Patch(
        "rasa.utils.log_utils._anonymizer",
        "addons/quiet_logs.py",
        "left what a person wrote in log events (the REST channel logs the text when a turn"
        " times out or fails) and the JSON tracebacks list every frame's locals. Ours withholds"
        " the content keys and renders errors as types and frames only.",
    ),
)


class WrongRasa(RuntimeError):
    """Rasa is not the version the patches were written for."""


def check_rasa_version(version: str = rasa.__version__) -> None:
    if version != PINNED_RASA:
        raise WrongRasa(
            f"Ask in Confidence changes Rasa's own code in {len(PATCHES)} places"
            f" (addons/rasa_patches.py), written for Rasa {PINNED_RASA}; this is Rasa {version}."
            f" Install the pinned version with `make install`, or check every patch against the"
            f" new Rasa and then change PINNED_RASA and pyproject.toml together."
        )


def resolve(target: str) -> Any:
    """The object at a dotted path: a module, then attributes."""
    parts = target.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(target)


def install() -> None:
    """Idempotent."""
    check_rasa_version()
    speedups.install()
    applied_events.install()
    action_client.install()
    message_language.install()
    quiet_logs.install()
