"""Every place and alias the NLU can extract resolves in data/knowledge.yml, to the right force.

bench/heldout/place_forces.yml is the reference: each place recognised by data/lookups.yml with
the police force area it is in. The places go through the same code path as a real answer: the
lookup tables and regexes as Rasa's RegexEntityExtractor compiles them, then the triage form's
validate_force_area.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa.nlu.utils.pattern_utils import extract_patterns
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions import knowledge
from actions.triage import Turn, read_turn

ROOT = Path(__file__).resolve().parents[2]
PLACE_FORCES = yaml.safe_load((ROOT / "bench" / "heldout" / "place_forces.yml").read_text())
ALIASES = yaml.safe_load((ROOT / "bench" / "heldout" / "alias_suggestions.yml").read_text())


def _load(files: list[str]) -> TrainingData:
    return TrainingData().merge(*(load_data(str(ROOT / "data" / f)) for f in files))


def _patterns(name: str, files: list[str]) -> list[re.Pattern]:
    """The regexes Rasa's RegexEntityExtractor builds for entity `name` (config.yml settings)."""
    data = _load(files)
    return [
        re.compile(p["pattern"], re.IGNORECASE)
        for p in extract_patterns(
            data, use_lookup_tables=True, use_regexes=True, use_word_boundaries=True
        )
        if p["name"] == name
    ]


@pytest.fixture(scope="module")
def place_patterns() -> list[re.Pattern]:
    return _patterns("place", ["lookups.yml", "lookups_cy.yml"])


def extracted_place(patterns: list[re.Pattern], text: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match.group(0)
    return None


@pytest.mark.parametrize(("place", "force"), sorted(PLACE_FORCES.items()))
def test_every_reference_place_resolves_to_its_force(place, force):
    assert read_turn("force_area", {}, Turn(place), asked=1).slots["force_area"] == force
    sentence = f"I live in {place.title()}"
    outcome = read_turn("force_area", {}, Turn(sentence), asked=1)
    assert outcome.slots["force_area"] == force
    assert outcome.responses == []
    # Said in passing, at another question, the place is taken in too.
    assert read_turn("safe_now", {}, Turn(sentence), asked=1).slots["force_area"] == force


@pytest.mark.parametrize("place", sorted(PLACE_FORCES))
def test_every_reference_place_is_extracted_as_a_place(place, place_patterns):
    said = extracted_place(place_patterns, f"i live in {place}")
    assert said is not None and said.lower() == place
    assert knowledge.force_for_place(said) == PLACE_FORCES[place]


@pytest.mark.parametrize(
    ("said", "force"),
    [
        ("Dinas Powys", "south_wales"),  # not Dyfed-Powys because of "powys"
        ("newcastle emlyn", "dyfed_powys"),  # not Newcastle upon Tyne
        ("Bradford-on-Avon", "wiltshire"),  # not Bradford, Yorkshire
        ("bradford on avon", "wiltshire"),
        ("we're near Hay on Wye", "dyfed_powys"),
        ("mid wales", "dyfed_powys"),
        ("Bradford", "elsewhere"),
        ("Newcastle", "elsewhere"),
        ("powys", "dyfed_powys"),
    ],
)
def test_places_inside_other_names_take_the_longer_name(said, force):
    assert knowledge.force_for_place(said) == force


def test_every_place_the_lookups_extract_is_known():
    for files in (["lookups.yml"], ["lookups_cy.yml"]):
        data = _load(files)
        for table in data.lookup_tables:
            resolve = {
                "place": knowledge.force_for_place,
                "platform": knowledge.canonical_platform,
                "payment_method": knowledge.canonical_payment_method,
            }.get(table["name"])
            if resolve:
                unknown = [e for e in table["elements"] if resolve(e) is None]
                assert unknown == [], (files, table["name"])


@pytest.mark.parametrize(
    ("section", "resolve"),
    [
        ("platforms", knowledge.canonical_platform),
        ("payment_methods", knowledge.canonical_payment_method),
    ],
)
def test_alias_suggestions_resolve_to_the_suggested_id(section, resolve):
    wrong = {
        alias: resolve(alias)
        for target, aliases in ALIASES[section].items()
        for alias in aliases
        if resolve(alias) != target
    }
    assert wrong == {}
