"""The hand-off's Rasa side: the summary helper and the three actions, on the real domain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.facts import TriageFacts
from actions.handoff import (
    ActionHandoffDeclined,
    ActionHandoffRequest,
    ActionOfferHandoff,
    case_summary,
    queue_for,
    summary_parts,
    summary_text,
)
from tests.actions.conftest import make_tracker

ROOT = Path(__file__).resolve().parents[2]
PAID_ADULT = {
    "incident_type": "webcam",
    "platforms": ["instagram", "snapchat"],
    "paid": "yes",
    "payment_method": "money_transfer_service",
    "amount": "200",
    "collected": "no",
    "under_18": "no",
    "safe_now": "yes",
    "force_area": "south_wales",
}


@pytest.fixture(scope="module")
def domain() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


def facts(**slots) -> TriageFacts:
    return TriageFacts(**{k: v for k, v in slots.items() if k != "amount"})


def test_the_summary_holds_the_triage_as_known_values():
    summary = case_summary(facts(**PAID_ADULT), "200")
    assert summary == {
        "incident_type": "webcam",
        "platforms": ["instagram", "snapchat"],
        "paid": "yes",
        "payment_method": "money_transfer_service",
        "amount": "200",
        "collected": "no",
        "under_18": "no",
        "force_area": "south_wales",
        "for_someone_else": False,
    }
    assert queue_for(summary) == "south_wales"


def test_nothing_typed_can_reach_the_summary():
    typed = "John Smith, 07700 900123, 12 High St"
    summary = case_summary(
        facts(
            incident_type=typed,
            platforms=[typed, "instagram"],
            paid="yes",
            payment_method=typed,
            collected=typed,
            under_18=typed,
            force_area=typed,
        ),
        typed,
    )
    flat = repr(summary)
    assert "John" not in flat and "0770" not in flat and "High" not in flat
    assert summary["platforms"] == ["instagram"]
    assert re.fullmatch(r"[\d.]+", summary["amount"])  # only ever a number
    assert summary["force_area"] == "unknown" and queue_for(summary) == "national"


def test_payment_details_only_when_money_was_paid():
    summary = case_summary(facts(incident_type="phishing", paid="no"), None)
    assert "amount" not in summary and "payment_method" not in summary
    assert summary["platforms"] == ["unknown"] and summary["under_18"] == "unknown"


def test_the_summary_text_reads_well(domain):
    text = summary_text(case_summary(facts(**PAID_ADULT), "200"), summary_parts(domain))
    assert text.splitlines() == [
        "What happened: a video call was recorded",
        "Where they made contact: Instagram, Snapchat",
        "Money paid: yes",
        "Paid by: Western Union or MoneyGram",
        "Amount: £200",
        "Money already collected: no",
        "Under 18: no",
        "Police area: South Wales Police",
    ]
    empty = summary_text(case_summary(facts(), None), summary_parts(domain))
    assert "Where they made contact: not known" in empty
    assert "{" not in empty


async def test_asking_for_a_person_shows_the_summary_and_asks_for_consent(domain):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(PAID_ADULT, intent="talk_to_person")
    events = await ActionOfferHandoff().run(dispatcher, tracker, domain)
    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_handoff_offer"
    assert message["force_name"] == "South Wales Police"
    assert "Paid by: Western Union or MoneyGram" in message["handoff_summary"]
    offer = domain["responses"]["utter_handoff_offer"][0]
    assert [b["payload"] for b in offer["buttons"]] == ["/affirm", "/deny"]
    assert set(re.findall(r"\{(\w+)\}", offer["text"])) <= set(message)


async def test_consent_sends_the_case_to_bot_as_a_custom_message(domain):
    dispatcher = CollectingDispatcher()
    await ActionHandoffRequest().run(dispatcher, make_tracker(PAID_ADULT, intent="affirm"), domain)
    [message] = dispatcher.messages
    handoff = message["custom"]["handoff"]
    assert handoff["queue"] == "south_wales"
    assert handoff["summary"]["amount"] == "200"
    assert handoff["summary_text"].startswith("What happened:")
    assert not message.get("text")


async def test_declining_keeps_talking_and_goes_back_to_the_steps(domain):
    dispatcher = CollectingDispatcher()
    slots = {**PAID_ADULT, "advice_plan": [["a"], ["b"]], "advice_position": 1.0}
    await ActionHandoffDeclined().run(dispatcher, make_tracker(slots, intent="deny"), domain)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_handoff_declined",
        "utter_resume_advice",
    ]


def test_every_hand_off_response_exists_in_the_domain(domain):
    # bot/'s own hand-off texts are checked on bot/'s side (tests/handoff/test_referral_texts.py).
    names = {"utter_handoff_offer", "utter_handoff_declined", "utter_handoff_summary_parts"}
    assert names <= set(domain["responses"])
    actions = {"action_offer_handoff", "action_handoff_request", "action_handoff_declined"}
    listed = {next(iter(a)) if isinstance(a, dict) else a for a in domain["actions"]}
    assert actions <= listed
    # They read the summary's wording from the domain, which Rasa sends only when asked.
    for name in ("action_offer_handoff", "action_handoff_request"):
        assert {name: {"send_domain": True}} in domain["actions"]
