"""Talking to the assistant the way every door does: Rasa's REST channel, in free text."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any


class RestUser:
    def __init__(self, rasa_url: str):
        self.rasa_url = rasa_url
        self.sender = f"e2e-{uuid.uuid4().hex}"
        self.transcript: list[dict[str, Any]] = []

    def say(self, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        message: dict[str, Any] = {"sender": self.sender, "message": text}
        if metadata is not None:
            message["metadata"] = metadata  # as bot/ sends it: {"language": "cy"}
        body = json.dumps(message).encode()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            replies = json.loads(response.read())
        self.transcript.append({"user": text, "bot": replies})
        return replies

    def tap(self, replies: list[dict[str, Any]], title: str) -> list[dict[str, Any]]:
        """Press the button with this title, as the doors do (they send its payload)."""
        for reply in replies:
            for button in reply.get("buttons", []):
                if button["title"] == title:
                    return self.say(button["payload"])
        raise AssertionError(f"no button {title!r} in {replies}")

    def tracker(self) -> dict[str, Any]:
        with urllib.request.urlopen(
            f"{self.rasa_url}/conversations/{self.sender}/tracker", timeout=30
        ) as response:
            return json.loads(response.read())

    def slots(self) -> dict[str, Any]:
        return self.tracker()["slots"]


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def buttons_of(replies: list[dict[str, Any]]) -> list[str]:
    return [button["title"] for reply in replies for button in reply.get("buttons", [])]


def asked_questions(tracker: dict[str, Any]) -> list[str]:
    """The triage questions the assistant asked, in order (one entry each time it asked)."""
    prefix = "utter_ask_triage_form_"
    return [
        event["metadata"]["utter_action"].removeprefix(prefix)
        for event in tracker["events"]
        if event.get("event") == "bot"
        and (event.get("metadata") or {}).get("utter_action", "").startswith(prefix)
    ]


def most_asks_in_a_row(tracker: dict[str, Any]) -> int:
    """How many times in a row, at most, the same question was asked."""
    most = run = 0
    previous = None
    for question in asked_questions(tracker):
        run = run + 1 if question == previous else 1
        previous = question
        most = max(most, run)
    return most
