"""The triage form: which questions to ask, and what each message tells us.

Every message in the triage is read here, in the context of the question it answers
(actions/answers.py), and for anything else it states (actions/statements.py). A question is
asked at most twice: an answer not understood gets a hint with the second asking, and after
that the form takes "not sure" and moves on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import knowledge
from actions.answers import (
    NO,
    UNKNOWN,
    YES,
    amount_as_written,
    asks_to_move_on,
    is_question,
    normalise,
    read_under_18,
    read_yes_no,
    says_dont_know,
    speaks_of,
    states_age,
    they_dont_say,
)
from actions.facts import known_facts
from actions.questions import ANSWERS as QUESTION_ANSWERS
from actions.questions import answer_for
from actions.statements import (
    INCIDENT_INTENTS,
    incident_type_from,
    paid_from,
    payment_method_in,
    platforms_in,
    stated_facts,
)

PAYMENT_QUESTIONS = ["payment_method", "amount", "collected"]
FORM = "triage_form"
MAX_ASKS = 2
# Where a bot message in the tracker names the response it came from.
UTTERED_BY = "utter" + "_action"
# The rules take these: a person asking for a person, or to start again, leaves the form.
LEAVE_FORM_INTENTS = {"talk_to_person", "restart"}
MOVE_ON_INTENTS = {"next_step", "skip"}
# Questions and remarks that get their own answer before the question is asked again: every
# intent actions/questions.py answers, less the answers themselves and leaving the form.
ASIDE_INTENTS = set(QUESTION_ANSWERS) - MOVE_ON_INTENTS - LEAVE_FORM_INTENTS - {
    "affirm", "deny", "nlu_fallback",
}  # fmt: skip
SURE_TO_MOVE_ON = 0.95
BUTTON_ANSWERS = {"affirm": YES, "deny": NO, "skip": UNKNOWN}
# Rasa's payload syntax typed as text (bot/ forwards it without the slash).
_PAYLOAD_LIKE = re.compile(r"[{}]|\b[a-z]+_[a-z_]+\b")
# Words that really ask for a person or a fresh start, whatever else the message answers.
_LEAVING = re.compile(
    r"\b(?:talk|speak|chat) (?:to|with) (?:a |an |someone|somebody|person|human|police|officer)"
    r"|\b(?:real|actual) person|\bhuman\b|\bstart (?:again|over)|\brestart|\bsiarad (?:â|a|efo"
    r"|gyda) (?:pherson|person|rhywun|heddwas|swyddog)|\bdechrau eto|\bperson go iawn"
)


def triage_questions(incident_type: str | None, paid: str | None) -> list[str]:
    """The slots to ask for, in order, given what is known so far."""
    questions = ["incident_type"]
    if incident_type != "phishing":
        questions.append("platforms")
    questions.append("paid")
    if paid == YES:
        questions.extend(PAYMENT_QUESTIONS)
    questions.extend(["under_18", "safe_now", "force_area"])
    return questions


def next_question(known: dict[str, Any]) -> str | None:
    questions = triage_questions(known.get("incident_type"), known.get("paid"))
    return next((slot for slot in questions if known.get(slot) is None), None)


def not_known(slot: str) -> Any:
    return [UNKNOWN] if slot == "platforms" else UNKNOWN


@dataclass(frozen=True)
class Turn:
    """One message: what was typed (or a button's payload), and what the NLU made of it."""

    text: str
    intent: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    confidence: float = 1.0

    @property
    def is_button(self) -> bool:
        return self.text.lstrip().startswith("/")

    def entity(self, name: str) -> str | None:
        return next((str(e["value"]) for e in self.entities if e.get("entity") == name), None)


@dataclass
class Outcome:
    """What a message changes: slot values, responses to send first, or None for the rules."""

    slots: dict[str, Any] = field(default_factory=dict)
    responses: list[str] = field(default_factory=list)


def read_button(slot: str, turn: Turn) -> Any:
    """A button's payload as the answer to ``slot``'s question, or None."""
    if turn.intent in BUTTON_ANSWERS:
        value = BUTTON_ANSWERS[turn.intent]
        if slot in ("paid", "collected", "under_18", "safe_now") or value == UNKNOWN:
            return not_known(slot) if value == UNKNOWN else value
        return None
    if slot == "incident_type":
        return INCIDENT_INTENTS.get(turn.intent or "")
    if slot == "platforms" and turn.entity("platform"):
        return [knowledge.canonical_platform(turn.entity("platform") or "") or "other"]
    if slot == "payment_method" and turn.entity("payment_method"):
        return knowledge.canonical_payment_method(turn.entity("payment_method") or "") or "other"
    if slot == "force_area" and turn.entity("place"):
        return knowledge.force_for_place(turn.entity("place") or "")
    if slot == "amount" and turn.entity("amount"):
        return turn.entity("amount")
    if slot == "under_18" and turn.entity("age"):
        return read_under_18(turn.entity("age") or "")
    return None


def _short_answer(text: str) -> bool:
    """A few words that are not a question: what a person types to name something."""
    said = normalise(text)
    return 0 < len(said.split()) <= 6 and "?" not in text


def read_answer(slot: str, turn: Turn) -> tuple[Any, list[str]]:
    """The typed answer to ``slot``'s question, or None; and any response it calls for."""
    text = turn.text
    if is_question(text) and not says_dont_know(text):
        return None, []  # "ydy hyn yn sgam?" asks; it does not answer "yes"
    if slot in ("paid", "collected", "safe_now"):
        answer = read_yes_no(slot, text)
        if slot == "paid" and answer is None:
            answer = paid_from(text) or (
                YES if amount_as_written(text, bare_numbers=False) else None
            )
        if slot == "safe_now" and turn.intent == "crisis":
            answer = NO
        return answer, []
    if slot == "under_18":
        return read_under_18(text), []
    # A name wins over a doubt: "some dating app, can't remember which".
    named = {
        "incident_type": lambda: incident_type_from(turn.intent, text),
        "platforms": lambda: platforms_in(text, answering=True) or None,
        "payment_method": lambda: payment_method_in(text, answering=True),
        "amount": lambda: amount_as_written(text),
        "force_area": lambda: knowledge.force_for_place(text),
    }[slot]()
    if named:
        return named, []
    if says_dont_know(text) or they_dont_say(text):
        return not_known(slot), []
    if not _short_answer(text) or turn.intent in ASIDE_INTENTS | MOVE_ON_INTENTS | {"crisis"}:
        return None, []
    if slot == "platforms":
        if read_yes_no("paid", text) in (YES, NO):
            return None, []
        return ["other"], ["utter_platform_not_recognised"]
    if slot == "payment_method":
        # "Another way" only for what is not a yes, no or "all good".
        if any(read_yes_no(question, text) for question in ("paid", "safe_now")):
            return None, []
        return "other", []
    if slot == "amount":
        if normalise(text) in ("no", "nope", "nah", "na", "rather not", "none of your business"):
            return UNKNOWN, []
        return text.strip()[:60], []
    return None, []


def crossed_answer(requested: str, text: str) -> tuple[str, Any] | None:
    """ "yes im safe" to "are you under 18?", "no im 30" to "are you safe?": the answer to the
    other question about the person, as (slot, value); that one is taken and this one asked
    again, so that a "no" about age is never read as not being safe."""
    if says_dont_know(text) or they_dont_say(text):
        return None
    if requested == "under_18" and not (
        speaks_of("under_18", text) or states_age(text) or re.search(r"\d", text)
    ):
        if speaks_of("safe_now", text):
            return "safe_now", read_yes_no("safe_now", text)
    if requested == "safe_now" and not speaks_of("safe_now", text) and states_age(text):
        return "under_18", read_under_18(text)
    return None


def read_turn(
    requested: str | None, known: dict[str, Any], turn: Turn, asked: int
) -> Outcome | None:
    """What one message in the triage changes. ``asked`` is how many times in a row the
    requested question has been asked. None leaves the message to the rules."""
    outcome = Outcome()
    if turn.is_button:
        if requested:
            answer = read_button(requested, turn)
            if answer is not None:
                outcome.slots[requested] = answer
        elif turn.intent in INCIDENT_INTENTS:
            outcome.slots["incident_type"] = INCIDENT_INTENTS[turn.intent]
    elif _PAYLOAD_LIKE.search(turn.text):
        pass  # '/inform{"under_18": "no"}' typed: read as nothing, never as what it names
    else:
        stated = stated_facts(turn.text, turn.intent, known)
        outcome.slots.update({slot: v for slot, v in stated.items() if known.get(slot) != v})
        crossed = crossed_answer(requested, turn.text) if requested else None
        if crossed:
            slot, value = crossed
            if value is not None and known.get(slot) != value:
                outcome.slots.setdefault(slot, value)
        elif requested:
            answer, responses = read_answer(requested, turn)
            if answer is not None:
                if requested == "platforms" and outcome.slots.get("platforms"):
                    answer = list(dict.fromkeys([*outcome.slots["platforms"], *answer]))
                outcome.slots[requested] = answer
                outcome.responses.extend(responses)
    if turn.intent in LEAVE_FORM_INTENTS and (
        requested not in outcome.slots or _LEAVING.search(normalise(turn.text))
    ):
        return None  # the rules offer the hand-off, or start again
    if not requested or requested in outcome.slots:
        return _with_consequences(outcome, turn)
    if turn.intent == "crisis" and not outcome.slots and asked < MAX_ASKS:
        return None  # the crisis rule answers, then the form asks again
    # Typed words move on when they say so, or when the classifier is sure they do: its "skip"
    # at 0.81 for a plea ("plis peidiwch gweud wrth mam") would drop a question unasked.
    sure = turn.is_button or turn.confidence >= SURE_TO_MOVE_ON
    if (turn.intent in MOVE_ON_INTENTS and sure) or asks_to_move_on(turn.text):
        outcome.slots[requested] = not_known(requested)
        if not turn.is_button:
            outcome.responses.append("utter_moving_forward")
        return _with_consequences(outcome, turn)
    if turn.intent == "crisis":
        pass  # the crisis message is said first (ValidateTriageForm.run)
    elif turn.intent in ASIDE_INTENTS and not (outcome.slots and not is_question(turn.text)):
        # A question along the way is answered; a statement the classifier took for one
        # ("actually I did pay him £100") was taken in above, and needs no answer.
        outcome.responses.append(answer_for(turn.intent))
    elif not outcome.slots and asked < MAX_ASKS:
        outcome.responses.append(f"utter_hint_{requested}")
    if asked >= MAX_ASKS:
        outcome.slots[requested] = not_known(requested)
        if turn.intent != "crisis":
            outcome.responses.append("utter_moving_on")
    return _with_consequences(outcome, turn)


def _with_consequences(outcome: Outcome, turn: Turn) -> Outcome:
    # Not safe, or not sure: the emergency numbers at once, unless the crisis message gave them.
    if outcome.slots.get("safe_now") in (NO, UNKNOWN) and turn.intent != "crisis":
        outcome.responses.append("utter_crisis_unsafe")
    return outcome


def asks_in_a_row(events: list[dict[str, Any]], slot: str) -> int:
    """How many times the question for ``slot`` was asked since another question or the form's
    end (read from the bot's messages in the tracker)."""
    asked = 0
    for event in reversed(events):
        if event.get("event") == "active_loop" and event.get("name") is None:
            break
        if event.get("event") != "bot":
            continue
        action = (event.get("metadata") or {}).get(UTTERED_BY) or ""
        if action.startswith(f"utter_ask_{FORM}_"):
            if action != f"utter_ask_{FORM}_{slot}":
                break
            asked += 1
    return asked


class ValidateTriageForm(Action):
    """Rasa's form calls this on every message while it is active, and when it starts."""

    def name(self) -> str:
        return "validate_triage_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        # A crisis message that also answers a question ("I'm 15 and I want to die") fills a
        # slot, so the form is not interrupted by the crisis rule: say it here, first.
        if intent == "crisis":
            dispatcher.utter_message(response="utter_crisis")
        active = (tracker.active_loop or {}).get("name") == FORM
        requested = tracker.get_slot("requested_slot") if active else None
        known = known_facts(tracker)
        turn = Turn(
            text=message.get("text") or "",
            intent=intent,
            entities=tuple(message.get("entities") or []),
            confidence=float((message.get("intent") or {}).get("confidence") or 0.0),
        )
        asked = asks_in_a_row(tracker.events, requested) if requested else 0
        outcome = read_turn(requested, known, turn, asked)
        if outcome is None:
            return []
        for response in outcome.responses:
            dispatcher.utter_message(
                response=response, **knowledge.force_details(known.get("force_area"))
            )
        known.update(outcome.slots)
        events = [SlotSet(slot, value) for slot, value in outcome.slots.items()]
        if requested and requested not in outcome.slots:
            events.append(SlotSet(requested, None))  # handled here: the form asks again
        return [*events, SlotSet("requested_slot", next_question(known))]
