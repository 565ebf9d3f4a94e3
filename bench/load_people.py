"""Simulated people for the load benchmark (bench/load.py): the conversation each one types, the
doors they come through (plain Rasa, the widget, Telegram) and what each run measured."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from bench.bot_api_peer import text_update
from bench.load_stack import SECRET, TURN_TIMEOUT, Meter, Stack
from bot.messages import Button, Reply
from bot.rasa_client import home_index

T = TypeVar("T")

SCRIPT = [
    "hello",
    "they recorded me on skype",
    "yes i paid",
    "bank transfer",
    "£450",
    "no it hasnt been collected",
    "no",
    "yes",
    "Wrexham",
    "next",
    "next",
    "next",
]
SAFETY = "can't answer properly"  # utter_frontdoor_unavailable


def pseudonym(channel: str, key: str | int) -> str:
    return hmac.new(SECRET.encode(), f"{channel}:{key}".encode(), hashlib.sha256).hexdigest()


# --- Simulated people --------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    failed: int = 0  # no reply, an error, or the safety message instead of an answer
    lost: int = 0  # a message missing from the tracker
    out_of_order: int = 0  # conversations whose tracker has the messages in another order
    seconds: float = 0.0
    messages: int = 0
    replies_per_turn: list[int] = field(default_factory=list)
    # Latencies by position in SCRIPT: under load, some turns cost Rasa far more than others.
    by_turn: dict[int, list[float]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Messages a second (0 for a run that took no time)."""
        return self.messages / self.seconds if self.seconds else 0.0


Turn = Callable[[str], Awaitable[tuple[float, list[str]]]]


