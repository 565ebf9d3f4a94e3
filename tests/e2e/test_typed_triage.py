"""Typed answers, no buttons: the examples of issue 25, each as a person would type them,
through Rasa's REST channel with the trained model and the action server."""

from __future__ import annotations

import pytest

from tests.e2e.rest_client import RestUser, most_asks_in_a_row, text_of

pytestmark = pytest.mark.e2e

WELSH = {"language": "cy"}


@pytest.fixture
def user(rasa_stack) -> RestUser:
    return RestUser(rasa_stack.rasa_url)


def walk_steps_typing(user: RestUser, replies: list[dict], word: str = "ok next") -> str:
    """Type (not tap) through the steps; return everything they said."""
    said = [text_of(replies)]
    for _ in range(20):
        if user.slots()["advice_position"] >= len(user.slots()["advice_plan"]):
            break
        replies = user.say(word)
        said.append(text_of(replies))
    assert user.slots()["advice_position"] >= len(user.slots()["advice_plan"])
    return "\n".join(said)


@pytest.mark.parametrize("typed", ["I'm fine", "I'm ok", "im fine", "all good thanks"])
def test_everyday_answers_to_are_you_safe_move_on(user, typed):
    user.say("someone recorded me on a video call and wants money, I haven't paid")
    user.say("instagram")
    replies = user.say("im 27")
    assert "safe right now" in text_of(replies)
    replies = user.say(typed)
    assert user.slots()["safe_now"] == "yes"
    assert "area" in text_of(replies)


def test_money_not_collected_is_not_turned_round(user):
    user.say("they recorded me on skype")
    user.say("yes i paid")
    user.say("bank transfer")
    replies = user.say("two hundred quid")
    assert "collected" in text_of(replies)
    assert user.slots()["amount"] == "two hundred quid"
    user.say("I don't think it's been collected yet")
    assert user.slots()["collected"] == "no"
    user.say("no im 40")
    user.say("yeah im ok")
    replies = user.say("bristol")
    advice = walk_steps_typing(user, replies)
    assert "try to stop it right now" in advice
    assert "As the money has been collected" not in advice


def test_a_parent_saying_he_hasnt_paid(user):
    replies = user.say(
        "my 14 year old son is being blackmailed, someone is threatening him with photos"
    )
    assert "What's happening" not in text_of(replies)
    assert user.slots()["incident_type"] == "images"
    assert user.slots()["under_18"] == "yes"
    user.say("snapchat")
    replies = user.say("he hasn't paid")
    assert user.slots()["paid"] == "no"
    assert "safe right now" in text_of(replies)  # under 18 was given at the start


def test_an_ex_who_does_not_want_money(user):
    user.say("my ex is threatening to share our videos")
    user.say("whatsapp")
    replies = user.say("he doesn't want money")
    assert user.slots()["paid"] == "no"
    assert "under 18" in text_of(replies)


@pytest.mark.parametrize("typed", ["two hundred quid", "ok, what should I do next?"])
def test_the_amount_never_blocks_the_way(user, typed):
    user.say("I was recorded on a video call and I paid them")
    user.say("snap")
    user.say("gift cards")
    replies = user.say(typed)
    assert "collected" in text_of(replies)


@pytest.mark.parametrize(
    ("opening", "facts"),
    [
        ("someone recorded me on facetime and wants £300, I haven't paid", {"paid": "no"}),
        ("I've already sent them 0.01 bitcoin after they recorded our call", {"paid": "yes"}),
        (
            "a girl on insta recorded me, I paid £100 and the money has already been picked up",
            {"paid": "yes", "collected": "yes"},
        ),
    ],
)
def test_facts_in_the_first_message_are_not_asked_again(user, opening, facts):
    user.say(opening)
    for _ in range(12):
        if not user.tracker()["active_loop"].get("name"):
            break
        user.say("not sure")
    slots = user.slots()
    assert {key: slots[key] for key in facts} == facts
    asked = text_of([r for turn in user.transcript for r in turn["bot"]])
    assert "Have you paid" not in asked
    if "collected" in facts:
        assert "has been collected yet" not in asked


def test_i_dont_know_what_should_i_do_moves_forward_at_a_question_and_at_the_steps(user):
    user.say("he says he will post my nudes")
    replies = user.say("I don't know, what should I do?")
    assert user.slots()["platforms"] == ["unknown"]
    assert "paid" in text_of(replies)
    for answer in ["no", "no", "yes", "rather not say"]:
        replies = user.say(answer)
    position = user.slots()["advice_position"]
    replies = user.say("I don't know, what should I do?")
    assert user.slots()["advice_position"] == position + 1
    assert "Sorry, I'm not sure I understood" not in text_of(replies)


def test_welsh_dont_know_at_press_next_gives_the_next_step(user):
    user.say("mae rhywun wedi recordio fi ar alwad fideo", WELSH)
    for answer in ["snapchat", "naddo", "dw i'n 30", "ydw", "caerdydd"]:
        replies = user.say(answer, WELSH)
    assert "Pwyswch Nesaf" in text_of(replies) or "Nesaf" in str(replies)
    position = user.slots()["advice_position"]
    replies = user.say("Dw i ddim yn gwybod, beth ddylwn i wneud?", WELSH)
    assert user.slots()["advice_position"] == position + 1
    assert "Cymerwch eich amser" not in text_of(replies)


def test_a_platform_during_the_steps_is_taken_in_and_the_place_kept(user):
    user.say("someone recorded our video call and wants money")
    for answer in ["tinder", "nope", "i'm 35", "yes", "salisbury"]:
        replies = user.say(answer)
    user.say("next")
    position = user.slots()["advice_position"]
    replies = user.say("Facebook")
    said = text_of(replies)
    assert "Which area" not in said and "already been through" not in said
    assert "facebook" in user.slots()["platforms"]
    assert user.slots()["advice_position"] == position
    advice = walk_steps_typing(user, replies)
    assert "Wiltshire Police" in advice


def test_a_correction_during_the_steps_changes_the_steps_to_come(user):
    user.say("someone recorded our video call")
    for answer in ["skype", "no", "im 19", "yes", "cardiff"]:
        replies = user.say(answer)
    replies = user.say("sorry, I'm actually 16")
    assert user.slots()["under_18"] == "yes"
    advice = walk_steps_typing(user, replies)
    assert "CEOP" in advice


def test_no_question_is_asked_more_than_twice(user):
    user.say("someone is blackmailing me")
    for _ in range(12):
        if not user.tracker()["active_loop"].get("name"):
            break
        user.say("purple monkey dishwasher")
    tracker = user.tracker()
    assert most_asks_in_a_row(tracker) <= 2
    assert tracker["slots"]["advice_plan"]
