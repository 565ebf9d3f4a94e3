"""What the triage established, as canonical values only: each field one of a known set or a
number, never a word the person typed. The hand-off's case summary (actions/handoff.py) and the
anonymous statistics (actions/statistics.py) are both made from it."""

from __future__ import annotations

from typing import Any

from actions import knowledge
from actions.facts import TriageFacts
from aic_shared.triage import ANSWERS, INCIDENT_TYPES, NATIONAL, UNKNOWN

__all__ = ["ANSWERS", "INCIDENT_TYPES", "NATIONAL", "UNKNOWN", "case_summary", "queue_for"]


def _answer(value: str | None) -> str:
    return value if value in ANSWERS else UNKNOWN


def case_summary(facts: TriageFacts, amount: str | None) -> dict[str, Any]:
    """The triage as canonical values only: each field is one of a known set or a number."""
    platforms_known = knowledge.knowledge()["platforms"]
    methods_known = knowledge.knowledge()["payment_methods"]
    platforms = [p for p in facts.platforms if p in platforms_known]
    paid = _answer(facts.paid)
    summary: dict[str, Any] = {
        "incident_type": facts.incident_type if facts.incident_type in INCIDENT_TYPES else UNKNOWN,
        "platforms": platforms or [UNKNOWN],
        "paid": paid,
        "under_18": _answer(facts.under_18),
        "force_area": force_area(facts.force_area),
        "for_someone_else": facts.for_someone_else,
    }
    if paid == "yes":
        summary["payment_method"] = (
            facts.payment_method if facts.payment_method in methods_known else UNKNOWN
        )
        summary["amount"] = _amount(amount)
        summary["collected"] = _answer(facts.collected)
    return summary


def _amount(raw: str | None) -> str:
    parsed = knowledge.parse_amount(raw or "") if raw and raw != UNKNOWN else None
    return f"{parsed:g}" if parsed is not None else UNKNOWN


def force_area(value: str | None) -> str:
    if value in knowledge.knowledge()["forces"] or value == knowledge.ELSEWHERE:
        return str(value)
    return UNKNOWN


def queue_for(summary: dict[str, Any]) -> str:
    """The force whose desk takes the case; the national queue for the rest of the UK."""
    area = summary.get("force_area")
    return area if area in knowledge.knowledge()["forces"] else NATIONAL
