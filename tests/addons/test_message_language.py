"""aic_shared/language.py and addons/message_language.py: which language to answer in."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from addons import message_language as language
from addons.message_language import MessageLanguage
from aic_shared.language import choose_language, detect_language, normalise

ROOT = Path(__file__).resolve().parents[2]


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
    # The language the text is written in, when the caller detected it already, counts the same.
    for text in ("dw i wedi talu ddoe", "I paid them yesterday", "ydw", "hi", None):
        for current, hint in (("cy", None), ("en", "cy"), (None, "cy-GB"), (None, None)):
            assert choose_language(
                written=detect_language(text), current=current, hint=hint
            ) == choose_language(text=text, current=current, hint=hint)


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


def _language_entities(text: str, metadata: dict | None = None) -> list[dict]:
    message = Message(data={"text": text, "metadata": metadata or {}})
    [message] = MessageLanguage().process([message])
    return [e for e in message.get("entities") or [] if e["entity"] == "language"]


def test_the_pipeline_marks_the_language_of_each_message_it_can_tell():
    [welsh] = _language_entities("dw i'n byw yn Abertawe")
    assert welsh["value"] == "cy" and (welsh["start"], welsh["end"]) == (0, 22)
    # bot/'s choice in the metadata wins over the words.
    assert [e["value"] for e in _language_entities("hello", {"language": "cy"})] == ["cy"]
    assert [e["value"] for e in _language_entities("dw i'n 15", {"language": "en"})] == ["en"]
    assert [e["value"] for e in _language_entities("I want to carry on in English")] == ["en"]
    # Nothing to tell by: no entity, so the slot keeps the language in use.
    assert _language_entities("ydw") == []
    assert _language_entities("ok", {"language_hint": "cy"}) == []
    assert _language_entities("ok", {"language": "klingon"}) == []


def test_the_pipeline_keeps_the_other_entities():
    message = Message(
        data={
            "text": "mae o wedi cael fy lluniau ar snapchat",
            "metadata": None,
            "entities": [{"entity": "platform", "value": "snapchat", "start": 31, "end": 39}],
        }
    )
    [message] = MessageLanguage().process([message])
    assert [e["entity"] for e in message.get("entities")] == ["platform", "language"]


def test_the_domain_fills_the_slot_from_the_entity_alone():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert domain["slots"]["language"]["mappings"] == [
        {"type": "from_entity", "entity": "language"}
    ]
    # It never changes what the dialogue does, only which words it uses.
    assert {"language": {"influence_conversation": False}} in domain["entities"]
    assert domain["slots"]["language"]["influence_conversation"] is False


def _extracted_slots(events: list, language_entity: str | None) -> list[tuple[str, object]]:
    """What slot extraction sets after a message carrying ``language_entity``; Rasa's own
    extraction sets the same, less a language slot set to the value it has."""
    domain = Domain.from_path(ROOT / "domain.yml")
    tracker = DialogueStateTracker.from_events("someone", events, slots=domain.slots)
    entities = []
    if language_entity:
        entities.append({"entity": "language", "value": language_entity, "start": 0, "end": 8})
    tracker.update(
        UserUttered("for my son", {"name": "for_someone_else", "confidence": 1.0}, entities)
    )

    def slots_set(run: Any) -> list[tuple[str, object]]:
        action = ActionExtractSlots(action_endpoint=None)
        events = asyncio.run(run(action, CollectingOutputChannel(), None, tracker, domain))
        return [(event.key, event.value) for event in events if isinstance(event, SlotSet)]

    ours, rasas = slots_set(ActionExtractSlots.run), slots_set(language.original_extract_slots)
    assert ours == [s for s in rasas if s != ("language", tracker.get_slot("language"))]
    return ours


def test_the_language_slot_is_set_only_when_it_changes():
    assert language.extract_slots is ActionExtractSlots.run  # installed by importing addons
    others = [("asking_for", "someone_else")]
    # English is the slot's first value: saying so again on every turn sets nothing.
    assert _extracted_slots([], "en") == others
    assert _extracted_slots([], None) == others
    assert _extracted_slots([], "cy") == [*others, ("language", "cy")]
    in_welsh = [SlotSet("language", "cy")]
    assert _extracted_slots(in_welsh, "cy") == others
    assert _extracted_slots(in_welsh, "en") == [*others, ("language", "en")]
