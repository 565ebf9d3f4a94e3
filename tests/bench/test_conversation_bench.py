"""`make bench-conversations`' pure parts: scoring, the simulated person, the report."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.conversations import (
    DONT_KNOW,
    MAX_MESSAGES,
    Aside,
    Person,
    Script,
    Task,
    TypedAnswer,
    View,
    answer_outcome,
    earlier_facts,
    judge,
    load_tasks,
    parse_answers,
    parse_scripts,
    read_right,
    render_report,
    run_all,
    run_answer,
    run_conversation,
    setup_events,
)

# What the script's person says happened, and so what the slots hold when all is read right.
FACTS = {
    "incident_type": "webcam",
    "platforms": ["snapchat"],
    "paid": "no",
    "under_18": "no",
    "safe_now": "yes",
    "force_area": "gwent",
}


def script(**changes) -> Script:
    fields = dict(
        id="en-test-01",
        opening="someone on snap recorded me on a video call, I haven't paid",
        answers={
            "incident_type": "they recorded me",
            "platforms": "snapchat",
            "paid": "no",
            "under_18": "no im 24",
            "safe_now": "yeah",
            "force_area": "newport",
        },
        facts=dict(FACTS),
        already_said=("incident_type", "platforms", "paid"),
        asides=(Aside("under_18", "will they actually post it?"),),
        during_steps=("ok", "what do i do now"),
        next_words=("next", "go on"),
    )
    return Script(**{**fields, **changes})


def asking(question: str, **slots) -> View:
    return View(True, question, [], 0.0, {"requested_slot": question, **slots})


def advice(position: float, steps: int = 3, **slots) -> View:
    plan = [f"utter_step_{n}" for n in range(steps)]
    return View(
        False, None, plan, position, {"advice_plan": plan, "advice_position": position, **slots}
    )


NOTHING = View(False, None, [], 0.0, {})


# --- Scoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, means, value, right",
    [
        ("paid", "no", "no", True),
        ("paid", "no", "unknown", False),
        ("paid", "no", None, False),
        ("paid", False, "no", True),  # YAML's bare no
        ("under_18", True, "yes", True),
        ("force_area", "gwent", "gwent", True),
        ("force_area", "gwent", "south_wales", False),
        ("platforms", ["instagram", "facetime"], ["facetime", "instagram"], True),
        ("platforms", ["instagram", "facetime"], ["instagram"], False),
        ("platforms", ["instagram"], ["instagram", "other"], False),
        ("platforms", "unknown", ["unknown"], True),
        ("platforms", ["unknown"], None, False),
        ("amount", "given", "£200", True),
        ("amount", "given", "two hundred quid", True),
        ("amount", "given", "unknown", False),
        ("amount", "given", None, False),
        ("amount", "unknown", "unknown", True),
        ("amount", "unknown", "£200", False),
        ("payment_method", "crypto", "crypto", True),
    ],
)
def test_an_answer_is_read_right_when_its_slot_holds_what_it_means(question, means, value, right):
    assert read_right(question, means, value) is right


def test_an_answer_outcome_records_what_was_read_and_any_error():
    answer = TypedAnswer("amount", "about 200 quid", "given", number=3)
    assert answer_outcome(answer, "200 quid")["right"] is True
    failed = answer_outcome(answer, None, "HTTP 500 Internal Server Error")
    assert failed["right"] is False and failed["got"] is None and failed["error"]


def test_the_files_yes_and_no_are_read_as_the_slots_hold_them():
    answers = parse_answers(
        yaml.safe_load(
            "answers:\n"
            "  - {question: paid, text: nah, means: no}\n"
            "  - {question: under_18, for_someone_else: true, text: year 10, means: yes}\n"
        )
    )
    assert [(a.means, a.for_someone_else, a.number) for a in answers] == [
        ("no", False, 1),
        ("yes", True, 2),
    ]
    (person,) = parse_scripts(
        yaml.safe_load(
            "conversations:\n"
            "  - id: x\n"
            "    opening: hi\n"
            "    answers: {paid: nope}\n"
            "    asides: [{at: paid, text: 'is it real?'}]\n"
            "    facts: {paid: no, safe_now: yes}\n"
        )
    )
    assert person.facts == {"paid": "no", "safe_now": "yes"}
    assert person.asides == (Aside("paid", "is it real?"),)
    assert person.next_words == ("next",) and person.already_said == ()


def test_missing_files_are_noted_and_skipped(tmp_path: Path):
    typed = tmp_path / "bench" / "typed"
    (typed / "dev").mkdir(parents=True)
    (typed / "dev" / "answers_en.yml").write_text(
        "answers:\n  - {question: paid, text: nah, means: 'no'}\n"
    )
    tasks, missing = load_tasks(["dev"], ["en", "cy"], typed)
    assert [(t.split, t.lang, t.kind) for t in tasks] == [("dev", "en", "answers")]
    assert missing == [
        "bench/typed/dev/conversations_en.yml",
        "bench/typed/dev/answers_cy.yml",
        "bench/typed/dev/conversations_cy.yml",
    ]


# --- Putting a conversation at a question ------------------------------------------------------


@pytest.mark.parametrize(
    "question, earlier",
    [
        ("incident_type", {}),
        ("platforms", {"incident_type": "webcam"}),
        ("paid", {"incident_type": "webcam", "platforms": ["snapchat"]}),
        ("payment_method", {"incident_type": "webcam", "platforms": ["snapchat"], "paid": "yes"}),
        (
            "collected",
            {
                "incident_type": "webcam",
                "platforms": ["snapchat"],
                "paid": "yes",
                "payment_method": "bank_transfer",
                "amount": "£200",
            },
        ),
        ("under_18", {"incident_type": "webcam", "platforms": ["snapchat"], "paid": "no"}),
        (
            "force_area",
            {
                "incident_type": "webcam",
                "platforms": ["snapchat"],
                "paid": "no",
                "under_18": "no",
                "safe_now": "yes",
            },
        ),
    ],
)
def test_the_facts_before_a_question_make_it_the_next_one(question, earlier):
    assert earlier_facts(question) == earlier


def test_the_events_leave_the_form_asking_the_question():
    events = setup_events("under_18", "cy", for_someone_else=True)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["language"] == "cy" and slots["asking_for"] == "someone_else"
    assert slots["paid"] == "no" and slots["requested_slot"] == "under_18"
    assert events[-4:] == [
        {"event": "active_loop", "name": "triage_form"},
        {"event": "slot", "name": "requested_slot", "value": "under_18"},
        {
            "event": "bot",
            "text": "Ydyn nhw o dan 18 oed?",
            "metadata": {"utter_action": "utter_ask_triage_form_under_18"},
        },
        {"event": "action", "name": "action_listen"},
    ]
    # A session of its own first: Rasa would otherwise start one after these events, and
    # the tracker store's latest session would leave them out.
    assert [e["event"] for e in events[:3]] == ["action", "session_started", "action"]
    assert events[0]["name"] == "action_session_start"
    english = setup_events("incident_type", "en", for_someone_else=False)
    assert "asking_for" not in {e.get("name") for e in english}
    assert english[-2]["text"].startswith("What happened?")


# --- The simulated person ------------------------------------------------------------------------


def test_the_person_answers_the_question_asked_with_an_aside_first():
    person = Person(script())
    assert person.next_message(asking("under_18")) == "will they actually post it?"
    assert person.next_message(asking("under_18")) == "no im 24"
    # The aside is used once: asked again later, the answer.
    assert person.next_message(asking("safe_now")) == "yeah"
    assert person.next_message(asking("under_18")) == "no im 24"
    assert person.most_in_a_row == 2 and person.looped == []


def test_a_question_the_script_has_no_answer_for_gets_i_dont_know():
    assert Person(script()).next_message(asking("payment_method")) == DONT_KNOW


def test_asking_what_was_already_said_and_asking_three_times_in_a_row_are_flagged():
    person = Person(script())
    for _ in range(3):
        person.next_message(asking("paid"))
    assert person.asked_already_said == ["paid"]
    assert person.looped == ["paid"] and person.most_in_a_row == 3
    person.next_message(asking("safe_now"))
    assert person.in_a_row == 1 and person.most_in_a_row == 3


def test_a_question_asked_again_after_the_steps_is_not_in_a_row():
    person = Person(script())
    person.next_message(asking("force_area"))
    person.next_message(advice(1))
    person.next_message(asking("force_area"))
    assert person.most_in_a_row == 1


def test_the_person_walks_the_steps_with_their_words_until_they_end():
    person = Person(script())
    said = [person.next_message(advice(position)) for position in (1, 1, 2, 2, 2)]
    assert said == ["ok", "what do i do now", "next", "go on", "next"]
    assert person.reached_advice
    assert person.next_message(advice(3)) is None


def test_the_triage_opened_again_during_the_steps_is_answered():
    person = Person(script())
    assert person.next_message(advice(1)) == "ok"
    view = View(True, "platforms", ["a", "b"], 1.0, {"requested_slot": "platforms"})
    assert person.next_message(view) == "snapchat"


def test_outside_the_form_and_the_steps_the_person_says_what_happened_once_then_moves_on():
    person = Person(script())
    assert person.next_message(NOTHING) == "they recorded me"
    assert person.next_message(NOTHING) == "next"
    assert person.next_message(NOTHING) == "go on"
    assert person.off_script == 3 and not person.reached_advice


# --- The verdict ---------------------------------------------------------------------------------


def finished(position: float = 3, **slots) -> View:
    return advice(position, **{**FACTS, **slots})


def test_a_conversation_passes_when_everything_is_right():
    person = Person(script())
    person.next_message(asking("under_18"))
    person.next_message(finished(0))
    verdict = judge(person, finished(), messages=12)
    assert verdict["passed"] and verdict["reasons"] == []
    assert verdict["facts_right"] and verdict["force_right"] and verdict["steps_ended"]


def test_the_facts_are_judged_as_the_triage_left_them_when_the_advice_was_reached():
    person = Person(script())
    person.next_message(finished(0, safe_now="no"))
    person.next_message(finished(1))  # "facebook too" during the steps adds to them
    end = finished(3, safe_now="yes", platforms=["snapchat", "facebook"])
    verdict = judge(person, end, messages=12)
    assert verdict["reasons"] == ['safe_now: expected "yes", got "no"']
    assert verdict["slots"]["safe_now"] == "no" and verdict["slots"]["platforms"] == ["snapchat"]
    assert verdict["facts_right_at_end"] is False
    assert verdict["slots_at_end"]["platforms"] == ["snapchat", "facebook"]


def test_each_failure_has_its_reason():
    person = Person(script())
    for _ in range(3):
        person.next_message(asking("paid"))
    verdict = judge(person, finished(2, force_area="south_wales", platforms=None), messages=20)
    assert not verdict["passed"]
    assert verdict["reasons"] == [
        "the steps did not end (at 2 of 3)",
        'platforms: expected ["snapchat"], got null',
        'force_area: expected "gwent", got "south_wales"',
        "paid asked more than 2 times in a row",
        "paid asked although already said",
    ]
    assert verdict["force_right"] is False and verdict["most_in_a_row"] == 3


def test_no_advice_and_the_message_cap_are_reasons():
    verdict = judge(Person(script()), asking("paid"), messages=MAX_MESSAGES)
    assert verdict["reasons"][:2] == [
        "the advice was not reached",
        f"stopped at {MAX_MESSAGES} messages",
    ]
    assert not verdict["reached_advice"]


def test_force_is_not_judged_when_the_script_has_no_area():
    facts = {"paid": "no"}
    verdict = judge(Person(script(facts=facts)), finished(), messages=10)
    assert verdict["force_right"] is None and verdict["passed"]


# --- The report ----------------------------------------------------------------------------------


def outcomes() -> dict:
    answers = [
        answer_outcome(TypedAnswer("paid", "nah not a penny", "no", number=1), "no"),
        answer_outcome(TypedAnswer("paid", "secret | text", "no", number=2), "yes"),
        answer_outcome(TypedAnswer("force_area", "newport", "gwent", number=3), "gwent"),
    ]
    passed = judge(Person(script()), finished(), messages=12)
    failed = judge(Person(script(id="en-test-02")), finished(force_area="dorset"), messages=30)
    return {"answers": answers, "conversations": [passed, failed]}


def test_the_report_gives_shares_per_question_and_the_conversations_figures():
    report = render_report({"dev": {"en": outcomes()}})
    lines = report.splitlines()
    assert "| paid | 2 | 1 | 50.0% |" in lines
    assert "| force_area | 1 | 1 | 100.0% |" in lines
    assert "| incident_type | 0 | 0 | - |" in lines
    assert "| **all** | 3 | 2 | 66.7% |" in lines
    assert "| en | 2 | 2 | 1 | 1/2 | 1 (50.0%) | 0 | 0 |" in lines
    # The dev split's failures, with their texts.
    assert "| 2 | paid | secret \\| text | no | yes |" in lines
    assert '| en-test-02 | force_area: expected "gwent", got "dorset" |' in lines


def test_the_held_out_report_gives_counts_and_shares_and_never_its_texts():
    report = render_report({"heldout": {"en": outcomes(), "cy": outcomes()}})
    assert "| **all** | 3 | 2 | 66.7% | 3 | 2 | 66.7% |" in report.splitlines()
    assert "heldout en: 1 answers read wrong, 1 conversations failed" in report
    for text in ("secret", "nah not a penny", "newport", "en-test-02", "dorset"):
        assert text not in report


# --- The runs, against a stand-in for Rasa (no servers) ------------------------------------------


class StandIn:
    """Answers every message with one line; its tracker goes through ``states`` in turn, one a
    message, and stays at the last."""

    def __init__(self, *states: View, slot_after_answer: object = None):
        self.states = list(states)
        self.said: list[tuple[str, str]] = []
        self.events: list[dict] = []
        self.slot_after_answer = slot_after_answer

    def say(self, sender: str, text: str, lang: str) -> list[str]:
        self.said.append((text, lang))
        return [f"reply {len(self.said)}"]

    def tracker(self, sender: str) -> dict:
        if self.events:  # an answer put at its question
            question = next(e["value"] for e in self.events if e.get("name") == "requested_slot")
            return {"slots": {question: self.slot_after_answer}}
        view = self.states[min(len(self.said), len(self.states)) - 1]
        return {
            "slots": {**view.slots, "requested_slot": view.requested},
            "active_loop": {"name": "triage_form"} if view.form_active else {},
        }

    def append_events(self, sender: str, events: list[dict]) -> None:
        self.events += events


def test_an_answer_run_puts_it_at_its_question_and_reads_the_slot():
    rasa = StandIn(slot_after_answer="no")
    outcome = run_answer(rasa, TypedAnswer("paid", "nah", "no", number=4), "cy")
    assert rasa.said == [("nah", "cy")]
    assert outcome["right"] and outcome["got"] == "no" and outcome["bot"] == ["reply 1"]
    assert {"event": "active_loop", "name": "triage_form"} in rasa.events


def test_a_conversation_run_plays_the_script_to_the_end_of_the_steps():
    rasa = StandIn(asking("under_18"), asking("under_18"), asking("safe_now"), *[
        finished(position) for position in (0, 1, 2, 3)
    ])  # fmt: skip
    verdict = run_conversation(
        rasa, script(asides=(Aside("under_18", "will they post it?"),)), "en"
    )
    assert [text for text, _ in rasa.said] == [
        script().opening, "will they post it?", "no im 24", "yeah", "ok", "what do i do now",
        "next",
    ]  # fmt: skip
    assert verdict["passed"] and verdict["messages"] == 7 and "transcript" not in verdict


def test_a_conversation_that_goes_round_in_circles_stops_at_the_cap_with_its_transcript():
    verdict = run_conversation(StandIn(asking("paid")), script(), "en")
    assert verdict["messages"] == MAX_MESSAGES and not verdict["passed"]
    assert verdict["most_in_a_row"] == MAX_MESSAGES - 1
    assert f"stopped at {MAX_MESSAGES} messages" in verdict["reasons"]
    assert "paid asked more than 2 times in a row" in verdict["reasons"]
    assert verdict["transcript"][1] == {"person": "no", "bot": ["reply 2"]}


def test_every_run_comes_back_in_file_order_by_split_language_and_kind():
    tasks = [
        Task("dev", "en", "answers", 0, TypedAnswer("paid", "no", "no", number=1)),
        Task("dev", "en", "conversations", 0, script()),
        Task("dev", "en", "answers", 1, TypedAnswer("paid", "yes", "yes", number=2)),
    ]
    results = run_all(StandIn(finished(3), slot_after_answer="no"), tasks, workers=2)
    assert [a["number"] for a in results["dev"]["en"]["answers"]] == [1, 2]
    assert [c["id"] for c in results["dev"]["en"]["conversations"]] == ["en-test-01"]
