"""The crisis safety net catches Welsh risk-to-life phrases too."""

from __future__ import annotations

import pytest

from addons.crisis import mentions_risk_to_life


@pytest.mark.parametrize(
    "text",
    [
        "dw i eisiau marw",
        "dwi isio marw",
        "sa i moyn byw ar ôl hyn",
        "dw i'n meddwl lladd fy hun",
        "os ydy mam yn gweld y llun dw i'n mynd i ladd fy hun",
        "dw i wedi meddwl am hunanladdiad",
        "dw i'n teimlo'n hunanleiddiol",
        "well gen i fod yn farw",
        "does dim pwynt byw",
        "dw i wedi bod yn brifo fy hun",
        "dw i wedi bod yn hunan-niweidio",
        "dw i wedi cymryd gorddos",
        "dw i eisiau rhoi diwedd ar fy mywyd",
        "dw i'n mynd i ddod â'r cyfan i ben",
        "alla i ddim mynd ymlaen fel hyn",
        "byddai pawb yn well eu byd hebdda i",
    ],
)
def test_welsh_risk_to_life_is_caught(text):
    assert mentions_risk_to_life(text)


@pytest.mark.parametrize(
    "text",
    [
        "dw i wedi talu £200",
        "mae hi'n bygwth rhannu'r lluniau",
        "dw i ofn",
        "dw i ddim eisiau talu",
        "mae'r batri wedi marw",
        "dw i'n byw yn Abertawe",
    ],
)
def test_ordinary_welsh_is_not_a_crisis(text):
    assert not mentions_risk_to_life(text)
