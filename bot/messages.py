"""What a door gets back from a turn: replies of text with optional buttons."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    @property
    def token(self) -> str:
        """A short stand-in for the payload, for doors with small button data (Telegram's
        callback_data is 64 bytes; a Rasa payload with entities can be longer)."""
        return button_token(self.payload)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = field(default=())


def button_token(payload: str) -> str:
    return hashlib.blake2s(payload.encode(), digest_size=8).hexdigest()
