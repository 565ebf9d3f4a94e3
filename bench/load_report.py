"""What the load benchmark (bench/load.py) prints: each door's latencies, rate, losses, CPU and
memory, and bot/ over plain Rasa, pooled and round by round."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from typing import Any

from bench.load_people import SCRIPT, RestDoor, Result, T, Usage
from bench.load_stack import Meter, percentile

# Draws of the rounds for the range of the pooled p95 ratio (resampled_p95_ratio).
RESAMPLES = 1000

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
