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

    def say(self, text: str) -> list[dict[str, Any]]:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
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
