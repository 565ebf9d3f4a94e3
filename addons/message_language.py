"""The language of each message as a ``language`` entity, which fills the ``language`` slot.

The rules are in aic_shared/language.py (bot/ uses them too). A pipeline component rather than a
custom slot-mapping action: that action cost one call to the action server on every turn.

bot/ names the person's language in every message's metadata, so the entity is there on every
turn; Rasa's slot mapping would then add ``SlotSet("language", ...)`` to every turn although
the value almost never changes. ``install`` drops the repeats: one event fewer a turn to store,
load and replay, and the slot's value is the same either way.
"""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import ActionExtractSlots
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    METADATA,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from addons.components import StatelessComponent
from aic_shared.language import ENTITY, SLOT, message_language

original_extract_slots = ActionExtractSlots.run


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class MessageLanguage(StatelessComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = message_language(message.get(METADATA), text)
            if language is None:
                continue
            # The whole message says which language it is in, so the entity spans all of it.
            entity = {
                ENTITY_ATTRIBUTE_TYPE: ENTITY,
                ENTITY_ATTRIBUTE_VALUE: language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                EXTRACTOR: type(self).__name__,
            }
            others = [
                e for e in message.get(ENTITIES) or [] if e.get(ENTITY_ATTRIBUTE_TYPE) != ENTITY
            ]
            message.set(ENTITIES, [*others, entity], add_to_output=True)
        return messages


def without_repeated_language(events: list[Event], tracker: DialogueStateTracker) -> list[Event]:
    """``events`` less a ``SlotSet`` of the language slot to the value it already has."""
    current = tracker.get_slot(SLOT)
    return [
        event
        for event in events
        if not (isinstance(event, SlotSet) and event.key == SLOT and event.value == current)
    ]


async def extract_slots(
    self: ActionExtractSlots,
    output_channel: Any,
    nlg: Any,
    tracker: DialogueStateTracker,
    domain: Any,
) -> list[Event]:
    events = await original_extract_slots(self, output_channel, nlg, tracker, domain)
    return without_repeated_language(events, tracker)


def install() -> None:
    ActionExtractSlots.run = extract_slots  # type: ignore[method-assign]
