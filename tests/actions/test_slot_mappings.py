"""The domain's slot mappings, run by Rasa's own slot extraction (the code path a real message
takes before any custom action sees it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.facts import SOMEONE_ELSE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(ROOT / "domain.yml")


async def slots_set_by(domain: Domain, intent: str, text: str, entities: list[dict]) -> dict:
    tracker = DialogueStateTracker.from_events(
        "test",
        [
            UserUttered(
                text,
                intent={"name": intent, "confidence": 1.0},
                entities=[{**e, "extractor": "RegexEntityExtractor"} for e in entities],
            )
        ],
        slots=domain.slots,
    )
    events = await ActionExtractSlots(None).run(
        CollectingOutputChannel(),
        TemplatedNaturalLanguageGenerator(domain.responses),
        tracker,
        domain,
    )
    return {e.key: e.value for e in events if isinstance(e, SlotSet)}


@pytest.mark.parametrize(
    ("intent", "text", "relation"),
    [
        ("ask_tell_family", "should I tell my mum", "mum"),
        ("ask_tell_family", "do my parents need to know", "parents"),
        ("ask_will_they_post", "will they send it to my friends", "friends"),
        ("report_images", "he says he'll send my nudes to my dad", "dad"),
    ],
)
async def test_naming_a_relation_does_not_mean_asking_for_someone_else(
    rasa_domain, intent, text, relation
):
    start, end = text.index(relation), text.index(relation) + len(relation)
    entities = [{"entity": "relation", "value": relation, "start": start, "end": end}]
    assert "asking_for" not in await slots_set_by(rasa_domain, intent, text, entities)


async def test_a_parent_asking_for_their_son_gets_the_someone_else_framing(rasa_domain):
    text = "my son is being blackmailed"
    entities = [{"entity": "relation", "value": "son", "start": 3, "end": 6}]
    slots = await slots_set_by(rasa_domain, "for_someone_else", text, entities)
    assert slots["asking_for"] == SOMEONE_ELSE


async def test_asking_for_someone_else_without_naming_them_still_counts(rasa_domain):
    slots = await slots_set_by(rasa_domain, "for_someone_else", "i'm asking for someone else", [])
    assert slots["asking_for"] == SOMEONE_ELSE
