"""Whole typed conversations, no buttons, through the trained model and the action server: the
advice each person ends up with is right for their platform, their age and where they live.

The conversations (typed_advice_scenarios.yml) were written by a helper that never saw data/,
the domain or the code; each lists the facts it conveys. What is asserted comes from
ADVICE-FACTS, "Checked against platforms' own pages"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.e2e.rest_client import RestUser, most_asks_in_a_row, text_of
from tests.safety_wording import tells_to_keep_an_image

pytestmark = pytest.mark.e2e

SCENARIOS = yaml.safe_load(
    (Path(__file__).with_name("typed_advice_scenarios.yml")).read_text(encoding="utf-8")
)["scenarios"]
NEXT = {"en": "ok next", "cy": "iawn, nesaf"}


def converse(user: RestUser, scenario: dict) -> str:
    """Type the scenario's messages, then type through the steps; everything the bot said."""
    metadata = {"language": "cy"} if scenario["language"] == "cy" else None
    said = [text_of(user.say(message, metadata)) for message in scenario["messages"]]
    for _ in range(25):
        slots = user.slots()
        if slots["advice_plan"] and slots["advice_position"] >= len(slots["advice_plan"]):
            break
        said.append(text_of(user.say(NEXT[scenario["language"]], metadata)))
    slots = user.slots()
    assert slots["advice_plan"], (scenario["id"], user.transcript)
    assert slots["advice_position"] >= len(slots["advice_plan"]), scenario["id"]
    return "\n".join(said)


@pytest.fixture
def user(rasa_stack) -> RestUser:
    return RestUser(rasa_stack.rasa_url)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_a_typed_conversation_ends_in_the_right_advice(user, scenario):
    facts = scenario["facts"]
    welsh = scenario["language"] == "cy"
    advice = converse(user, scenario)
    slots = user.slots()
    tracker = user.tracker()
    assert most_asks_in_a_row(tracker) <= 2

    assert slots["under_18"] == facts["under_18"], scenario["id"]
    if facts["platform"] != "email":
        assert facts["platform"] in slots["platforms"], (scenario["id"], slots["platforms"])

    # The evidence comes before any block or report.
    if facts["incident"] != "phishing" and facts["platform"] != "skype":
        evidence = re.search(
            r"Tynnwch sgrinluniau|sgrinluniau o'r bygythiadau|Take screenshots"
            r"|Screenshot the threats|screenshot the threats",
            advice,
        )
        report = re.search(r"riportiwch eu cyfrif|report their account", advice)
        assert evidence and report and evidence.start() < report.start(), scenario["id"]

    platform = facts["platform"]
    if platform in ("whatsapp", "kik", "plenty_of_fish"):
        if welsh:
            assert "cadwch eich sgrinluniau yn gyntaf" in advice and "peidiwch â'i dicio" in advice
        else:
            assert "save your screenshots first" in advice and "leave it unticked" in advice
    if platform in ("twitter", "snapchat"):
        assert ("cyfrif 30 diwrnod" if welsh else "30-day countdown") in advice
    if platform == "whatsapp":
        assert ("peidiwch â dileu'r ap" if welsh else "don't delete the app") in advice
    if platform == "skype":
        assert "Skype has closed" in advice and "Teams" in advice
        assert "Report their account to Skype" not in advice

    if facts["incident"] == "phishing":
        assert "report@phishing.gov.uk" in advice and "mark it as spam" not in advice
        if facts["area"] == "Glasgow":
            assert "Police Scotland on 101" in advice

    if facts["under_18"] == "yes":
        for line in advice.splitlines():
            assert tells_to_keep_an_image(line) is None, (scenario["id"], line)
        assert "Report Remove" in advice and "Childline" in advice
        if facts.get("for_someone_else"):
            assert "can't do it for them" in advice or "allwch chi ddim ei wneud" in advice


def test_a_teenager_who_deleted_the_chat_is_told_to_screenshot_only_the_messages(user):
    scenario = next(s for s in SCENARIOS if s["id"].startswith("deleted_chat_teen"))
    converse(user, scenario)
    replies = user.say("i deleted all the messages tho, is that bad")
    answer = text_of(replies)
    assert "never a picture or video" in answer and "not in trouble" in answer
    assert tells_to_keep_an_image(answer) is None
