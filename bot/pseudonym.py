"""Pseudonyms: the only form in which a person's door id leaves bot/'s own mapping."""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(secret: bytes, channel: str, user_key: str | int) -> str:
    """HMAC-SHA256(secret, "{channel}:{user_key}") as hex: stable, and not reversible without
    the secret (a plain hash of a Telegram id could be reversed by trying every id)."""
    if not secret:
        raise ValueError("a pseudonym needs a non-empty secret")
    message = f"{channel}:{user_key}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
