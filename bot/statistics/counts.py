"""What is counted, in closed vocabularies: every part of a counter's key is one of a known set,
so nothing a person typed, and no pseudonym or door id, can become a key.

A counter is one day's count of one ``CountKey``: the force, the door, the language, what was
counted (``measure``) and its value (an answer, a platform, an outcome). Nothing is kept per
person; a conversation adds one to a few counters and leaves no trace of which.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, NamedTuple

from aic_shared.triage import ANSWERS, INCIDENT_TYPES, NATIONAL, UNKNOWN
from bot.handoff.cases import OUTCOMES

DOORS = ("telegram", "widget")
LANGUAGES = ("en", "cy")

# Measures, with the values each may take (None: checked against data/knowledge.yml).
CONVERSATIONS = "conversations"  # a person's first turn (bot/ had no record of them)
TRIAGES = "triages"  # a triage finished and the steps began
INCIDENT_TYPE = "incident_type"
PAID = "paid"
PLATFORM = "platform"
UNDER_18 = "under_18"
HANDOFF = "handoff"  # what happened to a request for a person (HANDOFF_EVENTS)
OUTCOME = "outcome"  # what the handler recorded on closing a case
WAIT = "wait"  # how long a claimed case waited, in WAIT_BUCKETS

# Requested: the person agreed to be passed on. Queued: they joined the queue. Out of hours and
# queue full: a reference at once. Claimed: a handler took it. Not picked up: a reference
# after the wait. Left: the person left the queue or the chat.
HANDOFF_EVENTS = (
    "requested",
    "queued",
    "out_of_hours",
    "queue_full",
    "claimed",
    "not_picked_up",
    "left",
)
# Upper bounds in seconds, and the bucket of a wait up to each.
WAIT_BUCKETS = (
    (60, "under 1 minute"),
    (120, "1 to 2 minutes"),
    (300, "2 to 5 minutes"),
    (600, "5 to 10 minutes"),
    (float("inf"), "10 minutes or more"),
)
FIXED_VALUES: dict[str, tuple[str, ...]] = {
    CONVERSATIONS: ("",),
    TRIAGES: ("",),
    INCIDENT_TYPE: INCIDENT_TYPES,
    PAID: ANSWERS,
    UNDER_18: ANSWERS,
    HANDOFF: HANDOFF_EVENTS,
    OUTCOME: OUTCOMES,
    WAIT: tuple(label for _, label in WAIT_BUCKETS),
}
MEASURES = (*FIXED_VALUES, PLATFORM)
# Parts of a key are joined with this where a store needs one string (Redis hash fields).
SEPARATOR = "|"


class CountKey(NamedTuple):
    force: str
    door: str
    language: str
    measure: str
    value: str = ""


class Vocabulary:
    """The forces and platforms a key may name, from data/knowledge.yml."""

    def __init__(self, forces: Collection[str], platforms: Collection[str]) -> None:
        self.forces = frozenset(forces) | {NATIONAL}
        self.platforms = frozenset(platforms) | {UNKNOWN}

    def force(self, value: Any, default: str = NATIONAL) -> str:
        return value if isinstance(value, str) and value in self.forces else default

    def is_valid(self, key: CountKey) -> bool:
        allowed = self.platforms if key.measure == PLATFORM else FIXED_VALUES.get(key.measure, ())
        return (
            key.force in self.forces
            and key.door in DOORS
            and key.language in LANGUAGES
            and key.value in allowed
        )

    def triage_keys(
        self, force: str, door: str, language: str, figures: Mapping[str, Any]
    ) -> list[CountKey]:
        """A finished triage's counters, from the canonical figures Rasa sends (anything outside
        the vocabularies counts as unknown)."""

        def one_of(value: Any, allowed: Iterable[str]) -> str:
            return value if isinstance(value, str) and value in allowed else UNKNOWN

        platforms = figures.get("platforms")
        named = sorted(
            {p for p in platforms if isinstance(p, str) and p in self.platforms}
            if isinstance(platforms, list)
            else set()
        )
        base = (force, door, language)
        return [
            CountKey(*base, TRIAGES),
            CountKey(*base, INCIDENT_TYPE, one_of(figures.get("incident_type"), INCIDENT_TYPES)),
            CountKey(*base, PAID, one_of(figures.get("paid"), ANSWERS)),
            CountKey(*base, UNDER_18, one_of(figures.get("under_18"), ANSWERS)),
            *(CountKey(*base, PLATFORM, p) for p in named or [UNKNOWN]),
        ]


def wait_bucket(seconds: float) -> str:
    return next(label for bound, label in WAIT_BUCKETS if seconds < bound)


def encode(key: CountKey) -> str:
    return SEPARATOR.join(key)


def decode(field: str) -> CountKey | None:
    parts = field.split(SEPARATOR)
    return CountKey(*parts) if len(parts) == len(CountKey._fields) else None
