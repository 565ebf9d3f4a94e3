"""A property of the whole dialogue: whatever a person types, in whatever order (answers,
questions, thanks, gibberish, things off the subject, English or Welsh), no question is asked
more than twice in a row, and the steps are reached within a bounded number of messages.

Through Rasa's REST channel with the trained model and the action server."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.rest_client import RestUser, asked_questions, most_asks_in_a_row

pytestmark = pytest.mark.e2e

QUESTIONS_IN_THE_TRIAGE = 9
# Each question takes at most three messages (asked, asked again, then "not sure" is taken);
# one more for an opening that does not start the triage ("bye").
MESSAGE_BOUND = 3 * QUESTIONS_IN_THE_TRIAGE + 2

TYPED = {
    "answers": [
        "yes", "nah", "nope", "I'm fine", "im ok", "not sure", "dunno", "15", "im 34",
        "year 10", "snapchat", "on insta", "cardiff", "near swansea", "£200", "two hundred quid",
        "bank transfer", "it's gone", "not yet", "I don't think so", "probably", "he hasn't",
    ],
    "questions": [
        "will they really post it?", "am I in trouble?", "is this a crime?",
        "should I tell my parents?", "can they see where I live?", "what should I do?", "help",
    ],
    "thanks": ["thanks", "thank you so much", "cheers", "diolch"],
    "gibberish": ["asdfgh", "lol", "?!", "qwerty uiop", "...", "k", "🙂"],
    "off_topic": ["what's the weather like", "who won the football", "I like pizza", "bye"],
    "welsh": ["dw i ddim yn gwybod", "ydw", "naddo", "dw i'n iawn", "sai'n siwr", "ym Mangor"],
}  # fmt: skip
ANY_MESSAGE = st.sampled_from([text for texts in TYPED.values() for text in texts])


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(messages=st.lists(ANY_MESSAGE, min_size=MESSAGE_BOUND, max_size=MESSAGE_BOUND))
def test_random_typing_never_loops_and_always_reaches_the_steps(rasa_stack, messages):
    user = RestUser(rasa_stack.rasa_url)
    sent = 0
    for text in messages:
        user.say(text)
        sent += 1
        if user.slots()["advice_plan"]:
            break
    tracker = user.tracker()
    assert most_asks_in_a_row(tracker) <= 2, (messages[:sent], asked_questions(tracker))
    assert tracker["slots"]["advice_plan"], (messages[:sent], asked_questions(tracker))
