"""Typed answers and whole typed conversations, through the real model (`make bench-conversations`).

    .venv/bin/python -m bench.conversations                        # dev and held-out, en and cy
    .venv/bin/python -m bench.conversations --split dev --lang cy
    .venv/bin/python -m bench.conversations --rasa-url http://127.0.0.1:5005   # a running Rasa

Reads bench/typed/<split>/answers_<lang>.yml and conversations_<lang>.yml, then any
<writer>_answers_<lang>.yml beside them (bench/typed/README.md
defines them). Unless --rasa-url is given, it starts the action server and Rasa on free loopback
ports with the model `python -m scripts.model` prints (trained first if data, domain or config
changed), a fresh tracker store in a temporary folder, and stops them at the end.

- Answers: each typed answer in a conversation of its own, put at its question with events
  (POST /conversations/<sender>/tracker/events: the earlier facts the question needs, the form
  active, the question asked), then typed through the REST channel; read right when the slot
  then holds what the answer means.
- Conversations: a simulated person opens, answers whatever the form asks from their script
  (an aside instead, once, at the question it names; "I don't know" to a question it has no
  answer for), then walks the advice steps. Passed when the advice was reached and its steps
  ended, every fact in the script was in its slot when the advice was reached (what they add
  during the steps may change the slots after), no question was asked more than twice in a row,
  and nothing they said at the start was asked.

Every message goes through Rasa's REST channel with the person's language in its metadata, as
the doors send it. Four people at a time: the dev split takes about a minute here once the
model is trained, both splits about two. Prints
Markdown tables, and the failures of the dev split (held-out: counts and shares only, never its
texts); --json has everything, the transcripts of failed conversations included.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TYPED = ROOT / "bench" / "typed"
SPLITS = ("dev", "heldout")
LANGS = ("en", "cy")
# Only the dev split's texts are printed: the held-out split is never read while building.
SHOWN_SPLITS = ("dev",)
WORKERS = 4
MAX_MESSAGES = 60
MAX_ASKS_IN_A_ROW = 2
FORM = "triage_form"
UNKNOWN = "unknown"
DONT_KNOW = "I don't know"
PAYMENT_QUESTIONS = ("payment_method", "amount", "collected")
QUESTIONS = (
    "incident_type", "platforms", "paid", *PAYMENT_QUESTIONS, "under_18", "safe_now",
    "force_area",
)  # fmt: skip
SAY_TIMEOUT = 60
READ_TIMEOUT = 30

# The questions as bench/typed/README.md gives them: (asking for themselves, for someone else).
QUESTION_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "incident_type": (
            "What happened? Choose the closest, or tell me in your own words.",
            "What's happening to them?",
        ),
        "platforms": (
            "Where did they contact you? Pick one or type the app or site.",
            "Which app or site were they contacted on?",
        ),
        "paid": ("Have you paid them any money? It's OK either way.", "Have they paid any money?"),
        "payment_method": ("How was the money sent?",) * 2,
        "amount": ("Roughly how much was sent? A number is fine, or skip this.",) * 2,
        "collected": ("Do you know if the money has been collected yet, or left the account?",) * 2,
        "under_18": ("Are you under 18?", "Are they under 18?"),
        "safe_now": ("Are you safe right now?", "Are they safe right now?"),
        "force_area": ("Which area do you live in? A town is fine.",) * 2,
    },
    "cy": {
        "incident_type": ("Beth ddigwyddodd?", "Beth sy'n digwydd iddyn nhw?"),
        "platforms": ("Ar ba ap neu wefan y cysylltodd y person?",) * 2,
        "paid": (
            "Oes unrhyw arian wedi cael ei dalu iddyn nhw?",
            "Ydyn nhw wedi talu unrhyw arian?",
        ),
        "payment_method": ("Sut cafodd yr arian ei anfon?",) * 2,
        "amount": ("Tua faint gafodd ei anfon?",) * 2,
        "collected": (
            "Ydych chi'n gwybod a ydy'r arian wedi cael ei gasglu eto, neu wedi gadael y cyfrif?",
        )
        * 2,
        "under_18": ("Ydych chi o dan 18 oed?", "Ydyn nhw o dan 18 oed?"),
        "safe_now": ("Ydych chi'n ddiogel ar hyn o bryd?", "Ydyn nhw'n ddiogel ar hyn o bryd?"),
        "force_area": ("Ym mha ardal rydych chi'n byw? Mae enw tref yn iawn.",) * 2,
    },
}

# What is already known when a question is put, so that it is the form's next question.
FILLERS: dict[str, Any] = {
    "incident_type": "webcam",
    "platforms": ["snapchat"],
    "payment_method": "bank_transfer",
    "amount": "£200",
    "collected": "no",
    "under_18": "no",
    "safe_now": "yes",
}


# --- The data -----------------------------------------------------------------------------


def as_meaning(value: Any) -> Any:
    """A value from the YAML files as the slots hold it: YAML 1.1 reads a bare yes/no as a
    boolean, the slots hold "yes"/"no"."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


