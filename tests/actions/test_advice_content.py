"""The advice as a person gets it: the real domain's texts, picked by Rasa's own variation filter
for the person's slots and filled with data/knowledge.yml's values (ADVICE-FACTS, "Checked against
platforms' own pages")."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter

from actions import knowledge
from actions.advice import plan_advice, response_values
from actions.facts import TriageFacts
from scripts import content_report
from tests.safety_wording import tells_to_keep_an_image

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
NLG = ResponseVariationFilter(RESPONSES)
PLATFORMS = sorted(knowledge.knowledge()["platforms"])
FORCES = [None, "elsewhere", *sorted(knowledge.knowledge()["forces"])]
PAYMENTS = [None, *sorted(knowledge.knowledge()["payment_methods"])]


def texts(name: str, slots: dict, values: dict | None = None) -> list[str]:
    """Every variation of `name` that Rasa could send with these slots, filled in."""
    filled = defaultdict(str, values or {})
    return [
        variation["text"].format_map(filled)
        for variation in NLG.responses_for_utter_action(name, "rest", slots)
        if "text" in variation
    ]


def values_for(platform: str = "other", force: str | None = None, payment: str | None = None):
    facts = TriageFacts(platforms=[platform], force_area=force, payment_method=payment)
    return response_values(facts)


# Each platform with the rest at their defaults, each force, each way of paying: every value a
# text can be filled with appears in at least one.
ALL_VALUES = [
    *(values_for(platform=p) for p in PLATFORMS),
    *(values_for(force=f) for f in FORCES),
    *(values_for(payment=m) for m in PAYMENTS),
]


# --- Under-18s: nobody is told to keep, save or copy an image ----------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "Please don't send me pictures, videos or files: I don't open or keep them. Keep them safe"
        " on your device as evidence for the police, and tell me in words what happened.",
        "Screenshot whatever is left, note their username, and tell the police.",
        "Keep the pictures as evidence.",
        "Don't delete anything, but save the video somewhere safe.",
        "Peidiwch ag anfon lluniau ata i. Cadwch nhw'n ddiogel ar eich dyfais fel tystiolaeth.",
        "Tynnwch sgrinlun o beth bynnag sydd ar ôl.",
    ],
)
def test_the_check_catches_what_it_is_for(bad):
    assert tells_to_keep_an_image(bad)


@pytest.mark.parametrize(
    "fine",
    [
        "Never screenshot, save, forward or copy the picture or video itself.",
        "Screenshot the threats, their username and their profile.",
        "If any messages are left, screenshot the threats and their username, but never a picture.",
        "Please don't send me pictures, videos or files: I don't open or keep them.",
        "Peidiwch byth â thynnu sgrinlun o'r llun neu'r fideo ei hun, na'i gadw.",
    ],
)
def test_the_check_lets_safe_advice_through(fine):
    assert tells_to_keep_an_image(fine) is None


UNDER_18_STATES = [
    {"under_18": "yes", "language": language, "asking_for": asking_for}
    for language in ("en", "cy")
    for asking_for in (None, "someone_else")
]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_no_response_an_under_18_can_get_tells_anyone_to_keep_an_image(name):
    """Self or a parent or teacher asking about a child: whatever Rasa (or bot/, which does not
    know the age) could send, filled with every platform, force and payment."""
    for slots, values in itertools.product(UNDER_18_STATES, ALL_VALUES):
        for text in texts(name, slots, values):
            assert tells_to_keep_an_image(text) is None, (name, slots, text)


def test_the_deleted_chat_answer_for_under_18s_names_only_messages():
    [english] = texts("utter_answer_deleted_chat", {"under_18": "yes", "language": "en"})
    assert "screenshot the threats and their username, but never a picture" in english
    # Rasa picks at random among the Welsh variations that match: each one names the messages.
    for welsh in texts("utter_answer_deleted_chat", {"under_18": "yes", "language": "cy"}):
        assert "sgrinlun o'r negeseuon" in welsh or "sgrinlun o'r bygythiadau" in welsh


def test_report_remove_is_for_the_young_person_to_use():
    for language in ("en", "cy"):
        child = {"under_18": "yes", "language": language}
        [own] = texts("utter_advice_child_take_down", child)
        assert "13" in own and "17" in own and "Childline" in own
        [parent] = texts("utter_advice_child_take_down", {**child, "asking_for": "someone_else"})
        assert any(w in parent for w in ("can't do it for them", "allwch chi ddim ei wneud"))
        assert "Report Remove" in parent


# --- Evidence before reporting, and the platforms where reporting wipes the chat --------------

# ADVICE-FACTS, "Checked against platforms' own pages".
DELETES_CHAT_ON_REPORT = {"whatsapp", "kik", "plenty_of_fish"}
DEACTIVATING_STARTS_DELETION = {"twitter", "snapchat"}
NO_DEACTIVATE = {"whatsapp", "telegram"}
CLOSED = {"skype"}
EVIDENCE_STEPS = {"utter_advice_keep_evidence", "utter_advice_keep_evidence_child"}
AFTER_EVIDENCE = re.compile(r"utter_advice_(?:report_platform|deactivate|keep_account)")


def every_plan():
    for incident, platform, paid, under_18, asking_for in itertools.product(
        ("webcam", "images", "known_person", "other", None),
        [*PLATFORMS, knowledge.UNKNOWN],
        ("yes", "no", None),
        ("yes", "no", None),
        (None, "someone_else"),
    ):
        facts = TriageFacts(
            incident_type=incident,
            platforms=[platform],
            paid=paid,
            under_18=under_18,
            asking_for=asking_for,
        )
        yield facts, plan_advice(facts)


def test_no_report_step_comes_before_the_evidence_step():
    for facts, plan in every_plan():
        evidence = [i for i, step in enumerate(plan) if EVIDENCE_STEPS & set(step)]
        assert len(evidence) == 1, facts
        for position, step in enumerate(plan):
            for name in step:
                if AFTER_EVIDENCE.match(name):
                    assert position > evidence[0], (facts, name)


def test_the_knowledge_file_marks_the_platforms_the_facts_name():
    platforms = knowledge.knowledge()["platforms"]
    risks = {p: knowledge.platform_risks(p) for p in platforms}
    assert {p for p, r in risks.items() if r.reporting_deletes_chat} == DELETES_CHAT_ON_REPORT
    assert {
        p for p, r in risks.items() if r.deactivating == knowledge.STARTS_DELETION
    } == DEACTIVATING_STARTS_DELETION
    assert {p for p, r in risks.items() if r.deactivating == knowledge.NOT_OFFERED} == NO_DEACTIVATE
    assert {p for p, r in risks.items() if r.closed} == CLOSED


def report_texts(platform: str, language: str) -> list[str]:
    facts = TriageFacts(incident_type="webcam", platforms=[platform])
    [report_step] = [
        step
        for step in plan_advice(facts)
        if any(name.startswith("utter_advice_report_platform") for name in step)
    ]
    return [
        text
        for name in report_step
        for text in texts(name, {"language": language}, response_values(facts))
    ]


@pytest.mark.parametrize("platform", sorted(DELETES_CHAT_ON_REPORT))
def test_report_steps_where_reporting_wipes_the_chat_say_save_first_and_untick_delete(platform):
    [english] = report_texts(platform, "en")
    assert "save your screenshots first" in english and "leave it unticked" in english
    assert english.index("save your screenshots first") < english.index("report their account")
    [welsh] = report_texts(platform, "cy")
    assert "cadwch eich sgrinluniau yn gyntaf" in welsh and "peidiwch â'i dicio" in welsh


@pytest.mark.parametrize("platform", sorted(set(PLATFORMS) - DELETES_CHAT_ON_REPORT - CLOSED))
def test_every_other_report_step_follows_saved_screenshots(platform):
    [english] = report_texts(platform, "en")
    assert english.startswith("Once your screenshots are saved, report their account to")


def step_texts(platform: str, language: str = "en") -> str:
    facts = TriageFacts(incident_type="webcam", platforms=[platform], under_18="no")
    values = response_values(facts)
    return "\n".join(
        text
        for step in plan_advice(facts)
        for name in step
        for text in texts(name, {"language": language, "under_18": "no"}, values)
    )


@pytest.mark.parametrize("platform", sorted(DEACTIVATING_STARTS_DELETION))
def test_where_deactivating_starts_deletion_the_steps_say_so(platform):
    advice = step_texts(platform)
    assert "30-day countdown to deleting the account" in advice
    assert "log back in within 30 days" in advice
    assert "deactivate or suspend it rather than deleting it" not in advice


@pytest.mark.parametrize("platform", sorted(NO_DEACTIVATE))
def test_where_there_is_no_deactivate_the_steps_say_keep_the_app_and_chat(platform):
    advice = step_texts(platform)
    assert "don't delete the app, the account or the chat" in advice
    assert "deactivate" not in advice.lower()


def test_skype_is_closed_and_points_to_teams():
    for language in ("en", "cy"):
        advice = step_texts("skype", language)
        assert "Teams" in advice
        assert "Report their account to Skype" not in advice and "dadactifadwch" not in advice
    assert "Skype has closed" in step_texts("skype")


def test_scam_emails_are_kept_not_left_in_spam():
    facts = TriageFacts(incident_type="phishing", platforms=["email"])
    for language in ("en", "cy"):
        said = "\n".join(
            text
            for step in plan_advice(facts)
            for name in step
            for text in texts(name, {"language": language}, response_values(facts))
        )
        assert "report@phishing.gov.uk" in said
        assert "mark it as spam" not in said and "marcio fel sbam" not in said
        assert "Keep the original" in said or "Cadwch yr un gwreiddiol" in said
    assert "keep the original" in knowledge.platform_details("email")["platform_report"]


@pytest.mark.parametrize("force", FORCES)
def test_report_fraud_is_offered_for_scotland_only_with_police_scotland(force):
    facts = TriageFacts(incident_type="phishing", paid="yes", force_area=force)
    for language, scotland in (("en", "Police Scotland on 101"), ("cy", "Heddlu'r Alban ar 101")):
        [text] = texts(
            "utter_advice_phishing_money_lost", {"language": language}, response_values(facts)
        )
        if force in knowledge.knowledge()["forces"]:
            assert scotland not in text  # the six forces are all in Report Fraud's area
        else:
            assert scotland in text and "Report Fraud" in text


# --- Welsh: questions asked of the person, answers that fit the verb ---------------------------

ANSWER_TO = {
    "Ydych chi": ("Ydw", "Nac ydw"),
    "Ydyn nhw": ("Ydyn", "Nac ydyn"),
    "Ydy": ("Ydy", "Nac ydy"),
    "Oes": ("Oes", "Nac oes"),
}


def welsh_questions():
    for name, variations in RESPONSES.items():
        for variation in variations:
            conditions = variation.get("condition") or []
            if {"type": "slot", "name": "language", "value": "cy"} not in conditions:
                continue
            payloads = {b["payload"]: b["title"] for b in variation.get("buttons") or []}
            if "/affirm" in payloads and "/deny" in payloads:
                yield name, conditions, variation["text"], payloads["/affirm"], payloads["/deny"]


def test_welsh_yes_no_buttons_answer_the_verb_of_the_question():
    checked = 0
    for name, _, text, yes, no in welsh_questions():
        question = re.findall(r"[^.?!:\n]*\?", text)[-1].strip()
        opener = next(o for o in ANSWER_TO if question.startswith(o))
        assert yes.startswith(ANSWER_TO[opener][0]), (name, question, yes)
        assert no.startswith(ANSWER_TO[opener][1]), (name, question, no)
        checked += 1
    assert checked >= 6


def test_welsh_age_and_safety_questions_ask_the_person_directly():
    for name in ("utter_ask_triage_form_under_18", "utter_ask_triage_form_safe_now"):
        [own] = texts(name, {"language": "cy"})
        assert own.startswith("Ydych chi") and "flacmelio" not in own
        [theirs] = texts(name, {"language": "cy", "asking_for": "someone_else"})
        assert theirs.startswith("Ydyn nhw")


# --- Every fact keeps its source ----------------------------------------------------------------


def test_every_knowledge_entry_has_a_source_address_and_the_month_it_was_checked():
    entries = list(content_report.entries(knowledge.knowledge()))
    assert len(entries) >= 40
    for entry in entries:
        assert content_report.problems(entry, dt.date.today()) == [], entry


def test_the_content_report_lists_what_is_a_year_old_and_does_not_fail_on_it():
    data = {
        "platforms": {
            "old": {"source_url": "https://example.org/old", "checked": "2025-11"},
            "recent": {"source_url": "https://example.org/new", "checked": "2026-01"},
        },
        "national_police": {"source_url": "https://www.police.uk", "checked": "2026-12"},
    }
    as_of = dt.date(2026, 12, 1)
    stale = content_report.stale(list(content_report.entries(data)), as_of)
    assert [e.key for e in stale] == ["platforms.old"]
    report = content_report.report(data, as_of)
    assert "platforms.old  https://example.org/old" in report and "recent" not in report
    assert content_report.main(["--as-of", "2040-01"]) == 0


def test_an_entry_without_an_address_or_month_is_reported():
    entry = content_report.Entry("platforms.x", "see the help pages", "Dec 2026")
    assert content_report.problems(entry, dt.date(2026, 12, 1)) == [
        "no source address",
        "no month checked (YYYY-MM)",
    ]
