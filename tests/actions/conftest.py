"""Action tests run the real actions against the real domain, with trackers built from slots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


def make_tracker(
    slots: dict[str, Any] | None = None,
    intent: str = "inform",
    text: str = "",
    active_loop: str | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots or {},
        latest_message={
            "intent": {"name": intent, "confidence": 1.0},
            "text": text,
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    """The responses shown to the person (custom messages for bot/ are left out)."""
    return [message["response"] for message in dispatcher.messages if not message.get("custom")]


def custom_messages(dispatcher: CollectingDispatcher) -> list[dict]:
    return [message["custom"] for message in dispatcher.messages if message.get("custom")]
