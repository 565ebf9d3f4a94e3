"""bot/'s own user-facing texts, read from the ``utter_frontdoor_*`` responses in the domain.

Every user-facing string lives in the domain; bot/ only picks a variation: the Welsh one (the
variation whose condition has ``language: cy``) for a person whose language is Welsh.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import yaml

REQUIRED = (
    "utter_frontdoor_unavailable",
    "utter_frontdoor_rate_limited",
    "utter_frontdoor_too_long",
    "utter_frontdoor_empty",
    "utter_frontdoor_no_media",
    "utter_frontdoor_unsupported",
    "utter_frontdoor_no_location",
    "utter_frontdoor_group_chat",
    "utter_frontdoor_forgotten",
    "utter_frontdoor_command_start",
    "utter_frontdoor_command_help",
    "utter_frontdoor_command_restart",
    "utter_frontdoor_command_forget",
    "utter_frontdoor_command_cymraeg",
    "utter_frontdoor_command_english",
    "utter_frontdoor_language_changed",
    "utter_frontdoor_language_offer",
)
WELSH = "cy"


class MissingResponses(RuntimeError):
    """The domain lacks a response bot/ needs; raised at start, not when someone needs it."""


class Responses:
    def __init__(self, variations: dict[str, list[tuple[str | None, str]]]) -> None:
        # name -> [(channel or None, text)]; Welsh variations are kept apart in _welsh.
        self._variations = variations
        self._welsh: dict[str, list[tuple[str | None, str]]] = {}
        self._random = random.Random()

    @classmethod
    def from_domain(cls, path: Path, required: Iterable[str] = REQUIRED) -> Responses:
        variations: dict[str, list[tuple[str | None, str]]] = {}
        welsh: dict[str, list[tuple[str | None, str]]] = {}
        for file in _domain_files(path):
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            for name, entries in (document.get("responses") or {}).items():
                for entry in entries or []:
                    if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                        into = welsh if _language(entry) == WELSH else variations
                        into.setdefault(name, []).append((entry.get("channel"), entry["text"]))
        missing = [name for name in required if name not in variations]
        if missing:
            raise MissingResponses(f"{path} has no text for: {', '.join(missing)}")
        loaded = cls(variations)
        loaded._welsh = welsh
        return loaded

    def text(self, name: str, channel: str | None = None, language: str | None = None) -> str:
        """One variation of response ``name``; a channel-specific one when the domain has it,
        and the Welsh one when ``language`` is ``"cy"`` (English when it has none)."""
        entries = (language == WELSH and self._welsh.get(name)) or self._variations[name]
        for_channel = [text for ch, text in entries if channel is not None and ch == channel]
        general = [text for ch, text in entries if ch is None]
        return self._random.choice(for_channel or general or [text for _, text in entries])


def _language(entry: dict) -> str | None:
    for condition in entry.get("condition") or []:
        if isinstance(condition, dict) and condition.get("name") == "language":
            return str(condition.get("value"))
    return None


def _domain_files(path: Path) -> list[Path]:
    # Rasa accepts a domain directory as well as one file.
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))
    return [path]
