import re

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from actions import knowledge
from actions.advice import (
    ActionNextAdviceStep,
    ActionStartAdvice,
    plan_advice,
    response_values,
)
from actions.facts import TriageFacts
from tests.actions.conftest import custom_messages, make_tracker, responses


def flat(plan):
    return [response for step in plan for response in step]


ADULT_WEBCAM = TriageFacts(
    incident_type="webcam", platforms=["instagram"], paid="no", under_18="no", force_area="gwent"
)


def test_adult_webcam_not_paid_gets_the_whole_police_advice_in_order():
    steps = flat(plan_advice(ADULT_WEBCAM))
    expected_order = [
        "utter_advice_intro",
        "utter_advice_dont_panic",
        "utter_advice_dont_pay",
        "utter_advice_keep_evidence",
        "utter_advice_stop_contact",
        "utter_advice_deactivate",
        "utter_advice_report_platform",
        "utter_advice_stopncii",
        "utter_advice_report_police",
        "utter_advice_not_judged",
        "utter_advice_prevent",
    ]
    assert [s for s in steps if s in expected_order] == expected_order
    assert not [s for s in steps if "child" in s or "cancel" in s]


@pytest.mark.parametrize(
    ("collected", "step"),
    [
        ("no", "utter_advice_cancel_payment"),
        ("yes", "utter_advice_note_collection"),
        ("unknown", "utter_advice_check_collection"),
    ],
)
def test_paid_advice_depends_on_whether_the_money_was_collected(collected, step):
    facts = TriageFacts(
        incident_type="webcam",
        paid="yes",
        payment_method="money_transfer_service",
        collected=collected,
    )
    steps = flat(plan_advice(facts))
    assert step in steps
    assert "utter_advice_dont_pay_more" in steps
    assert "utter_advice_payment_evidence" in steps
    assert "utter_advice_dont_pay" not in steps


def test_under_18_gets_the_child_route_and_is_told_they_are_not_in_trouble():
    steps = flat(plan_advice(TriageFacts(incident_type="images", under_18="yes", paid="no")))
    for step in [
        "utter_advice_child_not_in_trouble",
        "utter_advice_child_trusted_adult",
        "utter_advice_child_ceop",
        "utter_advice_child_childline",
        "utter_advice_child_take_down",
        "utter_advice_keep_evidence_child",
    ]:
        assert step in steps
    assert "utter_advice_stopncii" not in steps
    assert "utter_advice_keep_evidence" not in steps


def test_known_person_adds_the_revenge_porn_helpline():
    steps = flat(plan_advice(TriageFacts(incident_type="known_person", under_18="no", paid="no")))
    assert "utter_advice_revenge_porn_helpline" in steps
    assert "utter_advice_stopncii" in steps


def test_phishing_gets_its_own_advice():
    steps = flat(plan_advice(TriageFacts(incident_type="phishing", paid="no", under_18="no")))
    assert steps[:2] == ["utter_advice_intro", "utter_advice_phishing_bluff"]
    assert {
        "utter_advice_phishing_dont_reply",
        "utter_advice_phishing_report_email",
        "utter_advice_phishing_password",
    } <= set(steps)
    assert "utter_advice_phishing_money_lost" not in steps
    assert "utter_advice_report_platform" not in steps


def test_phishing_with_money_lost_points_to_report_fraud():
    steps = flat(plan_advice(TriageFacts(incident_type="phishing", paid="yes", collected="yes")))
    assert "utter_advice_phishing_money_lost" in steps


def test_a_parent_asking_for_a_child_is_told_how_to_support_them():
    steps = flat(
        plan_advice(TriageFacts(incident_type="images", under_18="yes", asking_for="someone_else"))
    )
    assert steps[0] == "utter_advice_intro_other"
    assert "utter_advice_support_other" in steps
    assert "utter_advice_support_child" in steps
    assert "utter_advice_child_trusted_adult" not in steps
    assert "utter_advice_child_ceop" in steps


ALL_FACTS = [
    TriageFacts(incident_type=kind, paid=paid, collected=collected, under_18=child, asking_for=who)
    for kind in ["webcam", "images", "phishing", "known_person", "other", "unknown"]
    for paid, collected in [
        ("no", None),
        ("yes", "no"),
        ("yes", "yes"),
        ("yes", "unknown"),
        ("unknown", None),
    ]
    for child in ["yes", "no", "unknown"]
    for who in [None, "someone_else"]
]


@pytest.mark.parametrize(
    "facts",
    ALL_FACTS,
    ids=lambda f: f"{f.incident_type}-{f.paid}-{f.collected}-{f.under_18}-{f.asking_for}",
)
def test_every_plan_uses_real_responses_with_every_placeholder_filled(facts, domain):
    values = response_values(facts)
    for response in flat(plan_advice(facts)):
        assert response in domain["responses"]
        for variation in domain["responses"][response]:
            for placeholder in re.findall(r"{(\w+)}", variation["text"]):
                assert placeholder in values, f"{response} needs {placeholder}"


def test_every_advice_response_notes_where_it_comes_from(domain):
    advice_responses = {name for name in domain["responses"] if name.startswith("utter_advice_")}
    advice_responses -= {"utter_advice_next", "utter_advice_done", "utter_advice_already_given"}
    sources = knowledge.knowledge()["advice_sources"]
    assert advice_responses == set(sources)
    assert all(source.strip() for source in sources.values())


