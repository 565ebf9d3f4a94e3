"""`make bench-bot` runs end to end (a few people, a few turns): the bench cannot rot unseen."""

from __future__ import annotations

import argparse

import pytest

from bench.bot_alone import DOORS, main_async
from bench.bot_api_peer import MODES


@pytest.mark.parametrize("telegram_mode", MODES)
async def test_the_bot_alone_bench_drives_both_doors_and_reports(capsys, telegram_mode):
    await main_async(
        argparse.Namespace(
            users=3,
            turns=2,
            rounds=1,
            bursts=2,
            profile=None,
            doors=DOORS,
            telegram_mode=telegram_mode,
        )
    )
    out = capsys.readouterr().out
    assert f"Telegram door {telegram_mode}" in out
    rows = [line.split("|") for line in out.splitlines()]
    figures = {row[1].strip(): row for row in rows if len(row) > 4 and row[2].strip() == "1"}
    assert set(figures) == {"widget", "telegram"}
    for row in figures.values():
        assert float(row[3]) >= 0 and float(row[4]) > 0
    assert "3 first turns at once, ms from sending (median of 2 bursts)" in out
    # Only the burst table's rows: the CPU table above it has rows of the same shape.
    burst_rows = [line.split("|") for line in out.split("first turns at once")[1].splitlines()]
    bursts = {row[1].strip(): row[2:5] for row in burst_rows[3:] if len(row) == 6}
    assert set(bursts) == {"straight", "widget", "telegram"}
    for last, middle, answered in bursts.values():
        # Each reached Rasa before all were answered, the middle one no later than the last.
        assert 0 < float(middle) <= float(last) <= float(answered)