@dataclass(frozen=True)
class TypedAnswer:
    question: str
    text: str
    means: Any
    for_someone_else: bool = False
    number: int = 0  # its place in the file, from 1


@dataclass(frozen=True)
class Aside:
    at: str
    text: str


@dataclass(frozen=True)
class Script:
    """A simulated person, as bench/typed/README.md describes them."""

    id: str
    opening: str
    answers: dict[str, str]
    facts: dict[str, Any]
    for_someone_else: bool = False
    already_said: tuple[str, ...] = ()
    asides: tuple[Aside, ...] = ()
    during_steps: tuple[str, ...] = ()
    next_words: tuple[str, ...] = ("next",)


def parse_answers(content: dict[str, Any] | None) -> list[TypedAnswer]:
    return [
        TypedAnswer(
            question=str(item["question"]),
            text=str(item["text"]),
            means=as_meaning(item["means"]),
            for_someone_else=bool(item.get("for_someone_else", False)),
            number=number,
        )
        for number, item in enumerate((content or {}).get("answers") or [], start=1)
    ]


def parse_scripts(content: dict[str, Any] | None) -> list[Script]:
    scripts = []
    for item in (content or {}).get("conversations") or []:
        scripts.append(
            Script(
                id=str(item["id"]),
                opening=str(item["opening"]),
                answers={str(k): str(v) for k, v in (item.get("answers") or {}).items()},
                facts={str(k): as_meaning(v) for k, v in (item.get("facts") or {}).items()},
                for_someone_else=bool(item.get("for_someone_else", False)),
                already_said=tuple(item.get("already_said") or ()),
                asides=tuple(Aside(str(a["at"]), str(a["text"])) for a in item.get("asides") or ()),
                during_steps=tuple(str(t) for t in item.get("during_steps") or ()),
                next_words=tuple(str(t) for t in item.get("next_words") or ()) or ("next",),
            )
        )
    return scripts


def read_yaml(path: Path) -> dict[str, Any] | None:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None


# --- Scoring ------------------------------------------------------------------------------


def _as_set(value: Any) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set)):
        return {str(v) for v in value}
    return {str(value)}


def read_right(question: str, means: Any, value: Any) -> bool:
    """Whether the slot for ``question`` holding ``value`` is what the answer ``means``."""
    means = as_meaning(means)
    if question == "platforms":
        return value is not None and _as_set(value) == _as_set(means)
    if question == "amount" and means == "given":
        return value is not None and value != UNKNOWN
    return value is not None and value == means


# --- Putting a conversation at a question --------------------------------------------------


def question_text(question: str, lang: str, for_someone_else: bool) -> str:
    texts = QUESTION_TEXTS.get(lang, QUESTION_TEXTS["en"])[question]
    return texts[1 if for_someone_else else 0]


