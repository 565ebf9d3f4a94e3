"""The advice: which steps fit a person's answers, then one step at a time."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.facts import TRIAGE_SLOTS, TriageFacts, known_facts
from actions.statements import new_facts
from actions.statistics import send_triage_figures

STEP_SEPARATOR = "+"


def plan_advice(facts: TriageFacts) -> list[list[str]]:
    """The advice as steps, each a few response names sent together, in the order to give them."""
    if facts.incident_type == "phishing":
        return _phishing_plan(facts)
    steps: list[list[str]] = []
    opening = ["utter_advice_intro_other" if facts.for_someone_else else "utter_advice_intro"]
    if facts.for_someone_else:
        opening.append("utter_advice_support_other")
        if facts.is_child:
            opening.append("utter_advice_support_child")
    elif facts.is_child:
        opening.append("utter_advice_child_not_in_trouble")
    opening.append("utter_advice_dont_panic")
    steps.append(opening)

    if facts.has_paid:
        steps.append(["utter_advice_dont_pay_more"])
        steps.append([_collection_step(facts.collected), "utter_advice_payment_evidence"])
    else:
        steps.append(["utter_advice_dont_pay"])
    # The evidence first: blocking, reporting or leaving an account can wipe the chat.
    steps.append(
        ["utter_advice_keep_evidence_child" if facts.is_child else "utter_advice_keep_evidence"]
    )
    steps.append(["utter_advice_stop_contact"])
    risks = knowledge.platform_risks(advice_platform(facts))
    if risks.closed:
        steps.append(["utter_advice_report_platform_closed"])
    else:
        steps.append([DEACTIVATE_STEP[risks.deactivating]])
        steps.append(
            [
                "utter_advice_report_platform_save_first"
                if risks.reporting_deletes_chat
                else "utter_advice_report_platform"
            ]
        )
    if facts.is_child:
        if not facts.for_someone_else:
            steps.append(["utter_advice_child_trusted_adult"])
        steps.append(["utter_advice_child_ceop", "utter_advice_child_childline"])
        steps.append(["utter_advice_child_take_down"])
    else:
        take_down = ["utter_advice_stopncii"]
        if facts.incident_type == "known_person":
            take_down.append("utter_advice_revenge_porn_helpline")
        steps.append(take_down)
    steps.append(["utter_advice_report_police", "utter_advice_not_judged"])
    steps.append(["utter_advice_prevent"])
    return steps


DEACTIVATE_STEP = {
    knowledge.PAUSES: "utter_advice_deactivate",
    knowledge.STARTS_DELETION: "utter_advice_deactivate_starts_deletion",
    knowledge.NOT_OFFERED: "utter_advice_keep_account",
}


def advice_platform(facts: TriageFacts) -> str:
    """The platform the steps name: the first one the person named that is known."""
    return next((p for p in facts.platforms if p != knowledge.UNKNOWN), "other")


def _collection_step(collected: str | None) -> str:
    return {"no": "utter_advice_cancel_payment", "yes": "utter_advice_note_collection"}.get(
        collected or "", "utter_advice_check_collection"
    )


def _phishing_plan(facts: TriageFacts) -> list[list[str]]:
    opening = ["utter_advice_intro_other" if facts.for_someone_else else "utter_advice_intro"]
    if facts.is_child and not facts.for_someone_else:
        opening.append("utter_advice_child_not_in_trouble")
    steps = [
        [*opening, "utter_advice_phishing_bluff"],
        ["utter_advice_phishing_dont_reply"],
        ["utter_advice_phishing_report_email"],
        ["utter_advice_phishing_password"],
    ]
    if facts.has_paid:
        steps.append([_collection_step(facts.collected), "utter_advice_phishing_money_lost"])
    if facts.is_child:
        steps.append(["utter_advice_child_childline"])
    steps.append(["utter_advice_phishing_threatened"])
    return steps


def response_values(facts: TriageFacts) -> dict[str, str]:
    """The values the advice texts in the domain are filled with."""
    return {
        **knowledge.service_links(),
        **knowledge.force_details(facts.force_area),
        **knowledge.platform_details(advice_platform(facts)),
        **knowledge.payment_details(facts.payment_method),
    }


def send_step(dispatcher: CollectingDispatcher, step: str, values: dict[str, str]) -> None:
    for response in step.split(STEP_SEPARATOR):
        dispatcher.utter_message(response=response, **values)


def send_step_and_prompt(
    dispatcher: CollectingDispatcher, plan: list[str], position: int, facts: TriageFacts
) -> list[dict[str, Any]]:
    """Send step `position` of `plan` and what comes after it; return the slot events."""
    send_step(dispatcher, plan[position], response_values(facts))
    is_last = position + 1 >= len(plan)
    dispatcher.utter_message(response="utter_advice_done" if is_last else "utter_advice_next")
    return [SlotSet("advice_position", float(position + 1))]


def takes_in_new_facts(tracker: Tracker) -> bool:
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    return bool(new_facts(message.get("text") or "", intent, known_facts(tracker)))


def facts_changed_this_turn(tracker: Tracker) -> bool:
    """Whether the triage changed a fact since the person's last message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") in TRIAGE_SLOTS:
            return True
    return False


def updated_plan(given: list[str], new_plan: list[str]) -> list[str]:
    """The steps already given, then the new plan's steps not among them: a fact that changes
    during the steps changes only what is still to come."""
    return [*given, *(step for step in new_plan if step not in given)]


class ActionStartAdvice(Action):
    def name(self) -> str:
        return "action_start_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        facts = TriageFacts.from_tracker(tracker)
        plan = [STEP_SEPARATOR.join(step) for step in plan_advice(facts)]
        old_plan = tracker.get_slot("advice_plan")
        if not old_plan:
            send_triage_figures(dispatcher, facts)
            return [SlotSet("advice_plan", plan), *send_step_and_prompt(dispatcher, plan, 0, facts)]
        # The triage was opened again during the steps by something new: take it in and keep
        # the person's place.
        position = int(tracker.get_slot("advice_position") or 0)
        plan = updated_plan(old_plan[:position], plan)
        if position >= len(plan):
            dispatcher.utter_message(response="utter_advice_already_given")
            return [SlotSet("advice_plan", plan)]
        if facts_changed_this_turn(tracker):
            dispatcher.utter_message(response="utter_steps_updated")
            dispatcher.utter_message(response="utter_advice_next")
        else:
            dispatcher.utter_message(response="utter_resume_advice")
        return [SlotSet("advice_plan", plan)]


class ActionNextAdviceStep(Action):
    def name(self) -> str:
        return "action_next_advice_step"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        plan = tracker.get_slot("advice_plan") or []
        position = int(tracker.get_slot("advice_position") or 0)
        if not plan or takes_in_new_facts(tracker):
            # "What should I do?" before the triage starts it; "actually I'm 15" opens it again,
            # to be read there, and the steps to come follow it (ActionStartAdvice).
            return [FollowupAction("triage_form")]
        if position >= len(plan):
            dispatcher.utter_message(response="utter_advice_already_given")
            return []
        return send_step_and_prompt(dispatcher, plan, position, TriageFacts.from_tracker(tracker))
