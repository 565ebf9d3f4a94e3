"""The language of each message as a ``language`` entity, which fills the ``language`` slot.

The rules are in actions/language.py (bot/ uses them too). A pipeline component rather than a
custom slot-mapping action: that action cost one call to the action server on every turn.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
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

from actions.language import ENTITY, message_language
from addons.components import StatelessComponent


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
