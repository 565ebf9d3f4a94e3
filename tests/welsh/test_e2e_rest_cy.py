"""The main branches of the conversation in Welsh, against the real model, Rasa and actions,
through Rasa's REST channel (the door every bot/ door uses)."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.e2e.rest_client import RestUser, buttons_of, text_of

pytestmark = pytest.mark.e2e


class WelshUser(RestUser):
    """A REST user who can also send the metadata bot/ sends (``{"language": "cy"}``)."""

    def say(self, text: str, metadata: dict | None = None) -> list[dict]:
        if metadata is None:
            return super().say(text)
        body = json.dumps({"sender": self.sender, "message": text, "metadata": metadata}).encode()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            replies = json.loads(response.read())
        self.transcript.append({"user": text, "bot": replies})
        return replies


@pytest.fixture
def user(rasa_stack) -> WelshUser:
    return WelshUser(rasa_stack.rasa_url)


def walk_advice(user: RestUser, replies: list[dict]) -> str:
    said = [text_of(replies)]
    for _ in range(20):
        if "Nesaf" not in buttons_of(replies):
            break
        replies = user.tap(replies, "Nesaf")
        said.append(text_of(replies))
    assert "Dyna'r holl gamau" in said[-1]
    return "\n".join(said)


def assert_no_english(text: str) -> None:
    for english in ("Don't", "Report their", "Call your", "police on 101", "Tap Next", "You are"):
        assert english not in text, english


def test_webcam_paid_and_not_collected_in_welsh(user):
    replies = user.say("recordiodd rhywun fi ar alwad fideo ar skype")
    assert user.slots()["incident_type"] == "webcam"
    assert user.slots()["language"] == "cy"
    assert "arian" in text_of(replies)
    replies = user.say("do, dw i wedi talu")
    assert "Sut cafodd yr arian ei anfon?" in text_of(replies)
    user.say("trosglwyddiad banc")
    replies = user.say("£450")
    assert "gasglu" in text_of(replies)
    replies = user.say("dim eto")
    assert "18" in text_of(replies)
    replies = user.say("nac ydw, dw i'n 30")
    assert user.slots()["under_18"] == "no"
    replies = user.say("ydw")
    replies = user.say("dw i'n byw yn Wrecsam")
    slots = user.slots()
    assert slots["force_area"] == "north_wales" and slots["payment_method"] == "bank_transfer"
    advice = walk_advice(user, replies)
    assert "ceisiwch ei atal ar unwaith" in advice
    assert "Ffoniwch eich banc nawr" in advice
    assert "Heddlu Gogledd Cymru" in advice and "siarad Cymraeg" in advice
    assert "StopNCII" in advice
    assert_no_english(advice)


def test_a_welsh_payment_in_the_first_message_is_taken_and_not_asked_again(user):
    replies = user.say(
        "recordiodd merch ein galwad fideo ar insta, a talais i £200 iddi drwy Western Union"
    )
    slots = user.slots()
    assert slots["paid"] == "yes"
    assert slots["payment_method"] == "money_transfer_service"
    assert slots["amount"] == "£200"
    assert "gasglu" in text_of(replies)


def test_asking_whether_to_tell_mam_keeps_the_triage_their_own(user):
    replies = user.say("mae rhywun yn bygwth rhannu fy lluniau noeth")
    question = text_of(replies).splitlines()[-1]
    replies = user.say("ddylwn i ddweud wrth fy mam?")
    assert user.slots()["asking_for"] is None
    assert text_of(replies).endswith(question)


def test_phishing_in_welsh(user):
    replies = user.say(
        "ges i e-bost yn dweud eu bod nhw wedi hacio fy ngwe-gamera, mae fy hen gyfrinair ynddo"
    )
    assert user.slots()["incident_type"] == "phishing"
    user.say("naddo")
    user.say("nac ydw")
    user.say("ydw")
    replies = user.say("byddai'n well gen i beidio â dweud")
    advice = walk_advice(user, replies)
    assert "celwydd" in advice
    assert "report@phishing.gov.uk" in advice and "haveibeenpwned.com" in advice
    assert "heddlu eich ardal" in advice
    assert_no_english(advice)


def test_an_under_18_gets_the_child_route_in_welsh(user):
    user.say("mae rhywun ar snap efo fy lluniau noeth ac mae'n bygwth eu hanfon at bawb")
    user.say("naddo")
    user.say("dw i'n 15")
    assert user.slots()["under_18"] == "yes"
    user.say("ydw")
    replies = user.say("Abertawe")
    assert user.slots()["force_area"] == "south_wales"
    advice = walk_advice(user, replies)
    assert "Dydych chi ddim mewn trwbl" in advice
    assert "0800 1111" in advice and "gwnselydd sy'n siarad Cymraeg" in advice
    assert "Peidiwch byth â thynnu sgrinlun o'r llun neu'r fideo ei hun" in advice
    assert "StopNCII" not in advice
    assert_no_english(advice)


def test_crisis_in_welsh_comes_first_with_the_welsh_line(user):
    replies = user.say("mae fy nghyn yn bygwth postio ein fideo")
    assert "?" in text_of(replies)
    replies = user.say("a dweud y gwir dw i eisiau marw")
    first = replies[0]["text"]
    assert "999" in first and "116 123" in first and "85258" in first
    assert "0808 164 0123" in first and "Childline" in first
    assert "?" in text_of(replies[1:])  # then the question again, in Welsh
    assert_no_english(text_of(replies))


def test_switching_language_mid_triage_keeps_the_answers(user):
    replies = user.say("someone recorded me on skype")
    assert "paid" in text_of(replies) or "money" in text_of(replies)
    # The door's explicit choice (what bot/ sends after /cymraeg or the widget's switch).
    replies = user.say("yes", metadata={"language": "cy"})
    assert "Sut cafodd yr arian ei anfon?" in text_of(replies)
    slots = user.slots()
    assert slots["incident_type"] == "webcam" and slots["platforms"] == ["skype"]
    assert slots["paid"] == "yes" and slots["language"] == "cy"
    replies = user.say("bank transfer", metadata={"language": "en"})
    assert "how much" in text_of(replies).lower()
    assert user.slots()["payment_method"] == "bank_transfer"
