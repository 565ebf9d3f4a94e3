"""Answers to what people ask along the way, then back to where they were."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.advice import send_step_and_prompt, takes_in_new_facts
from actions.answers import asks_to_move_on
from actions.facts import TriageFacts

ANSWERS = {
    "ask_will_they_post": "utter_answer_will_they_post",
    "ask_in_trouble": "utter_answer_in_trouble",
    "ask_tell_family": "utter_answer_tell_family",
    "ask_take_down": "utter_answer_take_down",
    "ask_deleted_chat": "utter_answer_deleted_chat",
    "ask_is_crime": "utter_answer_is_crime",
    "feeling_scared": "utter_answer_feeling_scared",
    "ask_privacy": "utter_privacy",
    "bot_capabilities": "utter_bot_capabilities",
    "thank_you": "utter_you_are_welcome",
    "out_of_scope": "utter_out_of_scope",
    "talk_to_person": "utter_talk_to_person",
    "goodbye": "utter_goodbye",
    "greet": "utter_resume_form",
    "for_someone_else": "utter_for_someone_else",
    "deny": "utter_no_problem",
    "skip": "utter_no_problem",
    "affirm": "utter_rephrase",
    "next_step": "utter_rephrase",
    "nlu_fallback": "utter_rephrase",
}
# Questions about the conversation itself need no "let's carry on" afterwards.
NO_RESUME = {"goodbye"}


def answer_for(intent: str | None) -> str:
    return ANSWERS.get(intent or "", "utter_rephrase")


def resume_response(
    in_form: bool, advice_plan: list | None, advice_position: float | None
) -> str | None:
    """What brings the person back to where they were, if anything."""
    if in_form:
        return None  # the form asks its question again
    if advice_plan and int(advice_position or 0) < len(advice_plan):
        return "utter_resume_advice"
    if not advice_plan:
        return "utter_start_triage"
    return None


# Said before the triage has started, these carry no question to answer: the triage starts.
STARTS_QUIETLY = {"affirm", "deny", "skip", "next_step", "nlu_fallback"}
# During the steps these give the next one ("ok", "I don't know", "what now?").
NEXT_STEP_INTENTS = {"skip", "next_step", "affirm"}


def in_the_steps(advice_plan: list | None, advice_position: float | None) -> bool:
    return bool(advice_plan) and int(advice_position or 0) < len(advice_plan or [])


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        intent = tracker.latest_message.get("intent", {}).get("name")
        text = tracker.latest_message.get("text") or ""
        in_form = tracker.active_loop.get("name") is not None
        plan = tracker.get_slot("advice_plan")
        position = tracker.get_slot("advice_position")
        if not in_form and plan and takes_in_new_facts(tracker):
            return [FollowupAction("triage_form")]  # read there; the steps to come follow it
        if (
            not in_form
            and in_the_steps(plan, position)
            and (intent in NEXT_STEP_INTENTS or asks_to_move_on(text))
        ):
            # "I don't know, what should I do?" during the steps: the next step.
            return send_step_and_prompt(
                dispatcher, plan, int(position or 0), TriageFacts.from_tracker(tracker)
            )
        starts_triage = not in_form and not plan and intent not in NO_RESUME
        if starts_triage and (intent in STARTS_QUIETLY or asks_to_move_on(text)):
            return [FollowupAction("triage_form")]
        dispatcher.utter_message(
            response=answer_for(intent), **knowledge.force_details(tracker.get_slot("force_area"))
        )
        if starts_triage:
            # What they said may carry facts ("is it illegal? he's 14"): the form reads them.
            return [FollowupAction("triage_form")]
        if intent in NO_RESUME:
            return []
        follow_up = resume_response(in_form=in_form, advice_plan=plan, advice_position=position)
        if follow_up:
            dispatcher.utter_message(response=follow_up)
        return []