class Door:
    name = ""
    key = ""

    def __init__(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        self.stack = stack
        self.http = http

    def person(self, index: int) -> tuple[str, Turn]:
        """(the sender id Rasa sees, a function doing one turn)."""
        raise NotImplementedError

    def on_server(self, index: int, candidates: Iterable[Any], sender_of: Callable[[Any], str]):
        """The first candidate whose conversation lives on Rasa server ``index`` modulo their
        number: people spread evenly over the servers, as a large population would be, so
        every door meets the same split and not a luckier or unluckier random one."""
        servers = len(self.stack.rasa_urls)
        for candidate in candidates:
            if home_index(sender_of(candidate), servers) == index % servers:
                return candidate
        raise AssertionError("no candidate for that server")


class RestDoor(Door):
    name = "Rasa REST (direct)"
    key = "rest"

    def person(self, index: int) -> tuple[str, Turn]:
        fresh = (f"bench-{uuid.uuid4().hex}" for _ in range(1000))
        sender = self.on_server(index, fresh, lambda candidate: candidate)

        async def turn(text: str) -> tuple[float, list[str]]:
            started = time.perf_counter()
            async with self.http.post(
                f"{self.stack.rasa_for(sender)}/webhooks/rest/webhook",
                json={"sender": sender, "message": text},
            ) as response:
                data = await response.json(content_type=None)
            return time.perf_counter() - started, [r.get("text", "") for r in data]

        return sender, turn


class ControlDoor(RestDoor):
    """Straight at Rasa again, under another name: beside the REST door (``--together``), the
    ratio of two doors that differ in nothing shows how far the method alone moves it."""

    name = "Rasa REST again (control)"
    key = "control"


class WidgetDoor(Door):
    name = "bot/ widget"
    key = "widget"

    def __init__(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        super().__init__(stack, http)
        self.last_replies: list[Reply] = []  # the last turn's (profile() counts them)

    def person(self, index: int) -> tuple[str, Turn]:
        fresh = (uuid.uuid4().hex for _ in range(1000))
        session = self.on_server(index, fresh, lambda candidate: pseudonym("widget", candidate))

        async def turn(text: str) -> tuple[float, list[str]]:
            started = time.perf_counter()
            body = {"session": session, "id": uuid.uuid4().hex, "text": text}
            async with self.http.post(
                f"{self.stack.bot_url}/widget/api/message", json=body
            ) as response:
                data = await response.json(content_type=None)
            self.last_replies = [
                Reply(r["text"], tuple(Button(b["title"], b["payload"]) for b in r["buttons"]))
                for r in data["replies"]
            ]
            return time.perf_counter() - started, [r["text"] for r in data["replies"]]

        return pseudonym("widget", session), turn


class TelegramDoor(Door):
    name = "bot/ Telegram"
    key = "telegram"

    def __init__(
        self, stack: Stack, http: aiohttp.ClientSession, expected: list[int], mode: str
    ) -> None:
        super().__init__(stack, http)
        self.expected = expected  # messages per turn of SCRIPT (from the widget's replies)
        self.mode = mode
        self.name = f"bot/ Telegram ({mode})"
        self.update_ids = iter(range(1, 10**9))
        # Every person in the bench has a chat of their own, in every run.
        self.chat_blocks = iter(range(900_000_000, 10**12, 64))

    def person(self, index: int) -> tuple[str, Turn]:
        first = next(self.chat_blocks)
        chat_id = self.on_server(
            index, range(first, first + 64), lambda candidate: pseudonym("telegram", candidate)
        )
        peer = self.stack.peer
        turn_number = iter(range(len(SCRIPT)))
        seen = 0

        async def turn(text: str) -> tuple[float, list[str]]:
            nonlocal seen
            number = next(turn_number)
            update = text_update(next(self.update_ids), chat_id, number + 1, text)
            event = peer.event(chat_id)
            started = time.perf_counter()
            await peer.send_update(self.mode, self.http, self.stack.bot_url, update)
            want = seen + max(1, self.expected[number])
            deadline = started + TURN_TIMEOUT
            while len(peer.sent[chat_id]) < want:
                event.clear()
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except asyncio.TimeoutError:
                    break
            got = peer.sent[chat_id][seen:]
            seen = len(peer.sent[chat_id])
            if not got:
                raise TimeoutError("no reply")
            return got[-1].at - started, [s.text for s in got]

        return pseudonym("telegram", chat_id), turn


def pause(think: float, person: int, turn: int) -> float:
    """Seconds a person waits once turn ``turn`` is answered (-1: before the first turn):
    ``think`` on average, from half to one and a half times it, so that people arrive one by one
    rather than in step. The same person's same turn waits as long through every door: each
    door meets the same arrivals."""
    return think * random.Random(f"{person}/{turn}").uniform(0.5, 1.5)


async def run_people(
    door: Door, people: int | Sequence[int], think: float, script: list[str] = SCRIPT
) -> Result:
    """People at once through ``door``, each saying ``script`` (a prefix of SCRIPT): ``people``
    of them, or the people so numbered (a number sets a person's pauses). The Rasa servers are
    shared out by a person's place in the list."""
    people = range(people) if isinstance(people, int) else people
    result = Result()
    senders: list[str] = []

    async def one(place: int, index: int) -> None:
        sender, turn = door.person(place)
        senders.append(sender)
        if think:
            # With pauses, people come and go as they would: one at a time, not all at once.
            await asyncio.sleep(pause(think, index, -1))
        for number, text in enumerate(script):
            try:
                latency, replies = await turn(text)
            except Exception:
                result.failed += 1
                continue
            result.latencies.append(latency)
            result.by_turn.setdefault(number, []).append(latency)
            result.messages += 1
            if not replies or any(SAFETY in r for r in replies):
                result.failed += 1
            if think:
                await asyncio.sleep(pause(think, index, number))

    started = time.perf_counter()
    await asyncio.gather(*(one(place, index) for place, index in enumerate(people)))
    result.seconds = time.perf_counter() - started
    # Read every conversation back: each message there once, in the order sent.
    for sender in senders:
        async with door.http.get(
            f"{door.stack.rasa_for(sender)}/conversations/{sender}/tracker"
        ) as response:
            events = (await response.json(content_type=None)).get("events") or []
        said = [e.get("text") for e in events if e.get("event") == "user"]
        missing = sum(max(0, script.count(t) - said.count(t)) for t in set(script))
        result.lost += missing
        if not missing and said != script:
            result.out_of_order += 1
    return result


def together_split(users: int, doors: int, round_number: int) -> list[list[int]]:
    """The people of a round with every door at once, door by door: person i goes through door
    (i + round_number) mod ``doors``, so over the rounds each door meets everyone's pauses."""
    groups: list[list[int]] = [[] for _ in range(doors)]
    for person in range(users):
        groups[(person + round_number) % doors].append(person)
    return groups


async def run_together(
    doors: Sequence[Door], users: int, think: float, round_number: int
) -> list[Result]:
    """``users`` people at once, shared out over ``doors`` (together_split): every door meets
    the same moments of the machine, so its slow spells fall on all of them alike."""
    groups = together_split(users, len(doors), round_number)
    return list(
        await asyncio.gather(
            *(run_people(door, group, think) for door, group in zip(doors, groups, strict=True))
        )
    )


@dataclass
class Usage:
    """A door's share of a round's CPU seconds, and the round's peak memory (KiB)."""

    cpu: dict[str, float]
    peak: dict[str, int]


def shared_out(meter: Meter, results: Sequence[Result]) -> list[Usage]:
    """A round of doors run at once: each door's share of every process's CPU, by its share of
    the round's messages, so that CPU a message is the round's through every door (what each
    door costs apart shows in runs one door at a time)."""
    total = sum(result.messages for result in results)
    return [
        Usage(
            cpu={
                name: seconds * result.messages / max(1, total)
                for name, seconds in meter.cpu.items()
            },
            peak=dict(meter.peak),
        )
        for result in results
    ]