async def test_starting_the_advice_sends_the_first_step_and_remembers_the_plan(dispatcher, domain):
    tracker = make_tracker(
        slots={
            "incident_type": "webcam",
            "platforms": ["snapchat"],
            "paid": "no",
            "under_18": "no",
            "force_area": "south_wales",
        }
    )
    events = await ActionStartAdvice().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == [
        "utter_advice_intro",
        "utter_advice_dont_panic",
        "utter_advice_next",
    ]
    plan = events[0]["value"]
    assert events == [SlotSet("advice_plan", plan), SlotSet("advice_position", 1.0)]
    # The triage's figures for the anonymous statistics, once, as canonical values.
    assert custom_messages(dispatcher) == [
        {
            "statistics": {
                "triage": {
                    "incident_type": "webcam",
                    "paid": "no",
                    "platforms": ["snapchat"],
                    "under_18": "no",
                    "force_area": "south_wales",
                }
            }
        }
    ]


async def test_a_triage_opened_again_during_the_steps_is_not_counted_again(dispatcher, domain):
    tracker = make_tracker(
        slots={
            "incident_type": "images",
            "platforms": ["instagram"],
            "paid": "yes",
            "advice_plan": ["utter_advice_intro", "utter_advice_dont_panic"],
            "advice_position": 1.0,
        }
    )
    await ActionStartAdvice().run(dispatcher, tracker, domain)
    assert custom_messages(dispatcher) == []


async def test_walking_the_steps_reaches_the_end_with_the_force_and_platform_filled_in(domain):
    slots = {
        "incident_type": "webcam",
        "platforms": ["snapchat"],
        "paid": "no",
        "under_18": "no",
        "force_area": "south_wales",
    }
    plan = ["+".join(step) for step in plan_advice(TriageFacts(**{k: v for k, v in slots.items()}))]
    sent = []
    for position in range(1, len(plan)):
        dispatcher = __import__(
            "rasa_sdk.executor", fromlist=["CollectingDispatcher"]
        ).CollectingDispatcher()
        tracker = make_tracker(
            slots={**slots, "advice_plan": plan, "advice_position": float(position)}
        )
        events = await ActionNextAdviceStep().run(dispatcher, tracker, domain)
        assert events == [SlotSet("advice_position", float(position + 1))]
        sent.extend(dispatcher.messages)
    names = [m["response"] for m in sent]
    assert names[-1] == "utter_advice_done"
    platform_message = next(m for m in sent if m["response"] == "utter_advice_report_platform")
    assert platform_message["platform_name"] == "Snapchat"
    police_message = next(m for m in sent if m["response"] == "utter_advice_report_police")
    assert police_message["force_name"] == "South Wales Police"


async def test_next_without_advice_starts_the_triage(dispatcher, domain):
    events = await ActionNextAdviceStep().run(dispatcher, make_tracker(), domain)
    assert events == [FollowupAction("triage_form")]
    assert responses(dispatcher) == []


async def test_advice_is_not_given_twice(dispatcher, domain):
    facts = {"incident_type": "webcam", "paid": "no", "under_18": "no"}
    whole_plan = ["+".join(step) for step in plan_advice(TriageFacts(**facts))]
    tracker = make_tracker(
        slots={**facts, "advice_plan": whole_plan, "advice_position": float(len(whole_plan))}
    )
    assert await ActionStartAdvice().run(dispatcher, tracker, domain) == [
        SlotSet("advice_plan", whole_plan)
    ]
    assert responses(dispatcher) == ["utter_advice_already_given"]


async def test_a_fact_given_during_the_steps_changes_only_the_steps_to_come(dispatcher, domain):
    before = {"incident_type": "webcam", "paid": "no", "under_18": "no"}
    plan = ["+".join(step) for step in plan_advice(TriageFacts(**before))]
    # Two steps in, they say they are 15: the child route for the rest, their place kept.
    tracker = make_tracker(
        slots={**before, "under_18": "yes", "advice_plan": plan, "advice_position": 2.0}
    )
    tracker.events.extend(
        [
            {"event": "user", "text": "sorry, I'm 15"},
            {"event": "slot", "name": "under_18", "value": "yes"},
        ]
    )
    events = await ActionStartAdvice().run(dispatcher, tracker, domain)
    new_plan = events[0]["value"]
    assert new_plan[:2] == plan[:2]
    assert any("utter_advice_child_ceop" in step for step in new_plan[2:])
    assert not any("utter_advice_stopncii" in step for step in new_plan[2:])
    assert responses(dispatcher) == ["utter_steps_updated", "utter_advice_next"]
    assert not any(e.get("name") == "advice_position" for e in events)


async def test_nothing_new_during_the_steps_claims_no_change(dispatcher, domain):
    facts = {"incident_type": "webcam", "paid": "no", "under_18": "no"}
    plan = ["+".join(step) for step in plan_advice(TriageFacts(**facts))]
    tracker = make_tracker(slots={**facts, "advice_plan": plan, "advice_position": 2.0})
    tracker.events.append({"event": "user", "text": "ok"})
    assert await ActionStartAdvice().run(dispatcher, tracker, domain) == [
        SlotSet("advice_plan", plan)
    ]
    assert responses(dispatcher) == ["utter_resume_advice"]
