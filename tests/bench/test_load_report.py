"""`make bench`'s report: each door against plain Rasa pooled, and round by round."""

from __future__ import annotations

import pytest

from bench.load_people import (
    ControlDoor,
    RestDoor,
    Result,
    TelegramDoor,
    WidgetDoor,
    shared_out,
    together_split,
)
from bench.load_report import print_report, resampled_p95_ratio, round_ratios
from bench.load_stack import Meter


def run(door: str, rate: float, p95_ms: float) -> tuple[str, Result, Meter]:
    """A run of 100 messages at ``rate`` a second whose 95th-percentile latency is ``p95_ms``."""
    latencies = [p95_ms / 1000] * 100
    return door, Result(latencies=latencies, seconds=100 / rate, messages=100), Meter({})


def test_each_round_is_compared_with_plain_rasa_in_the_same_round():
    runs = [
        run(RestDoor.name, 90, 600),
        run(WidgetDoor.name, 81, 660),
        run(RestDoor.name, 80, 700),
        run(WidgetDoor.name, 80, 700),
    ]
    assert round_ratios(runs, WidgetDoor.name) == [
        pytest.approx((0.9, 1.1)),
        pytest.approx((1.0, 1.0)),
    ]
    assert round_ratios(runs, TelegramDoor.name) == []


def test_the_report_gives_the_pooled_ratio_and_the_rounds_spread(capsys):
    runs = [
        run(RestDoor.name, 90, 600),
        run(TelegramDoor.name, 81, 660),
        run(RestDoor.name, 90, 600),
        run(TelegramDoor.name, 72, 720),
    ]
    print_report(50, runs, None)
    out = capsys.readouterr().out
    assert f"- {TelegramDoor.name}: p95 x1.20 (+20%), throughput x0.85 (-15%)" in out
    assert (
        "round by round: p95 x1.10 to x1.20, throughput x0.80 to x0.90; "
        "median p95 x1.15 (+15%), throughput x0.85 (-15%)"
    ) in out


def test_the_median_round_is_not_moved_by_one_slow_round(capsys):
    runs = []
    for widget_rate in (85, 86, 40, 84, 87):
        runs += [run(RestDoor.name, 90, 600), run(WidgetDoor.name, widget_rate, 600)]
    print_report(50, runs, None)
    out = capsys.readouterr().out
    assert f"- {WidgetDoor.name}: p95 x1.00 (+0%), throughput x0.77 (-23%)" in out
    assert "median p95 x1.00 (+0%), throughput x0.94 (-6%)" in out


def test_each_round_shows_the_order_run_and_how_slow_the_machine_was(capsys):
    runs = [
        run(RestDoor.name, 90, 600),
        run(WidgetDoor.name, 81, 660),
        run(WidgetDoor.name, 70, 800),
        run(RestDoor.name, 72, 750),
    ]
    for (_, _, meter), actions_seconds in zip(runs, (0.13, 0.14, 0.19, 0.18), strict=True):
        meter.cpu = {"actions": actions_seconds}
    print_report(50, runs, None)
    lines = capsys.readouterr().out.splitlines()
    assert f"| round | {RestDoor.name} | {WidgetDoor.name} |" in lines
    assert "| 1 | 90.0 / 600 / 1.30 (1) | 81.0 / 660 / 1.40 (2) |" in lines
    assert "| 2 | 72.0 / 750 / 1.80 (2) | 70.0 / 800 / 1.90 (1) |" in lines


def test_one_round_has_no_spread(capsys):
    print_report(50, [run(RestDoor.name, 90, 600), run(WidgetDoor.name, 90, 600)], None)
    out = capsys.readouterr().out
    assert "throughput x1.00 (+0%)" in out
    assert "round by round" not in out
    assert "Round by round" not in out


def test_the_report_gives_each_turn_of_the_script_its_percentiles(capsys):
    from bench.load_people import SCRIPT
    from bench.load_report import print_turns

    place = SCRIPT.index("Wrexham")
    slow = Result(by_turn={0: [0.5] * 20, place: [0.6] * 19 + [1.2]})
    fast = Result(by_turn={0: [0.4] * 20, place: [0.5] * 20})
    print_turns([(RestDoor.name, fast, Meter({})), (WidgetDoor.name, slow, Meter({}))],
                [RestDoor.name, WidgetDoor.name])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert f"| turn | {RestDoor.name} | {WidgetDoor.name} |" in lines
    assert "| 1. hello | 400 / 400 | 500 / 500 |" in lines
    assert f"| {place + 1}. Wrexham | 500 / 500 | 600 / 630 |" in lines
    assert len([line for line in lines if line.startswith("| ") and ". " in line]) == len(SCRIPT)


