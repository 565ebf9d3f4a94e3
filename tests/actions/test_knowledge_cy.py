"""Welsh place names (and their mutated forms) reach the right force; the Welsh twins exist."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions import advice, knowledge
from actions.facts import TriageFacts

ROOT = Path(__file__).resolve().parents[2]


def _entries(table: str) -> list[str]:
    data = yaml.safe_load((ROOT / "data" / "lookups_cy.yml").read_text(encoding="utf-8"))
    return [
        line.strip()[2:].strip()
        for item in data["nlu"]
        if item.get("lookup") == table
        for line in item["examples"].splitlines()
        if line.strip()
    ]


@pytest.mark.parametrize("place", _entries("place"))
def test_every_welsh_place_maps_to_a_force(place):
    assert knowledge.force_for_place(place) is not None


@pytest.mark.parametrize(
    ("said", "force"),
    [
        ("dw i'n byw yng Nghaerdydd", "south_wales"),
        ("o Gaerdydd", "south_wales"),
        ("Abertawe", "south_wales"),
        ("ym Mhen-y-bont ar Ogwr", "south_wales"),
        ("o'r Barri", "south_wales"),
        ("yng Nghasnewydd", "gwent"),
        ("Glynebwy", "gwent"),
        ("yng Nghaerfyrddin", "dyfed_powys"),
        ("Dinbych-y-pysgod", "dyfed_powys"),
        ("Aberystwyth", "dyfed_powys"),
        ("ym Mangor", "north_wales"),
        ("Wrecsam", "north_wales"),
        ("ym Môn", "north_wales"),
        ("Ynys Môn", "north_wales"),
        ("yng Nghonwy", "north_wales"),
        ("yng Ngogledd Cymru", "north_wales"),
        ("yng Nghymru", "elsewhere"),
        ("rhywle arall yn y DU", "elsewhere"),
    ],
)
def test_welsh_places_as_people_write_them(said, force):
    assert knowledge.force_for_place(said) == force


@pytest.mark.parametrize(
    ("said", "platform"),
    [("e-bost", "email"), ("ebost", "email"), ("ap dêtio", "dating_app"), ("trydar", "twitter")],
)
def test_welsh_platform_words(said, platform):
    assert knowledge.canonical_platform(said) == platform


@pytest.mark.parametrize(
    ("said", "method"),
    [
        ("trosglwyddiad banc", "bank_transfer"),
        ("cardiau rhodd", "gift_cards"),
        ("arian cripto", "crypto"),
        ("arian parod", "other"),
    ],
)
def test_welsh_payment_words(said, method):
    assert knowledge.canonical_payment_method(said) == method


def test_every_text_the_welsh_advice_fills_in_has_a_welsh_twin():
    data = knowledge.knowledge()
    for force in data["forces"].values():
        assert force.get("name_cy") and force.get("extra_cy"), force["name"]
    for platform in data["platforms"].values():
        assert platform.get("name_cy") and platform.get("report_cy"), platform["name"]
    for method in data["payment_methods"].values():
        assert method.get("cancel_cy") and method.get("evidence_cy"), method["name"]
    assert data["national_police"].get("name_cy")


def test_welsh_forces_say_you_can_ask_for_welsh_without_a_menu_number():
    for force_id in ("gwent", "south_wales", "dyfed_powys", "north_wales"):
        extra = knowledge.force_details(force_id)["force_extra_cy"]
        assert "siarad Cymraeg" in extra
    for force_id in ("wiltshire", "dorset"):
        assert "Cymraeg" not in knowledge.force_details(force_id)["force_extra_cy"]


def test_the_advice_values_include_the_welsh_twins():
    values = advice.response_values(
        TriageFacts(platforms=["instagram"], force_area="gwent", payment_method="paypal")
    )
    assert values["force_name_cy"] == "Heddlu Gwent"
    assert values["platform_report_cy"].startswith("agorwch eu proffil")
    assert "PayPal" in values["payment_cancel_cy"]
    # The English ones are untouched.
    assert values["force_name"] == "Gwent Police"
