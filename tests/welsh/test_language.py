"""actions/language.py: which language to answer in."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionSetLanguage, choose_language, detect_language, normalise


@pytest.mark.parametrize(
    "text",
    [
        "helo, dw i angen help",
        "mae rhywun yn fy mlacmelio ar insta",
        "nes i alwad fideo efo merch a rwan mae hi isio pres",
        "dw i'n byw yng Nghaerdydd",
        "Nac ydyn, 18 neu hŷn",
        "dw i'n 15",
        "sai'n gwybod beth i neud",
        "Cymraeg plis",
        "ga i siarad Cymraeg",
        "diolch yn fawr iawn",
    ],
)
def test_welsh_is_recognised(text):
    assert detect_language(text) == "cy"


@pytest.mark.parametrize(
    "text",
    [
        "a girl on Instagram recorded our video call, I sent her £200",
        "no i havent paid",
        "I'm in Cardiff",
        "English please",
        "I live in Ynys Môn and they want money",
    ],
)
def test_english_is_recognised(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    # One word, a place name, a greeting, numbers, button payloads: no switch either way.
    [
        "diolch",
        "shwmae",
        "bore da",
        "Abertawe",
        "Caerdydd",
        "ydw",
        "na",
        "yes",
        "ok",
        "£200",
        "im 15",
        "/affirm",
        '/inform{"platform":"dating app"}',
        "ok diolch, thanks",
        "",
        None,
    ],
)
def test_one_word_or_a_place_does_not_decide(text):
    assert detect_language(text) is None


def test_the_order_of_the_choice():
    # An explicit choice wins over the text.
    assert choose_language(explicit="cy", text="I paid them yesterday") == "cy"
    assert choose_language(explicit="en", text="dw i wedi talu ddoe") == "en"
    # Then what the person writes.
    assert choose_language(text="dw i wedi talu ddoe", current="en") == "cy"
    # Then the language already in use (a one-word answer keeps it).
    assert choose_language(text="ydw", current="cy") == "cy"
    assert choose_language(text="yes", current="cy") == "cy"
    # Then the door's guess, then English.
    assert choose_language(text="hi", hint="cy-GB") == "cy"
    assert choose_language(text="hi") == "en"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("cy", "cy"),
        ("CY", "cy"),
        ("cy-GB", "cy"),
        ("cy_GB", "cy"),
        ("en-GB", "en"),
        ("en", "en"),
        ("fr", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_door_language_codes(raw, expected):
    assert normalise(raw) == expected


def _tracker(text: str, metadata: dict | None = None, language: str | None = "en") -> Tracker:
    return Tracker(
        "someone",
        {"language": language, "incident_type": "webcam", "under_18": "yes"},
        {"text": text, "intent": {"name": "inform"}, "metadata": metadata or {}},
        [],
        False,
        None,
        {},
        "action_listen",
    )


async def test_the_slot_mapping_action_sets_the_slot_and_nothing_else():
    action = ActionSetLanguage()
    run = lambda tracker: action.run(CollectingDispatcher(), tracker, {})  # noqa: E731
    assert await run(_tracker("dw i'n byw yn Abertawe")) == [SlotSet("language", "cy")]
    assert await run(_tracker("hello", {"language": "cy"})) == [SlotSet("language", "cy")]
    assert await run(_tracker("ydw", language="cy")) == []
    # Switching back keeps everything else: only the language slot is set.
    assert await run(_tracker("I want to carry on in English please", language="cy")) == [
        SlotSet("language", "en")
    ]
    assert await run(_tracker("ok", {"language_hint": "cy"}, language=None)) == [
        SlotSet("language", "cy")
    ]
