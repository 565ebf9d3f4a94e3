"""The anonymous statistics' part of a finished triage: sent to bot/ once, when the steps begin.

    {"statistics": {"triage": {"incident_type", "paid", "platforms", "under_18", "force_area"}}}

Canonical values only, the hand-off summary's (data/knowledge.yml's ids, yes/no/unknown), never a
word the person typed; bot/ counts them by day and force (bot/statistics/) and keeps nothing
about the person. A triage opened again during the steps is not sent again.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.facts import TriageFacts
from actions.summary import case_summary
from aic_shared.triage import STATISTICS_FIELDS


def triage_figures(facts: TriageFacts) -> dict[str, Any]:
    summary = case_summary(facts, amount=None)
    return {field: summary[field] for field in STATISTICS_FIELDS}


def send_triage_figures(dispatcher: CollectingDispatcher, facts: TriageFacts) -> None:
    dispatcher.utter_message(json_message={"statistics": {"triage": triage_figures(facts)}})
