"""Case references: short, easy to read out over the phone, no characters that look alike.

Six characters in two groups (``K7M-4QX``), from an alphabet without 0/O, 1/I/L: 31 symbols,
so about 887 million references; the store keeps them unique.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUP = 3
LENGTH = 2 * GROUP
_PATTERN = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")


def new_reference() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:GROUP]}-{raw[GROUP:]}"


def normalise(typed: str) -> str | None:
    """A reference as a call handler might type it (``k7m 4qx``) in its canonical form, or None
    when it cannot be one."""
    raw = re.sub(r"[\s\-_.]", "", typed or "").upper()
    if not _PATTERN.fullmatch(raw):
        return None
    return f"{raw[:GROUP]}-{raw[GROUP:]}"
