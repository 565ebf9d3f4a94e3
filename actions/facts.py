"""What the triage has established so far, read from the tracker in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from rasa_sdk import Tracker

SOMEONE_ELSE = "someone_else"
# The slots the triage fills (validate_triage_form, actions/triage.py).
TRIAGE_SLOTS = (
    "incident_type", "platforms", "paid", "payment_method", "amount", "collected", "under_18",
    "safe_now", "force_area", "asking_for",
)  # fmt: skip


def known_facts(tracker: Tracker) -> dict:
    """The triage's slots as they stand."""
    return {slot: tracker.get_slot(slot) for slot in TRIAGE_SLOTS}


@dataclass(frozen=True)
class TriageFacts:
    incident_type: str | None = None
    platforms: list[str] = field(default_factory=list)
    paid: str | None = None
    payment_method: str | None = None
    collected: str | None = None
    under_18: str | None = None
    safe_now: str | None = None
    force_area: str | None = None
    asking_for: str | None = None

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> TriageFacts:
        return cls(
            incident_type=tracker.get_slot("incident_type"),
            platforms=list(tracker.get_slot("platforms") or []),
            paid=tracker.get_slot("paid"),
            payment_method=tracker.get_slot("payment_method"),
            collected=tracker.get_slot("collected"),
            under_18=tracker.get_slot("under_18"),
            safe_now=tracker.get_slot("safe_now"),
            force_area=tracker.get_slot("force_area"),
            asking_for=tracker.get_slot("asking_for"),
        )

    @property
    def for_someone_else(self) -> bool:
        return self.asking_for == SOMEONE_ELSE

    @property
    def is_child(self) -> bool:
        return self.under_18 == "yes"

    @property
    def has_paid(self) -> bool:
        return self.paid == "yes"