def spread_run(door: str, scale: float) -> tuple[str, Result, Meter]:
    """A run of 100 messages in 10 s with latencies spread from 10 ms to 1 s, times ``scale``."""
    latencies = [scale * n / 100 for n in range(1, 101)]
    return door, Result(latencies=latencies, seconds=10, messages=100), Meter({})


def test_a_door_slower_by_the_same_share_in_every_round_has_no_range():
    runs = []
    for scale in (1.0, 1.5, 0.8, 1.2):
        runs += [spread_run(RestDoor.name, scale), spread_run(WidgetDoor.name, scale * 1.08)]
    low, high = resampled_p95_ratio(runs, WidgetDoor.name)
    assert low == pytest.approx(1.08) and high == pytest.approx(1.08)


def test_rounds_that_disagree_give_a_range_around_the_pooled_ratio(capsys):
    runs = []
    for ratio in (0.9, 1.0, 1.05, 1.3):
        runs += [spread_run(RestDoor.name, 1.0), spread_run(TelegramDoor.name, ratio)]
    low, high = resampled_p95_ratio(runs, TelegramDoor.name)
    assert 0.9 <= low < 1.05 < high <= 1.3
    assert resampled_p95_ratio(runs, TelegramDoor.name) == (low, high)  # the same draws each time
    print_report(50, runs, None)
    out = capsys.readouterr().out
    assert (
        f"  rounds drawn again 1000 times: pooled p95 x{low:.2f} to x{high:.2f}"
        f" ({low - 1:+.0%} to {high - 1:+.0%}) in 90% of the draws"
    ) in out


def test_one_round_has_no_resampled_range():
    runs = [spread_run(RestDoor.name, 1.0), spread_run(WidgetDoor.name, 1.1)]
    assert resampled_p95_ratio(runs, WidgetDoor.name) is None


def test_doors_run_together_share_the_people_and_over_the_rounds_each_meets_everyone():
    for round_number in (1, 2, 3):
        groups = together_split(50, 3, round_number)
        assert sorted(p for group in groups for p in group) == list(range(50))
        assert {len(group) for group in groups} == {16, 17}
    seen = [set(), set(), set()]
    for round_number in (1, 2, 3):
        for door, group in enumerate(together_split(50, 3, round_number)):
            seen[door] |= set(group)
    assert all(people == set(range(50)) for people in seen)
    assert together_split(4, 2, 1) == [[1, 3], [0, 2]]


def test_doors_run_together_share_the_rounds_cpu_by_their_messages():
    meter = Meter({})
    meter.cpu, meter.peak = {"rasa": 6.0, "bot": 0.3}, {"rasa": 900_000, "bot": 80_000}
    results = [Result(messages=100), Result(messages=200), Result(messages=0)]
    usages = shared_out(meter, results)
    assert [u.cpu["rasa"] for u in usages] == pytest.approx([2.0, 4.0, 0.0])
    assert sum(u.cpu["bot"] for u in usages) == pytest.approx(0.3)
    assert all(u.peak == meter.peak for u in usages)
    # CPU a message is then the round's, through every door.
    assert usages[0].cpu["rasa"] / 100 == pytest.approx(usages[1].cpu["rasa"] / 200)


def test_the_report_says_when_the_doors_ran_together(capsys):
    runs = [run(RestDoor.name, 15, 60), run(WidgetDoor.name, 15, 63)] * 2
    print_report(50, runs, None, think=1.3, together=True)
    out = capsys.readouterr().out
    assert "50 people at once, 12 messages each, 1.3 s between turns on average" in out
    assert "Every door at once in each round" in out
    assert "| 1 | 15.0 / 60 / 0.00 (together) | 15.0 / 63 / 0.00 (together) |" in out
    assert "- bot/ widget: p95 x1.05 (+5%)\n" in out  # the pace is the people's: no throughput
    assert "  round by round: p95 x1.05 to x1.05; median p95 x1.05 (+5%)\n" in out


def test_a_control_door_is_compared_with_plain_rasa_like_any_other(capsys):
    runs = [run(RestDoor.name, 15, 60), run(ControlDoor.name, 15, 57)] * 2
    print_report(50, runs, None, think=1.3, together=True)
    assert "- Rasa REST again (control): p95 x0.95 (-5%)\n" in capsys.readouterr().out
    assert ControlDoor.key not in {RestDoor.key, WidgetDoor.key, TelegramDoor.key}
