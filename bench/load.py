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
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from bench.bot_api_peer import MODES as TELEGRAM_MODES
from bench.load_people import (
    SCRIPT,
    ControlDoor,
    Door,
    RestDoor,
    Result,
    TelegramDoor,
    WidgetDoor,
    run_people,
    run_together,
    shared_out,
)
from bench.load_report import Run, print_cold_start, print_report, round_order
from bench.load_stack import BENCH, TURN_TIMEOUT, Meter, Stack, start_stack
from bot.telegram_replies import one_message_per_keyboard

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