def earlier_facts(question: str) -> dict[str, Any]:
    """The facts before ``question`` in the form's order, so that it is the next one asked:
    paid "yes" before the payment questions, "no" before the ones after (which skips them)."""
    paid = "yes" if question in PAYMENT_QUESTIONS else "no"
    order = ["incident_type", "platforms", "paid"]
    if paid == "yes":
        order.extend(PAYMENT_QUESTIONS)
    order.extend(["under_18", "safe_now", "force_area"])
    before = order[: order.index(question)]
    return {slot: paid if slot == "paid" else FILLERS[slot] for slot in before}


SESSION_START = (
    {"event": "action", "name": "action_session_start"},
    {"event": "session_started"},
    {"event": "action", "name": "action_listen"},
)


def slot_event(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def setup_events(question: str, lang: str, for_someone_else: bool) -> list[dict[str, Any]]:
    """The events that leave a new conversation with the form asking ``question``.

    They open with a session start: Rasa otherwise starts the session itself, after these
    events were stamped, and the tracker store's latest session (the events stamped from its
    start) would leave them out."""
    events = [*SESSION_START, slot_event("language", lang)]
    if for_someone_else:
        events.append(slot_event("asking_for", "someone_else"))
    events.extend(slot_event(slot, value) for slot, value in earlier_facts(question).items())
    events += [
        {"event": "active_loop", "name": FORM},
        slot_event("requested_slot", question),
        {
            "event": "bot",
            "text": question_text(question, lang, for_someone_else),
            "metadata": {"utter_action": f"utter_ask_{FORM}_{question}"},
        },
        {"event": "action", "name": "action_listen"},
    ]
    return events


# --- A simulated person ---------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What the person's next message depends on, read from the tracker."""

    form_active: bool
    requested: str | None
    plan: list[Any]
    position: float
    slots: dict[str, Any]

    @classmethod
    def from_tracker(cls, tracker: dict[str, Any]) -> View:
        slots = tracker.get("slots") or {}
        loop = (tracker.get("active_loop") or {}).get("name")
        return cls(
            form_active=loop == FORM,
            requested=slots.get("requested_slot"),
            plan=list(slots.get("advice_plan") or []),
            position=float(slots.get("advice_position") or 0),
            slots=slots,
        )

    @property
    def steps_ended(self) -> bool:
        return bool(self.plan) and self.position >= len(self.plan)


@dataclass
class Person:
    """A script played out: the next message for each state of the conversation, and what the
    assistant did that the script says it must not."""

    script: Script
    asides_left: list[Aside] = field(init=False)
    steps_said: int = 0
    next_words_said: int = 0
    said_what_happened: bool = False
    last_asked: str | None = None
    in_a_row: int = 0
    most_in_a_row: int = 0
    asked_already_said: list[str] = field(default_factory=list)
    looped: list[str] = field(default_factory=list)
    reached_advice: bool = False
    # The slots when the advice was first reached: the facts the triage read. What the person
    # adds during the steps ("facebook too") changes them afterwards; the scripts' facts are the
    # triage's (bench/typed/README.md's example).
    advice_slots: dict[str, Any] | None = None
    off_script: int = 0  # messages outside the form and the steps (a hand-off offer...)

    def __post_init__(self) -> None:
        self.asides_left = list(self.script.asides)

    def _next_word(self) -> str:
        words = self.script.next_words
        word = words[self.next_words_said % len(words)]
        self.next_words_said += 1
        return word

    def next_message(self, view: View) -> str | None:
        """What the person types next, or None when the steps have ended."""
        if view.form_active and view.requested:
            return self._answer(view.requested)
        self.last_asked = None
        if view.plan:
            if not self.reached_advice:
                self.reached_advice = True
                self.advice_slots = dict(view.slots)
            if view.steps_ended:
                return None
            if self.steps_said < len(self.script.during_steps):
                self.steps_said += 1
                return self.script.during_steps[self.steps_said - 1]
            return self._next_word()
        self.off_script += 1
        if not self.said_what_happened:
            self.said_what_happened = True
            return self.script.answers.get("incident_type", DONT_KNOW)
        return self._next_word()

    def _answer(self, question: str) -> str:
        self.in_a_row = self.in_a_row + 1 if question == self.last_asked else 1
        self.last_asked = question
        self.most_in_a_row = max(self.most_in_a_row, self.in_a_row)
        if question in self.script.already_said and question not in self.asked_already_said:
            self.asked_already_said.append(question)
        if self.in_a_row > MAX_ASKS_IN_A_ROW and question not in self.looped:
            self.looped.append(question)
        aside = next((a for a in self.asides_left if a.at == question), None)
        if aside:
            self.asides_left.remove(aside)
            return aside.text
        return self.script.answers.get(question, DONT_KNOW)


def shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def wrong(facts: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    """The facts not in their slots, with what the slots hold."""
    return {
        key: slots.get(key)
        for key, means in facts.items()
        if not read_right(key, means, slots.get(key))
    }


def judge(person: Person, final: View, messages: int, error: str | None = None) -> dict[str, Any]:
    """The verdict on a conversation played out, from the person's record and the last state.
    The facts are judged as they were when the advice was reached (at the end if it never was).
    """
    script = person.script
    reached = person.reached_advice or bool(final.plan)
    read = person.advice_slots if person.advice_slots is not None else final.slots
    wrong_facts = wrong(script.facts, read)
    wrong_at_end = wrong(script.facts, final.slots)
    force_right = "force_area" not in wrong_facts if "force_area" in script.facts else None
    reasons = []
    if error:
        reasons.append(f"error: {error}")
    if not reached:
        reasons.append("the advice was not reached")
    elif not final.steps_ended:
        reasons.append(f"the steps did not end (at {final.position:g} of {len(final.plan)})")
    if messages >= MAX_MESSAGES and not final.steps_ended:
        reasons.append(f"stopped at {MAX_MESSAGES} messages")
    for key, got in wrong_facts.items():
        reasons.append(f"{key}: expected {shown(script.facts[key])}, got {shown(got)}")
    for question in person.looped:
        reasons.append(f"{question} asked more than {MAX_ASKS_IN_A_ROW} times in a row")
    for question in person.asked_already_said:
        reasons.append(f"{question} asked although already said")
    return {
        "id": script.id,
        "passed": not reasons,
        "reasons": reasons,
        "reached_advice": reached,
        "steps_ended": final.steps_ended,
        "facts_right": not wrong_facts,
        "force_right": force_right,
        "most_in_a_row": person.most_in_a_row,
        "messages": messages,
        "off_script": person.off_script,
        "slots": {key: read.get(key) for key in script.facts},
        "facts_right_at_end": not wrong_at_end,
        "slots_at_end": {key: final.slots.get(key) for key in script.facts},
    }


def answer_outcome(
    answer: TypedAnswer, got: Any, error: str | None = None, bot: list[str] | None = None
) -> dict[str, Any]:
    return {
        "number": answer.number,
        "question": answer.question,
        "for_someone_else": answer.for_someone_else,
        "text": answer.text,
        "means": answer.means,
        "got": got,
        "right": error is None and read_right(answer.question, answer.means, got),
        **({"error": error} if error else {}),
        **({"bot": bot} if bot is not None else {}),
    }


# --- The report -----------------------------------------------------------------------------


def share(right: int, n: int) -> str:
    return f"{right / n:.1%}" if n else "-"


def table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def cell(text: Any) -> str:
    """Text safe in a Markdown table cell."""
    value = text if isinstance(text, str) else shown(text)
    return value.replace("|", "\\|").replace("\n", " ")


def answers_table(by_lang: dict[str, dict[str, Any]]) -> list[str]:
    langs = [lang for lang, r in by_lang.items() if r.get("answers")]
    if not langs:
        return []
    header = ["question"] + [f"{lang} {c}" for lang in langs for c in ("n", "right", "share")]
    rows = []
    for question in [*QUESTIONS, None]:
        row: list[Any] = [question or "**all**"]
        for lang in langs:
            items = [
                a for a in by_lang[lang]["answers"] if question is None or a["question"] == question
            ]
            right = sum(a["right"] for a in items)
            row += [len(items), right, share(right, len(items))]
        rows.append(row)
    return table(header, rows)


def conversations_table(by_lang: dict[str, dict[str, Any]]) -> list[str]:
    header = [
        "lang", "n", "reached the advice", "right facts", "right force", "passed",
        "most asks in a row", "off-script messages",
    ]  # fmt: skip
    rows = []
    for lang, results in by_lang.items():
        done = results.get("conversations") or []
        if not done:
            continue
        forced = [c for c in done if c["force_right"] is not None]
        passed = sum(c["passed"] for c in done)
        rows.append(
            [
                lang,
                len(done),
                sum(c["reached_advice"] for c in done),
                sum(c["facts_right"] for c in done),
                f"{sum(bool(c['force_right']) for c in forced)}/{len(forced)}",
                f"{passed} ({share(passed, len(done))})",
                max(c["most_in_a_row"] for c in done),
                sum(c["off_script"] for c in done),
            ]
        )
    return table(header, rows) if rows else []


def failures(split: str, lang: str, results: dict[str, Any]) -> list[str]:
    lines = []
    wrong = [a for a in results.get("answers") or [] if not a["right"]]
    if wrong:
        lines += ["", f"Answers read wrong ({split}, {lang}): {len(wrong)}", ""]
        lines += table(
            ["#", "question", "text", "expected", "got"],
            [
                [
                    a["number"],
                    a["question"] + (" (someone else)" if a["for_someone_else"] else ""),
                    cell(a["text"]),
                    cell(a["means"]),
                    cell(a.get("error") and f"error: {a['error']}" or a["got"]),
                ]
                for a in wrong
            ],
        )
    failed = [c for c in results.get("conversations") or [] if not c["passed"]]
    if failed:
        lines += ["", f"Conversations failed ({split}, {lang}): {len(failed)}", ""]
        lines += table(
            ["id", "reasons"], [[c["id"], cell("; ".join(c["reasons"]))] for c in failed]
        )
    return lines


def render_report(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """``results[split][lang]`` holds "answers" and "conversations" (outcomes as above)."""
    lines: list[str] = []
    for split, by_lang in results.items():
        lines += ["", f"## {split}"]
        answers = answers_table(by_lang)
        if answers:
            lines += ["", "Typed answers, each at its question: read right", "", *answers]
        talks = conversations_table(by_lang)
        if talks:
            lines += ["", "Whole conversations", "", *talks]
        if split in SHOWN_SPLITS:
            for lang, lang_results in by_lang.items():
                lines += failures(split, lang, lang_results)
        else:
            for lang, lang_results in by_lang.items():
                wrong = sum(not a["right"] for a in lang_results.get("answers") or [])
                failed = sum(not c["passed"] for c in lang_results.get("conversations") or [])
                lines.append(
                    f"\n{split} {lang}: {wrong} answers read wrong, {failed} conversations failed"
                    " (texts not shown; they are in the JSON)"
                )
    return "\n".join(lines).lstrip("\n")


# --- Talking to Rasa ------------------------------------------------------------------------


class Rasa:
    """Rasa's REST channel and its HTTP API (Rasa runs with --enable-api)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def _call(self, path: str, body: Any = None, timeout: float = READ_TIMEOUT) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def say(self, sender: str, text: str, lang: str) -> list[str]:
        """Send a message as the doors do; the texts of the replies."""
        replies = self._call(
            "/webhooks/rest/webhook",
            {"sender": sender, "message": text, "metadata": {"language": lang}},
            timeout=SAY_TIMEOUT,
        )
        return [reply["text"] for reply in replies if reply.get("text")]

    def _conversation(self, sender: str) -> str:
        return f"/conversations/{urllib.parse.quote(sender, safe='')}"

    def tracker(self, sender: str) -> dict[str, Any]:
        return self._call(f"{self._conversation(sender)}/tracker")

    def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        self._call(f"{self._conversation(sender)}/tracker/events", events)


def new_sender(kind: str) -> str:
    return f"bench-{kind}-{uuid.uuid4().hex[:16]}"


def describe(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    return f"{type(error).__name__}: {error}"


REQUEST_ERRORS = (OSError, ValueError, KeyError)


def run_answer(rasa: Rasa, answer: TypedAnswer, lang: str) -> dict[str, Any]:
    sender = new_sender("answer")
    bot: list[str] | None = None
    try:
        rasa.append_events(sender, setup_events(answer.question, lang, answer.for_someone_else))
        bot = rasa.say(sender, answer.text, lang)
        got = (rasa.tracker(sender).get("slots") or {}).get(answer.question)
    except REQUEST_ERRORS as error:
        return answer_outcome(answer, None, describe(error), bot)
    return answer_outcome(answer, got, None, bot)


def run_conversation(rasa: Rasa, script: Script, lang: str) -> dict[str, Any]:
    sender = new_sender("talk")
    person = Person(script)
    transcript: list[dict[str, Any]] = []
    messages = 0
    final = View(False, None, [], 0.0, {})
    error = None

    def say(text: str) -> None:
        nonlocal messages
        messages += 1
        transcript.append({"person": text})
        transcript[-1]["bot"] = rasa.say(sender, text, lang)

    try:
        say(script.opening)
        while True:
            final = View.from_tracker(rasa.tracker(sender))
            if messages >= MAX_MESSAGES:
                break
            text = person.next_message(final)
            if text is None:
                break
            say(text)
    except REQUEST_ERRORS as exc:
        error = describe(exc)
    verdict = judge(person, final, messages, error)
    if not verdict["passed"]:
        verdict["transcript"] = transcript
    return verdict


@dataclass(frozen=True)
class Task:
    split: str
    lang: str
    kind: str  # "answers" or "conversations"
    index: int
    item: TypedAnswer | Script


def load_tasks(
    splits: Iterable[str], langs: Iterable[str], typed: Path = TYPED
) -> tuple[list[Task], list[str]]:
    """Every answer and conversation to run, and a note for each file missing."""
    tasks: list[Task] = []
    missing = []
    for split in splits:
        for lang in langs:
            for kind, parse in (("answers", parse_answers), ("conversations", parse_scripts)):
                path = typed / split / f"{kind}_{lang}.yml"
                if not path.exists():
                    missing.append(str(path.relative_to(typed.parent.parent)))
                    continue
                # The first writer's file, then later writers' ("more_answers_en.yml").
                paths = [path, *sorted(set((typed / split).glob(f"*_{kind}_{lang}.yml")))]
                items: list[Any] = [item for p in paths for item in parse(read_yaml(p))]
                tasks += [Task(split, lang, kind, i, item) for i, item in enumerate(items)]
    return tasks, missing


def run_task(rasa: Rasa, task: Task) -> dict[str, Any]:
    if isinstance(task.item, TypedAnswer):
        return run_answer(rasa, task.item, task.lang)
    return run_conversation(rasa, task.item, task.lang)


def run_all(
    rasa: Rasa,
    tasks: list[Task],
    workers: int = WORKERS,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, dict[str, list[dict[str, Any]]]]]:
    """Every task, ``workers`` at a time; outcomes by split, language and kind, in file order."""
    outcomes: dict[int, dict[str, Any]] = {}
    # Conversations first: they take longest, the answers fill in beside them.
    ordered = sorted(range(len(tasks)), key=lambda n: tasks[n].kind != "conversations")
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="person")
    try:
        futures: dict[Future[dict[str, Any]], int] = {
            pool.submit(run_task, rasa, tasks[n]): n for n in ordered
        }
        for done, future in enumerate(as_completed(futures), start=1):
            outcomes[futures[future]] = future.result()
            if progress:
                progress(done, len(futures))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    results: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    for n, task in enumerate(tasks):
        by_kind = results.setdefault(task.split, {}).setdefault(task.lang, {})
        by_kind.setdefault(task.kind, []).append(outcomes[n])
    return results


def summary(results: dict[str, dict[str, dict[str, list[dict[str, Any]]]]]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for split, by_lang in results.items():
        for lang, kinds in by_lang.items():
            answers = kinds.get("answers") or []
            talks = kinds.get("conversations") or []
            figures[f"{split}/{lang}"] = {
                "answers": len(answers),
                "answers_right": sum(a["right"] for a in answers),
                "conversations": len(talks),
                "reached_advice": sum(c["reached_advice"] for c in talks),
                "facts_right": sum(c["facts_right"] for c in talks),
                "force_right": sum(bool(c["force_right"]) for c in talks),
                "passed": sum(c["passed"] for c in talks),
                "most_in_a_row": max((c["most_in_a_row"] for c in talks), default=0),
            }
    return figures


# --- The servers ----------------------------------------------------------------------------


def start_servers(work: Path, stop_later: list[Any]) -> tuple[str, Path]:
    """The action server and Rasa with the assistant's model, as tests/fixtures/rasa.py starts
    them; each is added to ``stop_later`` as soon as it runs."""
    from scripts.model import ensure_model
    from scripts.processes import start_action_server, start_rasa, write_endpoints

    model = ensure_model()
    print(f"starting the action server and Rasa with {model.name}...", flush=True)
    actions, action_url = start_action_server(work)
    stop_later.append(actions)
    endpoints = work / "endpoints.yml"
    write_endpoints(endpoints, action_url, work / "tracker.db")
    rasa, rasa_url = start_rasa(model, endpoints, work)
    stop_later.append(rasa)
    return rasa_url, model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    parser.add_argument("--lang", choices=[*LANGS, "all"], default="all")
    parser.add_argument("--rasa-url", help="a running Rasa (with --enable-api) to use instead")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "results" / "conversations.json", help="write here"
    )
    parser.add_argument("--workers", type=int, default=WORKERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    splits = SPLITS if args.split == "all" else (args.split,)
    langs = LANGS if args.lang == "all" else (args.lang,)

    tasks, missing = load_tasks(splits, langs)
    for path in missing:
        print(f"not there yet, skipped: {path}", flush=True)
    if not tasks:
        print("nothing to run")
        return 1
    # Stopped by a signal, as by Ctrl-C: the servers are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="conversation-bench-"))
    servers: list[Any] = []
    model = None
    try:
        if args.rasa_url:
            rasa_url = args.rasa_url
        else:
            rasa_url, model = start_servers(work, servers)
        ready = time.monotonic()
        answers = sum(t.kind == "answers" for t in tasks)
        print(
            f"running {answers} typed answers and {len(tasks) - answers} conversations,"
            f" {args.workers} at a time...",
            flush=True,
        )

        def progress(done: int, total: int) -> None:
            # A server gone (killed, crashed) would turn every run after it into a failure.
            for server in servers:
                if server.popen.poll() is not None:
                    raise RuntimeError(
                        f"{server.name} exited ({server.popen.returncode}) during the run:\n"
                        f"{server.log_tail()}"
                    )
            if done % 100 == 0 or done == total:
                print(f"  {done}/{total} ({time.monotonic() - ready:.0f}s)", flush=True)

        results = run_all(Rasa(rasa_url), tasks, args.workers, progress)
        finished = time.monotonic()
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(render_report(results))
    errors = sum(
        "error" in a or any(r.startswith("error:") for r in a.get("reasons", []))
        for by_lang in results.values()
        for kinds in by_lang.values()
        for outcomes in kinds.values()
        for a in outcomes
    )
    print(
        f"\n{len(tasks)} runs in {finished - ready:.0f}s"
        f" ({finished - started:.0f}s with the servers' start)"
        + (f"; {errors} stopped by a request error" if errors else "")
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "model": model.name if model else None,
                "rasa_url": args.rasa_url,
                "seconds": round(finished - ready, 1),
                "missing": missing,
                "summary": summary(results),
                "results": results,
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"everything in {args.json}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
