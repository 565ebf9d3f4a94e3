"""What the hand-off says about 101 when nobody can take the case: only what the person's queue
can keep. A 101 call reaches the caller's own force, and only a force that uses this service can
open a reference; Welsh on 101 is something to ask for, and only of the four Welsh forces."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.handoff.cases import Case
from bot.handoff.hours import OpeningHours
from bot.handoff.queues import NATIONAL, load_forces
from bot.handoff.service import REQUIRED, Handoff, referral_text
from bot.responses import MissingResponses, Responses
from tests.handoff import apps
from tests.handoff.apps import ROOT
from tests.handoff.test_flow import widget_say

DOMAIN = ROOT / "domain.yml"
FORCES = load_forces(DOMAIN)
WELSH_FORCES = {"gwent", "south_wales", "dyfed_powys", "north_wales"}
REFERRALS = (
    "utter_frontdoor_handoff_out_of_hours",
    "utter_frontdoor_handoff_no_answer",
    "utter_frontdoor_handoff_queue_full",
)


def handoff() -> Handoff:
    # Only the texts are read here: no store, no hub, no clock.
    return Handoff(
        cases=None,
        people=None,
        responses=Responses.from_domain(DOMAIN, required=REQUIRED),
        forces=FORCES,
        hours=OpeningHours.parse(None),
        wait_seconds=600,
        retention_seconds=30 * 86400,
        max_message_chars=1000,
    )


def case_for(queue: str) -> Case:
    return Case(
        id=1, reference="ABC-123", pseudonym="p", channel="widget", queue=queue, summary={},
        summary_text="", state="referred", handler=None, outcome=None, created_at=0.0,
        claimed_at=None, ended_at=None,
    )  # fmt: skip


def said(response: str, queue: str, language: str) -> str:
    return handoff().text(referral_text(response, queue), "widget", case_for(queue), language)


QUEUES = sorted(FORCES)


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.parametrize("response", REFERRALS)
def test_only_a_force_that_uses_the_service_is_said_to_open_the_summary(queue, response):
    for language, opens, condition in (
        ("en", r"open the summary", r"uses this service"),
        ("cy", r"agor y crynodeb", r"defnyddio'r gwasanaeth hwn"),
    ):
        text = said(response, queue, language)
        assert "ABC-123" in text and "999" in text and "101" in text
        for sentence in re.split(r"(?<=[.:])\s+", text):
            if re.search(opens, sentence):
                # The promise is made of a named force that runs this desk, or as an "if".
                assert re.search(condition, sentence), (queue, language, sentence)
        if queue == NATIONAL:
            assert FORCES[queue].texts(language)["force_name"] not in text
            assert re.search(r"not every force|dydy pob heddlu ddim", text)
            assert re.search(r"Tell the call handler what happened|Dywedwch wrth y person", text)
        else:
            assert FORCES[queue].texts(language)["force_name"] in text


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.parametrize("response", REFERRALS)
def test_welsh_on_101_is_offered_once_and_only_by_the_welsh_forces(queue, response):
    text = said(response, queue, "cy")
    expected = 1 if queue in WELSH_FORCES else 0
    assert text.count("siarad Cymraeg") == expected, (queue, text)
    assert "Welsh" not in said(response, queue, "en")


def test_the_old_promise_to_whoever_answers_is_gone():
    for queue in QUEUES:
        for response in REFERRALS:
            for language in ("en", "cy"):
                text = said(response, queue, language)
                assert "The person who answers can open" not in text
                assert "Bydd y person sy'n ateb yn gallu agor" not in text


async def test_a_person_outside_the_six_forces_out_of_hours_is_told_what_101_can_do(
    settings, rasa, monkeypatch
):
    monkeypatch.setitem(apps.REQUEST["handoff"], "queue", NATIONAL)
    settings = replace(settings, handoff_hours="national=closed")
    async with TestClient(TestServer(create_app(settings))) as client:
        [reply] = await widget_say(client, "a person please")
    text = reply["text"]
    assert "Nobody is on the online desk right now" in text
    assert "if your local force uses this service" in text and "not every force" in text
    assert "Gwent" not in text


async def test_a_full_queue_gives_a_reference_and_101_at_once(settings, rasa):
    settings = replace(settings, handoff_max_waiting=2)
    async with TestClient(TestServer(create_app(settings))) as client:
        for session in ("1" * 32, "2" * 32):
            waiting = {"session": session, "id": session, "text": "a person please"}
            replies = await (await client.post("/widget/api/message", json=waiting)).json()
            assert "I've asked for a person at Gwent Police" in replies["replies"][0]["text"]
        third = {"session": "3" * 32, "id": "3" * 32, "text": "a person please"}
        [reply] = (await (await client.post("/widget/api/message", json=third)).json())["replies"]
    text = reply["text"]
    assert "the queue is full" in text and "101" in text and "999" in text
    assert "Gwent Police uses this service" in text


def test_every_text_the_hand_off_sends_is_in_the_domain():
    try:
        Responses.from_domain(ROOT / "domain.yml", required=REQUIRED)
    except MissingResponses as missing:
        pytest.fail(str(missing))
