"""The triage form: which questions to ask, and turning answers into facts."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import knowledge
from actions.facts import SOMEONE_ELSE

YES, NO, UNKNOWN = "yes", "no", knowledge.UNKNOWN
ANSWERS = (YES, NO, UNKNOWN)
# The kinds the triage knows (the incident_type mappings in domain.yml).
INCIDENT_TYPES = ("webcam", "images", "phishing", "known_person", "other", UNKNOWN)
PAYMENT_QUESTIONS = ["payment_method", "amount", "collected"]


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


def under_18_from_answer(answer: str) -> str | None:
    if answer in ANSWERS:
        return answer
    bound = knowledge.age_bound(answer)
    if bound:  # "under 18" is not 18; "over 12" says nothing either way
        kind, limit = bound
        if kind == "under":
            return YES if limit <= 18 else None
        return NO if limit >= 18 else None
    age = knowledge.parse_age(answer)
    if age is None:
        return None
    return YES if age < 18 else NO


def _keep_if_one_of(slot: str, allowed: tuple[str, ...]):
    """A form validator keeping ``slot``'s value when it is one of ``allowed``, else None."""

    def validate(
        self: Any,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return {slot: value if value in allowed else None}

    return validate


class ValidateTriageForm(FormValidationAction):
    def name(self) -> str:
        return "validate_triage_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return triage_questions(tracker.get_slot("incident_type"), tracker.get_slot("paid"))

    # --- facts that a free-text message can carry without being asked ------------------------
    async def extract_paid(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("paid") is None and knowledge.says_money_was_paid(
            tracker.latest_message.get("text") or ""
        ):
            return {"paid": YES}
        return {}

    async def extract_under_18(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        age = tracker.get_slot("age")
        if tracker.get_slot("under_18") is None and age:
            answer = under_18_from_answer(str(age))
            if answer:
                return {"under_18": answer}
        return {}

    # --- answers ------------------------------------------------------------------------------
    # The domain's mappings only ever give these values; anything else came from a hand-made
    # payload (`/inform{"paid": "maybe"}` sent straight to Rasa) and the question is asked again.
    validate_incident_type = _keep_if_one_of("incident_type", INCIDENT_TYPES)
    validate_paid = _keep_if_one_of("paid", ANSWERS)
    validate_collected = _keep_if_one_of("collected", ANSWERS)

    def validate_platforms(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        said = value if isinstance(value, list) else [value]
        if said == [UNKNOWN]:
            return {"platforms": [UNKNOWN]}
        platforms = []
        for text in said:
            platform = knowledge.canonical_platform(str(text))
            if platform and platform not in platforms:
                platforms.append(platform)
        if not platforms:
            dispatcher.utter_message(response="utter_platform_not_recognised")
            platforms = ["other"]
        return {"platforms": platforms}

    def validate_payment_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == UNKNOWN:
            return {"payment_method": UNKNOWN}
        method = knowledge.canonical_payment_method(str(value)) or "other"
        events: dict[str, Any] = {"payment_method": method}
        if tracker.get_slot("paid") is None and knowledge.says_money_was_paid(
            tracker.latest_message.get("text") or ""
        ):
            events["paid"] = YES
        return events

    def validate_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == UNKNOWN:
            return {"amount": UNKNOWN}
        amount = knowledge.parse_amount(str(value))
        if amount is None:
            if tracker.get_slot("requested_slot") == "amount":
                dispatcher.utter_message(response="utter_amount_not_understood")
            return {"amount": None}
        return {"amount": f"{amount:g}"}

    def validate_under_18(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = under_18_from_answer(str(value))
        if answer is None:
            dispatcher.utter_message(response="utter_age_not_understood")
        return {"under_18": answer}

    def validate_safe_now(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NO:
            dispatcher.utter_message(response="utter_crisis_unsafe")
        return {"safe_now": value}

    def validate_force_area(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == UNKNOWN:
            return {"force_area": UNKNOWN}
        force = knowledge.force_for_place(str(value))
        if force is None:
            dispatcher.utter_message(response="utter_place_not_recognised")
        return {"force_area": force}

    def validate_asking_for(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # Only the for_someone_else intent sets this slot (domain.yml); a relation someone
        # names ("should I tell my mum?") is never a sign they are asking for another person.
        return {"asking_for": SOMEONE_ELSE if value == SOMEONE_ELSE else None}

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list:
        # A crisis message that also answers a question ("I'm 15 and I want to die") fills a
        # slot, so the form is not interrupted by the crisis rule: say it here, first.
        if tracker.latest_message.get("intent", {}).get("name") == "crisis":
            dispatcher.utter_message(response="utter_crisis")
        return await super().run(dispatcher, tracker, domain)
