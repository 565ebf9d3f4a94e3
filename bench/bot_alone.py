"""bot/'s own cost, without Rasa: ``make bench-bot`` (``python -m bench.bot_alone``).

``make bench`` measures bot/ beside two Rasa processes on the same cores, where one run's
figures vary by about 10% and bot/'s few milliseconds a message are hard to follow from one
change to the next. Here bot/ talks to a stub Rasa that answers every message at once with the
same two replies (one with buttons, as most triage turns), and to the bench's Bot API peer;
this process drives N people (default 50) at once through the widget door and the Telegram
door and reports bot/'s CPU time per message (its process only) and its throughput. Nothing
here says how fast the assistant is: only what bot/ itself costs.

``--profile FILE`` writes a cProfile of bot/, timed by its CPU time (``bench.cpu_profile``);
``--doors telegram`` drives one door only, so the profile is that door's.

Then bursts: N new people's first turns at once, straight at the stub Rasa and through each door,
timed from the moment they are sent to their arrival at the stub. A front door passes a burst on
one message after another, on the cores Rasa needs, so the last arrives later than it would have
straight; in ``make bench`` that spread is where the first turn's longer tail through bot/ starts.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.bot_api_peer import MODES as TELEGRAM_MODES
from bench.bot_api_peer import WEBHOOK_SECRET, BotApiPeer, text_update
from bench.load_stack import TOKEN, _cpu_seconds, percentile
from scripts.processes import BOT_PYTHON, Process, base_env, free_port, http_ok

TEXT = "they recorded me on skype"
STUB_REPLIES = [
    {"recipient_id": "stub", "text": "Thank you for telling me. That sounds frightening."},
    {
        "recipient_id": "stub",
        "text": "Have you paid them any money?",
        "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
    },
]

Turn = Callable[[], Awaitable[None]]
DOORS = ("widget", "telegram")


def stub_rasa(arrivals: list[float] | None = None) -> web.Application:
    """``arrivals`` gets the moment (``time.perf_counter``) each message reaches it."""

    async def webhook(request: web.Request) -> web.Response:
        if arrivals is not None:
            arrivals.append(time.perf_counter())
        await request.read()
        return web.json_response(STUB_REPLIES)

    async def tracker(request: web.Request) -> web.Response:
        return web.json_response({"events": []})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/conversations/{sender}/tracker", tracker)
    return app


def straight_person(http: aiohttp.ClientSession, rasa_url: str) -> Turn:
    """Someone talking to (the stub) Rasa's REST channel itself, as ``make bench``'s REST door."""
    sender = uuid.uuid4().hex

    async def turn() -> None:
        body = {"sender": sender, "message": TEXT}
        async with http.post(f"{rasa_url}/webhooks/rest/webhook", json=body) as response:
            if not await response.json():
                raise AssertionError("no reply")

    return turn


def widget_person(http: aiohttp.ClientSession, bot_url: str) -> Turn:
    session = uuid.uuid4().hex

    async def turn() -> None:
        body = {"session": session, "id": uuid.uuid4().hex, "text": TEXT}
        async with http.post(f"{bot_url}/widget/api/message", json=body) as response:
            if not (await response.json())["replies"]:
                raise AssertionError("no reply")

    return turn


def telegram_person(
    http: aiohttp.ClientSession,
    bot_url: str,
    peer: BotApiPeer,
    mode: str,
    chat_id: int,
    updates: Iterator[int],
) -> Turn:
    async def turn() -> None:
        event, want = peer.event(chat_id), len(peer.sent[chat_id]) + 1
        await peer.send_update(mode, http, bot_url, text_update(next(updates), chat_id, want, TEXT))
        while len(peer.sent[chat_id]) < want:
            event.clear()
            await asyncio.wait_for(event.wait(), 30)

    return turn


async def drive(people: list[Turn], turns: int) -> None:
    async def one(turn: Turn) -> None:
        for _ in range(turns):
            await turn()

    await asyncio.gather(*(one(turn) for turn in people))


@dataclass(frozen=True)
class Burst:
    """A burst of first turns, in ms from their sending: when the last and the middle one
    reached Rasa, and when all were answered."""

    last_arrival: float
    median_arrival: float
    answered: float


async def burst(people: list[Turn], arrivals: list[float]) -> Burst:
    """Everyone's turn at once; ``arrivals`` is where the stub Rasa records them."""
    arrivals.clear()
    sent = time.perf_counter()
    await asyncio.gather(*(turn() for turn in people))
    answered = time.perf_counter()
    if len(arrivals) != len(people):
        raise AssertionError(f"{len(arrivals)} of {len(people)} messages reached Rasa")
    after = [1000 * (moment - sent) for moment in arrivals]
    return Burst(max(after), percentile(after, 50), 1000 * (answered - sent))


