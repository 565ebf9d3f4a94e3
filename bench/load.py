"""Load benchmark: ``make bench`` (``python -m bench.load``). Not part of the test run; its
method and figures are in bench/README.md.

Starts the action server, Rasa and bot/ on this machine (as ``make run`` does, with a fresh
tracker store in a temporary folder), then:

1. **Profile**: one person, one turn at a time, to see where a turn's time goes: Rasa's NLU
   (``/model/parse``), the action server (timed inside it: ``bench/timed_actions.py``), the
   rest of Rasa (policies, tracker store, HTTP), and bot/ (a widget turn minus the same turn
   straight at Rasa).
2. **Load**: N simulated people at once (default 50), each a whole triage conversation, once
   straight at Rasa's REST channel, once through bot/'s widget door and once through its
   Telegram door (against a local Bot API peer, ``bench/bot_api_peer.py``; in long-polling
   mode, bot/'s default, or with ``--telegram-mode webhook`` in webhook mode). First, untimed,
   everyone's first turn at once through each door opens the connections (reported apart as
   the cold start), and a whole round through each door warms up; then each round starts one
   door further along the list than the last.

For each run it prints p50/p95/p99 reply latency, messages per second, lost and out-of-order
messages (read back from the tracker: every message must be there once, in order), peak memory
(RSS) and CPU time of each process, each round's runs, and the ratio of bot/ over plain Rasa:
pooled, and each round's runs against plain Rasa's in the same round (their spread and their
median, which one round run while the machine was slow cannot move).

Options: ``--users N``, ``--doors rest,widget,telegram`` (in that order), ``--rounds N`` (the
doors N times over, in turn, each door's runs then pooled: one run's rate varies by 10% or
more), ``--rasa-processes N`` (N Rasa servers; bot/ gives each conversation a home server, and
the REST door does the same),
``--rasa-workers N`` (Sanic workers in one server; needs ``--redis``, since several workers
need Rasa's Redis lock store), ``--redis`` (Rasa on deploy/endpoints.redis.yml and bot/'s
state on Redis too), ``--profile-bot FILE`` (a cProfile of the bot/ process, by CPU time),
``--think S`` (a pause of S seconds on average before each turn: people then arrive one by one),
``--doors control,...`` (plain Rasa again under another name: a control for the method),
``--together`` (every door at once in each round, the people shared out over them, so that the
machine's slow spells fall on every door alike; ``make bench-aim``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import uvloop

from bench.bot_api_peer import MODES as TELEGRAM_MODES
from bench.bot_api_peer import WEBHOOK_SECRET, BotApiPeer, text_update
from bot.messages import Button, Reply
from bot.rasa_client import home_index
from bot.telegram_door import one_message_per_keyboard
from scripts.processes import (
    ROOT,
    VENV_BIN,
    Process,
    base_env,
    free_port,
    http_ok,
    start_rasas,
    write_endpoints,
)

T = TypeVar("T")
SECRET = "bench-pseudonym-secret-0123456789abcdef"
TOKEN = "4242:bench"
# A whole triage in free text, as people type it (tests/e2e walks the same path), then the
# advice step by step.
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
TURN_TIMEOUT = 60.0
# Draws of the rounds for the range of the pooled p95 ratio (resampled_p95_ratio).
RESAMPLES = 1000


def pseudonym(channel: str, key: str | int) -> str:
    return hmac.new(SECRET.encode(), f"{channel}:{key}".encode(), hashlib.sha256).hexdigest()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lower, upper = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (k - lower)


# --- Process meters ----------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(k) for k in text.split()]
    return kids + [g for k in kids for g in _children(k)]


class Meter:
    """Peak RSS and CPU seconds of each named process (with its children) during a run."""

    def __init__(self, pids: dict[str, list[int]], alone: frozenset[str] = frozenset()) -> None:
        self.pids = pids
        self.alone = alone  # names measured without their children
        self.peak: dict[str, int] = {}
        self.cpu: dict[str, float] = {}
        self._cpu_start: dict[str, float] = {}
        self._task: asyncio.Task | None = None

    def _tree(self, name: str) -> list[int]:
        pids = self.pids[name]
        return pids if name in self.alone else [p for pid in pids for p in (pid, *_children(pid))]

    def _cpu_now(self) -> dict[str, float]:
        return {name: sum(_cpu_seconds(p) for p in self._tree(name)) for name in self.pids}

    async def _sample(self) -> None:
        while True:
            for name in self.pids:
                rss = sum(_rss_kib(p) for p in self._tree(name))
                self.peak[name] = max(self.peak.get(name, 0), rss)
            await asyncio.sleep(0.2)

    def __enter__(self) -> Meter:
        self.peak = {}
        self._cpu_start = self._cpu_now()
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        end = self._cpu_now()
        self.cpu = {n: end[n] - self._cpu_start.get(n, 0.0) for n in end}


BENCH = "bench"

# --- The stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    rasa_urls: list[str]
    bot_url: str
    action_url: str
    pids: dict[str, list[int]]
    peer: BotApiPeer
    processes: list[Process] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    def rasa_for(self, sender: str) -> str:
        """The Rasa server bot/ would send this sender's messages to (bot/rasa_client.py)."""
        return self.rasa_urls[home_index(sender, len(self.rasa_urls))]

    async def close(self) -> None:
        for process in reversed(self.processes):
            await asyncio.to_thread(process.stop)
        await self.peer.stop()


