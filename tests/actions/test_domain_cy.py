"""Every response in the domain has a Welsh variation, and the language slot picks the right one.

Fails when a response is added without a Welsh variation in domain.yml, or when a Welsh
variation is left in English.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter

from aic_shared.language import detect_language, language_scores

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSES = DOMAIN["responses"]
STAGING = yaml.safe_load((ROOT / "i18n" / "cy.yml").read_text(encoding="utf-8"))
KEEP_ENGLISH = set(STAGING["keep_english"])
# Brand and service names that stay as they are in Welsh text.
PROPER_NAMES = {
    "Instagram",
    "Snapchat",
    "Facebook",
    "WhatsApp",
    "PayPal",
    "Crypto",
    "Gwent",
    "Dyfed-Powys",
    "Wiltshire",
    "Dorset",
    "Western Union / MoneyGram",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Written in the other language on purpose: the offer of Welsh to an English speaker, and back.
OTHER_LANGUAGE_ON_PURPOSE = {"utter_frontdoor_language_offer"}


def language_of(variation: dict) -> str | None:
    for condition in variation.get("condition") or []:
        if condition["name"] == "language":
            return condition["value"]
    return None


def other_conditions(variation: dict) -> frozenset:
    return frozenset(
        (c["name"], str(c["value"]))
        for c in variation.get("condition") or []
        if c["name"] != "language"
    )


TRANSLATED = sorted(set(RESPONSES) - KEEP_ENGLISH)


@pytest.mark.parametrize("name", TRANSLATED)
def test_every_response_has_welsh(name):
    variations = RESPONSES[name]
    welsh = [v for v in variations if language_of(v) == "cy"]
    english = [v for v in variations if language_of(v) != "cy"]
    assert welsh, f"{name} has no Welsh variation: add one to domain.yml (language: cy)"
    assert english, f"{name} has no English variation"
    # A Welsh fallback with no other condition always exists, or one for asking for oneself
    # (asking_for: null) beside one for asking for someone else: Rasa picks at random among all
    # the conditional variations that match, so the plain one would reach parents too.
    assert any(other_conditions(v) <= {("asking_for", "None")} for v in welsh), (
        f"{name}: no plain Welsh variation"
    )
    # Every English condition has its Welsh counterpart, and English conditions exclude Welsh.
    for variation in english:
        if variation.get("condition"):
            assert language_of(variation) == "en", (
                f"{name}: a conditional English variation without language=en"
            )
            assert other_conditions(variation) in {other_conditions(w) for w in welsh}, name


@pytest.mark.parametrize("name", TRANSLATED)
def test_welsh_is_not_left_in_english(name):
    english_texts = {v["text"] for v in RESPONSES[name] if language_of(v) != "cy"}
    english_titles = {
        b["title"]
        for v in RESPONSES[name]
        if language_of(v) != "cy"
        for b in v.get("buttons") or []
    }
    for variation in (v for v in RESPONSES[name] if language_of(v) == "cy"):
        assert variation["text"] not in english_texts, (
            f"{name}: Welsh variation identical to English"
        )
        if name in OTHER_LANGUAGE_ON_PURPOSE:
            continue
        # English names in brackets are given on purpose ("(Revenge Porn Helpline)").
        text = re.sub(r"\([^)]*\)|\{\w+\}", "", variation["text"])
        welsh_words, english_words = language_scores(text)
        if len(text.split()) >= 4:
            assert detect_language(text) == "cy", f"{name}: does not read as Welsh: {text}"
        else:
            assert english_words == 0, f"{name}: English words in {text!r}"
        for button in variation.get("buttons") or []:
            if button["title"] in english_titles:
                assert button["title"] in PROPER_NAMES, (
                    f"{name}: button left in English: {button['title']}"
                )


@pytest.mark.parametrize("name", TRANSLATED)
def test_welsh_keeps_the_placeholders_and_payloads(name):
    english = [v for v in RESPONSES[name] if language_of(v) != "cy"]
    allowed = {p for v in english for p in _PLACEHOLDER.findall(v["text"])}
    allowed |= {f"{p}_cy" for p in allowed}
    payloads = {b["payload"] for v in english for b in v.get("buttons") or []}
    for variation in (v for v in RESPONSES[name] if language_of(v) == "cy"):
        used = set(_PLACEHOLDER.findall(variation["text"]))
        assert used <= allowed, (
            f"{name}: Welsh uses placeholders English does not: {used - allowed}"
        )
        # Every value the English text gives the reader, the Welsh gives too (in either form).
        needed = {p for v in english for p in _PLACEHOLDER.findall(v["text"])}
        assert {p.removesuffix("_cy") for p in used} >= needed, f"{name}: Welsh drops {needed}"
        assert {b["payload"] for b in variation.get("buttons") or []} <= payloads, name


def _slot_states():
    values = {
        "under_18": [None, "yes", "no", "unknown", "im 15"],
        # The only value the slot takes (domain.yml's mapping, actions/statements.py).
        "asking_for": [None, "someone_else"],
    }
    for language in ("en", "cy"):
        for combo in itertools.product(*values.values()):
            yield {"language": language, **dict(zip(values, combo, strict=True))}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_rasa_never_answers_in_the_other_language(name):
    """Rasa's own variation filter, over every state of the slots the conditions use: a Welsh
    speaker only ever gets Welsh, an English speaker only ever English."""
    nlg_filter = ResponseVariationFilter(RESPONSES)
    for slots in _slot_states():
        candidates = nlg_filter.responses_for_utter_action(name, "rest", slots)
        assert candidates, (name, slots)
        if name in KEEP_ENGLISH:
            continue
        languages = {language_of(v) or "en" for v in candidates}
        assert languages == {slots["language"]}, (name, slots, languages)


def test_welsh_under_18_crisis_always_names_childline():
    nlg_filter = ResponseVariationFilter(RESPONSES)
    for under_18 in ("yes", None, "no"):
        slots = {"language": "cy", "under_18": under_18}
        for variation in nlg_filter.responses_for_utter_action("utter_crisis", "rest", slots):
            assert "Childline" in variation["text"] and "0808 164 0123" in variation["text"]
            assert "999" in variation["text"] and "116 123" in variation["text"]


def test_bribery_is_never_the_word():
    # FORCES-AND-SERVICES C: "llwgrwobrwyo" means bribery, not blackmail.
    text = (ROOT / "domain.yml").read_text(encoding="utf-8").lower()
    assert "llwgrwobr" not in text


def test_no_specific_101_menu_option_is_claimed_for_welsh():
    # Unverified for every force: the Welsh text says you can ask to speak Welsh, nothing more.
    for name in TRANSLATED:
        for variation in (v for v in RESPONSES[name] if language_of(v) == "cy"):
            assert not re.search(r"pwyso \d|opsiwn \d .*cymraeg", variation["text"].lower()), name
