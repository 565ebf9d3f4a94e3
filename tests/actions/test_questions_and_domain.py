import re
from pathlib import Path

import yaml

from actions.questions import ANSWERS, ActionAnswerQuestion, resume_response
from actions.safety import ActionCrisis
from tests.actions.conftest import make_tracker, responses

ROOT = Path(__file__).resolve().parents[2]


async def test_a_question_mid_advice_is_answered_then_they_are_offered_the_next_step(
    dispatcher, domain
):
    tracker = make_tracker(
        intent="ask_will_they_post", slots={"advice_plan": ["a", "b"], "advice_position": 1.0}
    )
    await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_answer_will_they_post", "utter_resume_advice"]


async def test_a_question_during_the_triage_leaves_the_form_to_ask_again(dispatcher, domain):
    tracker = make_tracker(intent="ask_in_trouble", active_loop="triage_form")
    await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_answer_in_trouble"]


async def test_asking_for_a_person_gives_the_local_101_route(dispatcher, domain):
    tracker = make_tracker(intent="talk_to_person", slots={"force_area": "dorset"})
    await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_talk_to_person"
    assert dispatcher.messages[0]["force_name"] == "Dorset Police"


def test_resuming():
    assert resume_response(True, None, None) is None
    assert resume_response(False, ["a", "b"], 1.0) == "utter_resume_advice"
    assert resume_response(False, ["a", "b"], 2.0) is None
    assert resume_response(False, None, None) == "utter_start_triage"


async def test_crisis_gives_the_emergency_numbers(dispatcher, domain):
    await ActionCrisis().run(dispatcher, make_tracker(intent="crisis"), domain)
    assert responses(dispatcher) == ["utter_crisis"]
    texts = [v["text"] for v in domain["responses"]["utter_crisis"]]
    assert all("999" in t and "116 123" in t and "85258" in t for t in texts)
    child = [v for v in domain["responses"]["utter_crisis"] if v.get("condition")]
    assert child and "0800 1111" in child[0]["text"]


def test_every_response_named_in_code_exists_in_the_domain(domain):
    named = set(ANSWERS.values())
    for folder in ["actions", "bot"]:
        for path in (ROOT / folder).rglob("*.py"):
            named |= set(re.findall(r'"(utter_[a-z0-9_]+)"', path.read_text()))
    missing = sorted(n for n in named if n not in domain["responses"])
    assert missing == []


def as_rasa_sends(payload: str) -> str:
    """Rasa fills {slot} templates in payloads too; doubled braces are its escape."""
    return payload.replace("{{", "{").replace("}}", "}")


def test_button_payloads_with_entities_escape_their_braces(domain):
    # Single braces make Rasa look for a slot named '"platform":"snapchat"', fail, and log an
    # ERROR with a traceback every time the buttons are shown (and send the payload anyway).
    for name, variations in domain["responses"].items():
        for variation in variations:
            for button in variation.get("buttons", []):
                payload = button["payload"]
                if "{" in payload:
                    assert re.fullmatch(r"/\w+\{\{[^{}]*\}\}", payload), (name, payload)


def test_every_button_payload_names_a_real_intent_and_entity(domain):
    intents = set(domain["intents"]) | {"restart"}
    # An entity is a name, or a name with its settings ({"language": {...}}).
    entities = {
        name
        for entry in domain["entities"]
        for name in (entry if isinstance(entry, dict) else [entry])
    }
    for name, variations in domain["responses"].items():
        for variation in variations:
            for button in variation.get("buttons", []):
                match = re.fullmatch(r"/(\w+)(\{.*\})?", as_rasa_sends(button["payload"]))
                assert match, (name, button)
                assert match.group(1) in intents, (name, button)
                if match.group(2):
                    assert set(yaml.safe_load(match.group(2))) <= entities, (name, button)


def test_no_response_suggests_paying_or_asks_who_they_are(domain):
    for name, variations in domain["responses"].items():
        for variation in variations:
            text = variation["text"].lower()
            assert not re.search(r"\b(you should|try to|best to) pay\b", text), name
            assert not re.search(
                r"what(?:'s| is) your (name|number|address)|send me (a|the) (photo|picture|image)",
                text,
            ), name
