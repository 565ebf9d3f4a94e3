"""Rasa's replies with the hand-off request kept.

``action_handoff_request`` answers a consent with a custom message, which Rasa's REST channel
returns as ``{"custom": {"handoff": {...}}}``. bot/'s ``RasaClient`` drops replies without text;
this one turns that custom message into a ``HandoffRequest`` for ``Handoff.after_turn``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.messages import Reply
from bot.rasa_client import RasaClient, RasaUnavailable, _reply


@dataclass(frozen=True)
class HandoffRequest(Reply):
    """Not shown to anyone: replaced by bot/'s own answer once the case is open."""

    handoff: dict[str, Any] = field(default_factory=dict, hash=False)


class HandoffRasaClient(RasaClient):
    async def send(
        self, sender: str, message: str, input_channel: str, metadata: dict[str, Any]
    ) -> list[Reply]:
        body = {
            "sender": sender,
            "message": message,
            "input_channel": input_channel,
            "metadata": metadata,
        }
        data = await self._request("POST", "/webhooks/rest/webhook", json=body)
        if not isinstance(data, list):
            raise RasaUnavailable("reply is not a list")
        replies: list[Reply] = []
        for item in data:
            request = handoff_request(item)
            if request is not None:
                replies.append(request)
            elif (reply := _reply(item)) is not None:
                replies.append(reply)
        return replies


def handoff_request(item: Any) -> HandoffRequest | None:
    custom = item.get("custom") if isinstance(item, dict) else None
    handoff = custom.get("handoff") if isinstance(custom, dict) else None
    if not isinstance(handoff, dict):
        return None
    return HandoffRequest(text="", handoff=handoff)
