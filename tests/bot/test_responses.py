from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.responses import REQUIRED, MissingResponses, Responses


def write_domain(path: Path, responses: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": "3.1", "responses": responses}))
    return path


def test_a_missing_response_fails_at_load(tmp_path: Path):
    responses = {name: [{"text": "x"}] for name in REQUIRED if name != "utter_frontdoor_empty"}
    with pytest.raises(MissingResponses, match="utter_frontdoor_empty"):
        Responses.from_domain(write_domain(tmp_path / "domain.yml", responses))


def test_channel_variations_are_preferred(tmp_path: Path):
    responses = {name: [{"text": "x"}] for name in REQUIRED}
    responses["utter_frontdoor_empty"] = [
        {"text": "general"},
        {"text": "on telegram", "channel": "telegram"},
    ]
    loaded = Responses.from_domain(write_domain(tmp_path / "domain.yml", responses))
    assert loaded.text("utter_frontdoor_empty", "telegram") == "on telegram"
    assert loaded.text("utter_frontdoor_empty", "widget") == "general"


def test_a_domain_directory_is_read_whole(tmp_path: Path):
    names = list(REQUIRED)
    write_domain(tmp_path / "a.yml", {n: [{"text": n}] for n in names[:5]})
    write_domain(tmp_path / "b.yml", {n: [{"text": n}] for n in names[5:]})
    assert Responses.from_domain(tmp_path).text(names[-1]) == names[-1]


def test_the_project_domain_has_every_response_when_present():
    domain = Path(__file__).parents[2] / "domain.yml"
    if not domain.exists():
        pytest.skip("domain.yml is not written yet")
    Responses.from_domain(domain)