def print_bursts(bursts: dict[str, list[Burst]], size: int) -> None:
    """The median burst of each way in: straight at Rasa, then through bot/'s doors."""
    repeats = min(len(runs) for runs in bursts.values())
    print(f"\n{size} first turns at once, ms from sending (median of {repeats} bursts):")
    print("| way in | last reaches Rasa | middle one reaches Rasa | all answered |")
    print("|---|---:|---:|---:|")
    for name, runs in bursts.items():
        figures = [
            statistics.median(getattr(run, field) for run in runs)
            for field in ("last_arrival", "median_arrival", "answered")
        ]
        print(f"| {name} | " + " | ".join(f"{figure:.1f}" for figure in figures) + " |")


async def main_async(args: argparse.Namespace) -> None:
    peer = BotApiPeer()
    peer_url = await peer.start()
    arrivals: list[float] = []
    runner = web.AppRunner(stub_rasa(arrivals), access_log=None)
    await runner.setup()
    rasa_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", rasa_port).start()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    bot_port = free_port()
    bot_url = f"http://127.0.0.1:{bot_port}"
    with tempfile.TemporaryDirectory(prefix="aic-bench-bot-") as folder:
        work = Path(folder)
        env = base_env(
            AIC_HOST="127.0.0.1",
            AIC_PORT=str(bot_port),
            AIC_PSEUDONYM_SECRET="bench-pseudonym-secret-0123456789abcdef",
            AIC_DATA_DIR=str(work / "bot"),
            AIC_TRACKER_DB=str(work / "tracker.db"),
            AIC_RASA_URL=rasa_url,
            AIC_RATE_LIMIT_PER_MINUTE="100000",
            AIC_ADDRESS_REQUESTS_PER_MINUTE="100000000",
            AIC_TELEGRAM_TOKEN=TOKEN,
            AIC_TELEGRAM_MODE=args.telegram_mode,
            AIC_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            AIC_TELEGRAM_API_URL=f"{peer_url}/bot",
            AIC_TELEGRAM_WEBHOOK_URL=f"{bot_url}/telegram/webhook",
        )
        profiler = ["-m", "bench.cpu_profile", str(args.profile)] if args.profile else ["-m"]
        bot = Process("bot", [str(BOT_PYTHON), *profiler, "bot"], work, env)
        try:
            await asyncio.to_thread(bot.wait_until, lambda: http_ok(f"{bot_url}/healthz"), 60)
            updates = itertools.count(1)
            async with aiohttp.ClientSession() as http:
                doors: dict[str, Callable[[int], Turn]] = {
                    "widget": lambda index: widget_person(http, bot_url),
                    "telegram": lambda index: telegram_person(
                        http, bot_url, peer, args.telegram_mode, 700_000_000 + index, updates
                    ),
                }
                print(
                    f"{args.users} people at once, {args.turns} messages each, stub Rasa, "
                    f"Telegram door {args.telegram_mode}"
                )
                print("| door | round | bot/ CPU ms a message | messages a second |")
                print("|---|---|---:|---:|")
                people_made = itertools.count()
                for name, make in doors.items():
                    if name not in args.doors:
                        continue
                    await drive([make(next(people_made)) for _ in range(args.users)], 2)  # warm
                    costs = []
                    for number in range(1, args.rounds + 1):
                        people = [make(next(people_made)) for _ in range(args.users)]
                        cpu, started = _cpu_seconds(bot.popen.pid), time.perf_counter()
                        await drive(people, args.turns)
                        seconds = time.perf_counter() - started
                        messages = args.users * args.turns
                        costs.append(1000 * (_cpu_seconds(bot.popen.pid) - cpu) / messages)
                        print(f"| {name} | {number} | {costs[-1]:.2f} | {messages / seconds:.0f} |")
                    print(f"| {name} | median | {statistics.median(costs):.2f} | |", flush=True)
                if args.bursts:
                    ways: dict[str, Callable[[int], Turn]] = {
                        "straight": lambda index: straight_person(http, rasa_url),
                        **{name: make for name, make in doors.items() if name in args.doors},
                    }
                    bursts: dict[str, list[Burst]] = {name: [] for name in ways}
                    for _ in range(args.bursts):
                        for name, make in ways.items():
                            people = [make(next(people_made)) for _ in range(args.users)]
                            bursts[name].append(await burst(people, arrivals))
                    print_bursts(bursts, args.users)
        finally:
            # Off the loop: bot/ may still be talking to the stub Rasa or the Bot API peer,
            # which this loop serves.
            await asyncio.to_thread(bot.stop)
            await runner.cleanup()
            await peer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--turns", type=int, default=30, help="messages per person a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of bot/ to this file")
    parser.add_argument(
        "--bursts", type=int, default=10, help="bursts of first turns through each way (0: none)"
    )
    parser.add_argument(
        "--telegram-mode",
        choices=TELEGRAM_MODES,
        default="polling",
        help="how bot/'s Telegram door gets updates (default: long polling, as bot/ does)",
    )
    parser.add_argument(
        "--doors", nargs="+", choices=DOORS, default=list(DOORS), help="the doors to drive"
    )
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
