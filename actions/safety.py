"""The crisis interrupt: 999, Samaritans and Shout (Childline for under-18s) before anything."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionCrisis(Action):
    def name(self) -> str:
        return "action_crisis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        # The response's under-18 variation adds Childline.
        dispatcher.utter_message(response="utter_crisis")
        return []