async def start_stack(args: argparse.Namespace, work: Path) -> Stack:
    from scripts.model import ensure_model

    model = Path(args.model) if args.model else await asyncio.to_thread(ensure_model)
    print(f"model {model.name}; logs and data in {work}", flush=True)
    peer = BotApiPeer()
    peer_url = await peer.start()

    actions_port = free_port()
    actions = Process(
        "actions",
        [sys.executable, "-m", "bench.timed_actions", str(actions_port)],
        work,
        base_env(),
    )
    processes = [actions]
    action_url = f"http://127.0.0.1:{actions_port}"
    await asyncio.to_thread(actions.wait_until, lambda: http_ok(f"{action_url}/health"), 120)

    bot_env = {
        "AIC_HOST": "127.0.0.1",
        "AIC_PSEUDONYM_SECRET": SECRET,
        "AIC_DATA_DIR": str(work / "bot"),
        "AIC_TELEGRAM_TOKEN": TOKEN,
        "AIC_TELEGRAM_MODE": args.telegram_mode,
        "AIC_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "AIC_TELEGRAM_API_URL": f"{peer_url}/bot",
        # N simulated people each type faster than a person could; the limit is not measured.
        "AIC_RATE_LIMIT_PER_MINUTE": "100000",
        "AIC_RASA_TIMEOUT": str(TURN_TIMEOUT),
    }
    rasa_env: dict[str, str] = {}
    if args.redis:
        from scripts.redis_server import RedisServer

        redis = RedisServer(work / "redis").start()
        endpoints = ROOT / "deploy" / "endpoints.redis.yml"
        rasa_env = {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis.port),
            "REDIS_PASSWORD": "",
            "ACTION_SERVER_URL": f"{action_url}/webhook",
        }
        bot_env["AIC_REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/2"
        bot_env["AIC_TRACKER_REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/0"
    else:
        redis = None
        tracker_db = work / "tracker.db"
        endpoints = work / "endpoints.yml"
        write_endpoints(endpoints, action_url, tracker_db)
        bot_env["AIC_TRACKER_DB"] = str(tracker_db)
    if args.rasa_workers > 1:
        rasa_env["SANIC_WORKERS"] = str(args.rasa_workers)
    print("loading the model...", flush=True)
    rasas = await asyncio.to_thread(
        start_rasas, model, endpoints, work, args.rasa_processes, env=rasa_env
    )
    processes.extend(rasa for rasa, _ in rasas)
    rasa_urls = [rasa_url for _, rasa_url in rasas]

    bot_port = free_port()
    bot_env.update(
        AIC_PORT=str(bot_port),
        AIC_RASA_URL=",".join(rasa_urls),
        AIC_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{bot_port}/telegram/webhook",
    )
    profiler = ["-m", "bench.cpu_profile", str(args.profile_bot)] if args.profile_bot else ["-m"]
    bot = Process("bot", [str(VENV_BIN / "python"), *profiler, "bot"], work, base_env(**bot_env))
    processes.append(bot)
    bot_url = f"http://127.0.0.1:{bot_port}"
    await asyncio.to_thread(bot.wait_until, lambda: http_ok(f"{bot_url}/healthz"), 60)
    pids = {
        "rasa": [rasa.popen.pid for rasa, _ in rasas],
        "actions": [actions.popen.pid],
        "bot": [bot.popen.pid],
        # Not part of a deployment, but on the same 2 cores: this process (the simulated
        # people and the Bot API peer).
        BENCH: [os.getpid()],
    }
    if redis is not None and redis._popen is not None:
        pids["redis"] = [redis._popen.pid]
    stack = Stack(rasa_urls, bot_url, action_url, pids, peer, processes)
    if redis is not None:
        original = stack.close

        async def close() -> None:
            await original()
            redis.stop()

        stack.close = close  # type: ignore[method-assign]
    return stack


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


# --- Profile -----------------------------------------------------------------------------------


async def profile(stack: Stack, http: aiohttp.ClientSession, rounds: int = 3) -> dict[str, Any]:
    """One person at a time: where a turn's time goes, and how many replies each turn has."""

    async def stats() -> dict[str, float]:
        async with http.get(f"{stack.action_url}/__stats") as r:
            return await r.json()

    # Warm both paths up first: a fresh Rasa process answers its first turns slowly.
    widget_door, rest_door = WidgetDoor(stack, http), RestDoor(stack, http)
    _, turn = widget_door.person(0)
    expected = []  # Telegram messages per turn of SCRIPT
    for text in SCRIPT:
        await turn(text)
        expected.append(len(one_message_per_keyboard(widget_door.last_replies)))
    await run_people(rest_door, 1, 0)
    nlu: list[float] = []
    for _ in range(rounds):
        for text in SCRIPT:
            started = time.perf_counter()
            async with http.post(f"{stack.rasa_url}/model/parse", json={"text": text}) as r:
                await r.read()
            nlu.append(time.perf_counter() - started)
    # Then one person at a time, REST and widget in turn, so drift hits both alike.
    rest, widget = Result(), Result()
    action_seconds = action_calls = 0.0
    for _ in range(rounds):
        await stats()
        rest.latencies += (await run_people(rest_door, 1, 0)).latencies
        actions = await stats()
        action_seconds += actions["seconds"]
        action_calls += actions["calls"]
        widget.latencies += (await run_people(widget_door, 1, 0)).latencies
    actions = {"seconds": action_seconds, "calls": action_calls}
    turns = len(rest.latencies)
    rest_mean = statistics.mean(rest.latencies)
    nlu_mean = statistics.mean(nlu)
    action_per_turn = actions["seconds"] / turns
    return {
        "turn_rasa": rest_mean,
        "nlu": nlu_mean,
        "actions": action_per_turn,
        "action_calls": actions["calls"] / turns,
        "rasa_core": rest_mean - nlu_mean - action_per_turn,
        "turn_bot": statistics.mean(widget.latencies),
        "bot": statistics.mean(widget.latencies) - rest_mean,
        "expected": expected,
    }


# --- Report ------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


Run = tuple[str, Result, Meter | Usage]  # door name, what it measured, CPU and memory


def _pooled(runs: list[Run]) -> tuple[Result, dict[str, float], dict[str, int]]:
    """Every run of one door as one: latencies pooled, rate over their total time, CPU ms per
    message over all their messages, the highest peak memory."""
    pooled = Result()
    cpu: dict[str, float] = {}
    peak: dict[str, int] = {}
    for _, result, meter in runs:
        pooled.latencies += result.latencies
        for number, latencies in result.by_turn.items():
            pooled.by_turn.setdefault(number, []).extend(latencies)
        for name in ("failed", "lost", "out_of_order", "seconds", "messages"):
            setattr(pooled, name, getattr(pooled, name) + getattr(result, name))
        for name, seconds in meter.cpu.items():
            cpu[name] = cpu.get(name, 0.0) + seconds
        for name, kib in meter.peak.items():
            peak[name] = max(peak.get(name, 0), kib)
    per_message = {name: seconds * 1000 / max(1, pooled.messages) for name, seconds in cpu.items()}
    return pooled, per_message, peak


def print_report(
    users: int,
    runs: list[Run],
    prof: dict[str, Any] | None,
    think: float = 0.0,
    together: bool = False,
) -> None:
    if prof:
        total = prof["turn_bot"]
        print("\nWhere one turn's time goes (one person, no load):")
        print("| part | ms per turn | share |\n|---|---:|---:|")
        for label, key in [
            ("Rasa NLU (/model/parse)", "nlu"),
            (f"action server ({prof['action_calls']:.1f} calls a turn)", "actions"),
            ("Rasa policies, tracker store, HTTP", "rasa_core"),
            ("bot/ (widget turn minus Rasa turn)", "bot"),
        ]:
            print(f"| {label} | {ms(prof[key])} | {prof[key] / total:.0%} |")
        print(f"| whole turn through bot/ | {ms(total)} | 100% |")

    pauses = f"{think:g} s between turns on average" if think else "no pause between turns"
    print(f"\nLoad: {users} people at once, {len(SCRIPT)} messages each, {pauses}")
    if together:
        print(
            "Every door at once in each round, the people shared out over them; CPU a message"
            " is the round's, every door together"
        )
    names = sorted({n for _, _, meter in runs for n in meter.peak})
    doors = list(dict.fromkeys(door for door, _, _ in runs))
    rounds = max(sum(door == d for d, _, _ in runs) for door in doors)
    rows = [(run[0], *_pooled([run])) for run in runs]
    if rounds > 1:
        print(f"Each run in the order it ran, then each door's {rounds} runs together:")
        rows += [
            (f"**{door}, all runs**", *_pooled([r for r in runs if r[0] == door])) for door in doors
        ]
    head = "| door | p50 ms | p95 ms | p99 ms | msg/s | failed | lost | out of order | "
    head += " | ".join(f"{n} peak MiB / CPU ms per msg" for n in names) + " |"
    print(head)
    print("|---" * (8 + len(names)) + "|")
    for door, result, per_message, peak in rows:
        cells = [
            door,
            ms(percentile(result.latencies, 50)),
            ms(percentile(result.latencies, 95)),
            ms(percentile(result.latencies, 99)),
            f"{result.rate:.1f}",
            str(result.failed),
            str(result.lost),
            str(result.out_of_order),
        ]
        cells += [f"{peak.get(n, 0) / 1024:.0f} / {per_message.get(n, 0):.1f}" for n in names]
        print("| " + " | ".join(cells) + " |")
    print(
        "\nCPU ms per message does not depend on what else the machine runs: 2 cores give 2000"
        " CPU ms a second, shared by every process of the stack."
    )
    if rounds > 1:
        print_rounds(runs, doors, together)
    if RestDoor.name in doors:
        print_ratios(runs, doors, together)
    print_turns(runs, doors)


def print_ratios(runs: list[Run], doors: list[str], together: bool = False) -> None:
    """Each door over plain Rasa, pooled and round by round. Run together, the doors share the
    people and so their pace: then only latency is compared."""
    base, _, _ = _pooled([r for r in runs if r[0] == RestDoor.name])
    base_p95 = percentile(base.latencies, 95)
    base_rate = base.rate
    print("\nbot/ over plain Rasa (every run of each door together):")
    if together:
        print("(throughput is the people's pace when the doors run together: `make bench` has it)")
    for door in doors:
        result, _, _ = _pooled([r for r in runs if r[0] == door])
        if door == RestDoor.name or not result.latencies:
            continue
        p95 = percentile(result.latencies, 95)
        rate = result.rate
        line = f"- {door}: p95 x{p95 / base_p95:.2f} ({(p95 / base_p95 - 1):+.0%})"
        if not together:
            line += f", throughput x{rate / base_rate:.2f} ({(rate / base_rate - 1):+.0%})"
        print(line)
        if len(ratios := round_ratios(runs, door)) > 1:
            rates, p95s = zip(*ratios, strict=True)
            p95_median, rate_median = statistics.median(p95s), statistics.median(rates)
            line = f"  round by round: p95 x{min(p95s):.2f} to x{max(p95s):.2f}"
            if not together:
                line += f", throughput x{min(rates):.2f} to x{max(rates):.2f}"
            line += f"; median p95 x{p95_median:.2f} ({p95_median - 1:+.0%})"
            if not together:
                line += f", throughput x{rate_median:.2f} ({rate_median - 1:+.0%})"
            print(line)
        if spread := resampled_p95_ratio(runs, door):
            low, high = spread
            print(
                f"  rounds drawn again {RESAMPLES} times: pooled p95 x{low:.2f} to x{high:.2f}"
                f" ({low - 1:+.0%} to {high - 1:+.0%}) in 90% of the draws"
            )


def print_rounds(runs: list[Run], doors: list[str], together: bool = False) -> None:
    """Each round's runs: rate, p95 and the action server's CPU a message, which is the same
    work through every door, so a run where it costs more ran while the machine was slow, for
    every process at once."""
    print(
        "\nRound by round: msg/s, p95 ms, the action server's CPU ms a message (higher when the"
        " machine ran slow), and the place in the round's order:"
    )
    print("| round | " + " | ".join(doors) + " |")
    print("|---" * (1 + len(doors)) + "|")
    for number, start in enumerate(range(0, len(runs), len(doors)), 1):
        ran = runs[start : start + len(doors)]
        cells = {}
        for place, (door, result, meter) in enumerate(ran, 1):
            actions = meter.cpu.get("actions", 0.0) * 1000 / max(1, result.messages)
            p95 = ms(percentile(result.latencies, 95))
            order = "together" if together else place
            cells[door] = f"{result.rate:.1f} / {p95} / {actions:.2f} ({order})"
        print(f"| {number} | " + " | ".join(cells.get(door, "-") for door in doors) + " |")


def print_turns(runs: list[Run], doors: list[str]) -> None:
    """p50 / p95 of each turn of the script, each door's runs pooled."""
    pooled = {door: _pooled([r for r in runs if r[0] == door])[0] for door in doors}
    print("\nEach turn's latency, p50 / p95 ms (every run of each door together):")
    print("| turn | " + " | ".join(doors) + " |")
    print("|---" * (1 + len(doors)) + "|")
    for number, text in enumerate(SCRIPT):
        cells = []
        for door in doors:
            latencies = pooled[door].by_turn.get(number, [])
            cells.append(f"{ms(percentile(latencies, 50))} / {ms(percentile(latencies, 95))}")
        print(f"| {number + 1}. {text} | " + " | ".join(cells) + " |")


def print_cold_start(cold: list[tuple[str, Result]]) -> None:
    """The untimed warm-up burst: everyone's first turn at once, as after a quiet spell, on
    connections not yet open (bot/'s two doors share its connections to Rasa: the first door
    opens them)."""
    print("\nCold start, everyone's first turn at once before the runs (not in the figures above):")
    print("| door | p50 ms | p95 ms | max ms | failed |\n|---|---|---|---|---|")
    for door, result in cold:
        cells = [ms(percentile(result.latencies, q)) for q in (50, 95, 100)]
        print(f"| {door} | " + " | ".join(cells) + f" | {result.failed} |")


def round_order(doors: Sequence[T], round_number: int) -> list[T]:
    """Round n starts n - 1 doors further along the list, so that over the rounds each door
    runs first, in the middle and last alike: whatever one load leaves behind for the next
    (Rasa's queue draining, connections closed while idle) falls on every door alike."""
    shift = (round_number - 1) % len(doors)
    return [*doors[shift:], *doors[:shift]]


def round_pairs(runs: list[Run], door: str) -> list[tuple[Result, Result]]:
    """Each round's (run of ``door``, run of plain Rasa), for the rounds where both ran."""
    base = [result for name, result, _ in runs if name == RestDoor.name]
    mine = [result for name, result, _ in runs if name == door]
    return [
        (ours, theirs)
        for ours, theirs in zip(mine, base, strict=False)
        if ours.seconds and theirs.seconds and ours.latencies and theirs.latencies
    ]


def round_ratios(runs: list[Run], door: str) -> list[tuple[float, float]]:
    """Each round's (throughput, p95) of ``door`` over plain Rasa's in the same round. The
    machine's speed drifts from one minute to the next; their spread shows how far to trust
    the pooled ratio."""
    return [
        (
            ours.rate / theirs.rate,
            percentile(ours.latencies, 95) / percentile(theirs.latencies, 95),
        )
        for ours, theirs in round_pairs(runs, door)
    ]


def resampled_p95_ratio(
    runs: list[Run], door: str, resamples: int = RESAMPLES, seed: int = 1
) -> tuple[float, float] | None:
    """The range (5th to 95th percentile) of the pooled p95 ratio of ``door`` over plain Rasa
    when the rounds are drawn again with replacement, each round's two runs together (they met
    the same machine). A slow spell falls on one round, so the rounds, not single turns, are
    what varies. A spell that lasted a door's whole run is in every draw of that round, so a
    narrow range does not rule it out: runs still have to be repeated. None with fewer than two
    rounds."""
    pairs = round_pairs(runs, door)
    if len(pairs) < 2:
        return None
    draw = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        drawn = [draw.choice(pairs) for _ in pairs]
        ours = [latency for result, _ in drawn for latency in result.latencies]
        theirs = [latency for _, result in drawn for latency in result.latencies]
        ratios.append(percentile(ours, 95) / percentile(theirs, 95))
    return percentile(ratios, 5), percentile(ratios, 95)


async def main_async(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="aic-bench-"))
    stack = await start_stack(args, work)
    try:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT + 10)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            print("warming up and profiling one person...", flush=True)
            prof = await profile(stack, http)
            available: list[Door] = [
                RestDoor(stack, http),
                ControlDoor(stack, http),
                WidgetDoor(stack, http),
                TelegramDoor(stack, http, prof["expected"], args.telegram_mode),
            ]
            by_key = {door.key: door for door in available}
            doors = [by_key[key] for key in args.doors]
            print(f"first turn of {args.users} people at once through each door...", flush=True)
            cold = [
                (door.name, await run_people(door, args.users, 0, SCRIPT[:1])) for door in doors
            ]
            # A whole untimed round through every door first: the first timed round was
            # often slow for every process, whichever door it was.
            print("one untimed round through each door, to warm up...", flush=True)
            if args.together:
                warm = await run_together(doors, args.users, args.think, 0)
            else:
                warm = [await run_people(door, args.users, args.think) for door in doors]
            runs: list[Run] = []
            for round_number in range(1, args.rounds + 1):
                if args.together:
                    print(
                        f"every door at once, {args.users} people (round {round_number})...",
                        flush=True,
                    )
                    with Meter(stack.pids, alone=frozenset({BENCH})) as meter:
                        results = await run_together(doors, args.users, args.think, round_number)
                    usages = shared_out(meter, results)
                    runs += [(d.name, r, u) for d, r, u in zip(doors, results, usages, strict=True)]
                    continue
                for door in round_order(doors, round_number):
                    print(f"{door.name}: {args.users} people (round {round_number})...", flush=True)
                    with Meter(stack.pids, alone=frozenset({BENCH})) as meter:
                        result = await run_people(door, args.users, args.think)
                    runs.append((door.name, result, meter))
            print_report(args.users, runs, prof, args.think, args.together)
            print_cold_start(cold)
            if "telegram" in args.doors:
                print(f"\nTelegram door ({args.telegram_mode}): {stack.peer.summary()}")
            untimed = [result for _, result in cold] + warm
            lost = sum(r.lost + r.out_of_order for r in [*untimed, *(r for _, r, _ in runs)])
            if lost:
                print(f"\n{lost} messages lost or conversations out of order, timed or not")
            return 1 if lost else 0
    finally:
        await stack.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds between turns, on average"
    )
    parser.add_argument("--model", help="a trained model (default: python -m scripts.model)")
    parser.add_argument("--redis", action="store_true", help="Rasa and bot/ on Redis")
    parser.add_argument(
        "--profile-bot", type=Path, help="write a cProfile of the bot/ process to this file"
    )
    parser.add_argument(
        "--telegram-mode",
        choices=TELEGRAM_MODES,
        default="polling",
        help="how bot/'s Telegram door gets updates (default: long polling, as bot/ does)",
    )
    parser.add_argument("--rasa-workers", type=int, default=1)
    parser.add_argument(
        "--rasa-processes",
        type=int,
        default=1,
        help="Rasa servers, each conversation on one of them as bot/ spreads them",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="load the doors this many times over, in turn (runs vary by about 10%%)",
    )
    parser.add_argument(
        "--doors",
        default="rest,widget,telegram",
        type=lambda text: [key.strip() for key in text.split(",") if key.strip()],
        help="which doors to load, in this order, comma-separated (default: rest, widget and"
        " telegram; 'control' is plain Rasa again, beside 'rest' with --together)",
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="every door at once in each round, the people shared out over them",
    )
    args = parser.parse_args()
    if unknown := set(args.doors) - {
        door.key for door in (RestDoor, ControlDoor, WidgetDoor, TelegramDoor)
    }:
        parser.error(f"unknown doors: {', '.join(sorted(unknown))}")
    if args.rasa_workers > 1 and not args.redis:
        parser.error("--rasa-workers needs --redis (Rasa's lock store must be shared)")
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    # uvloop, as bot/, Rasa and the action server use: the simulated people and the Bot API
    # peer share the cores with them, and cost less on it.
    return uvloop.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
