"""Hand-off to a 101 contact: the case summary, the consent question and the hand-off request.

The summary carries only what the triage established, as canonical values from
data/knowledge.yml (never a word the person typed), so nothing identifying can reach the desk.
On consent, ``action_handoff_request`` sends a custom message that bot/ turns into a case:

    {"handoff": {"summary": {...}, "summary_text": "...", "queue": "gwent"}}
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.facts import TriageFacts
from actions.questions import resume_response
from actions.summary import UNKNOWN, case_summary, queue_for

__all__ = [
    "ActionHandoffDeclined",
    "ActionHandoffRequest",
    "ActionOfferHandoff",
    "case_summary",
    "queue_for",
    "summary_parts",
    "summary_text",
]

# The response holding the summary's wording (lines and value names); see domain.yml.
PARTS_RESPONSE = "utter_handoff_summary_parts"
SUMMARY_ORDER = (
    "incident_type",
    "platforms",
    "paid",
    "payment_method",
    "amount",
    "collected",
    "under_18",
    "force_area",
    "for_someone_else",
)


def summary_text(summary: dict[str, Any], parts: dict[str, Any]) -> str:
    """The summary as the person sees it before they agree, one line per fact.

    ``parts`` is the custom payload of ``utter_handoff_summary_parts`` in the domain: line
    templates (``lines``) and the words for each value (``values``).
    """
    lines_out = []
    lines, values = parts["lines"], parts["values"]
    for key in SUMMARY_ORDER:
        if key not in summary:
            continue
        value = summary[key]
        if key == "for_someone_else":
            if value:
                lines_out.append(lines[key])
            continue
        lines_out.append(lines[key].format(value=_words(key, value, values)))
    return "\n".join(lines_out)


def _words(key: str, value: Any, values: dict[str, dict[str, str]]) -> str:
    unknown = values["answer"][UNKNOWN]
    if key == "platforms":
        names = [_platform_name(p) or unknown for p in value if p != UNKNOWN]
        return ", ".join(names) or unknown
    if value == UNKNOWN:
        return unknown
    if key == "incident_type":
        return values["incident_type"].get(value, unknown)
    if key == "payment_method":
        method = knowledge.knowledge()["payment_methods"].get(value)
        return method["name"] if method else unknown
    if key == "amount":
        return values["amount"].format(amount=value)
    if key == "force_area":
        if value == knowledge.ELSEWHERE:
            return values["force_area"][knowledge.ELSEWHERE]
        return knowledge.force_details(value)["force_name"]
    return values["answer"].get(value, unknown)


def _platform_name(platform_id: str) -> str | None:
    platform = knowledge.knowledge()["platforms"].get(platform_id)
    return platform["name"] if platform else None


def summary_parts(domain: dict[str, Any]) -> dict[str, Any]:
    return domain["responses"][PARTS_RESPONSE][0]["custom"]


def summary_from_tracker(tracker: Tracker) -> dict[str, Any]:
    return case_summary(TriageFacts.from_tracker(tracker), tracker.get_slot("amount"))


class ActionOfferHandoff(Action):
    """Shows what would be passed on and asks whether to pass the person to a 101 contact."""

    def name(self) -> str:
        return "action_offer_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        summary = summary_from_tracker(tracker)
        heading = domain["responses"][PARTS_RESPONSE][0]["text"]
        dispatcher.utter_message(
            response="utter_handoff_offer",
            handoff_summary=f"{heading}\n{summary_text(summary, summary_parts(domain))}",
            **knowledge.force_details(tracker.get_slot("force_area")),
        )
        return []


class ActionHandoffRequest(Action):
    """The person agreed: bot/ reads this custom message and opens the case."""

    def name(self) -> str:
        return "action_handoff_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        summary = summary_from_tracker(tracker)
        dispatcher.utter_message(
            json_message={
                "handoff": {
                    "summary": summary,
                    "summary_text": summary_text(summary, summary_parts(domain)),
                    "queue": queue_for(summary),
                }
            }
        )
        return []


class ActionHandoffDeclined(Action):
    """The person would rather carry on with the assistant."""

    def name(self) -> str:
        return "action_handoff_declined"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        dispatcher.utter_message(response="utter_handoff_declined")
        follow_up = resume_response(
            in_form=False,
            advice_plan=tracker.get_slot("advice_plan"),
            advice_position=tracker.get_slot("advice_position"),
        )
        if follow_up:
            dispatcher.utter_message(response=follow_up)
        return []
