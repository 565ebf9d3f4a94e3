"""Every typed answer of the dev split (bench/typed/dev/), read at its question as the form
reads it, without the classifier: the reader alone must get each one right. (The held-out split
is for `make bench-conversations` only.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.triage import Turn, read_turn

DEV = Path(__file__).resolve().parents[2] / "bench" / "typed" / "dev"
ORDER = ["incident_type", "platforms", "paid", "payment_method", "amount", "collected"]
# Where the writers and data/knowledge.yml disagree: Wizz is filed with the chat sites there.
DISAGREEMENT = "wizz"


def _answers() -> list:
    cases = []
    for path in sorted(DEV.glob("*answers_*.yml")):
        name = path.stem
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for number, answer in enumerate(data["answers"], 1):
            disagreed = DISAGREEMENT in answer["text"].lower()
            marks = [pytest.mark.xfail(strict=True)] if disagreed else []
            cases.append(pytest.param(answer, id=f"{name}-{number}", marks=marks))
    return cases


def known_before(question: str, for_someone_else: bool) -> dict:
    """What the triage knows when it asks ``question``: the questions before it answered."""
    known = {"incident_type": "webcam", "platforms": ["snapchat"]}
    known["paid"] = "yes" if question in ("payment_method", "amount", "collected") else "no"
    if question in ORDER:
        known = {k: v for k, v in known.items() if ORDER.index(k) < ORDER.index(question)}
    if for_someone_else:
        known["asking_for"] = "someone_else"
    return known


def matches(question: str, got, means) -> bool:
    if question == "amount":
        return got not in (None, "unknown") if means == "given" else got == means
    if question == "platforms":
        return got is not None and set(got) == set(means if isinstance(means, list) else [means])
    return got == means


@pytest.mark.parametrize("answer", _answers())
def test_each_typed_answer_is_read_at_its_question(answer):
    question = answer["question"]
    known = known_before(question, answer.get("for_someone_else", False))
    outcome = read_turn(question, known, Turn(answer["text"]), asked=1)
    got = outcome.slots.get(question) if outcome else None
    assert matches(question, got, answer["means"]), (answer["text"], got)
