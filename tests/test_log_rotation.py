"""`make run`'s server logs are rotated on a clock and dropped after the retention period, even
when the server has gone quiet (scripts/processes.py, LogRotation)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from scripts.processes import LogRotation, Process, base_env

# Prints one numbered line every 0.2 s for 4 s, then stays alive and quiet.
TALKS_THEN_SLEEPS = (
    "import sys, time\n"
    "for n in range(20):\n"
    "    print(f'line {n}', flush=True)\n"
    "    time.sleep(0.2)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def rotating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Process, "rotation", LogRotation(every_seconds=1, keep=1))


def kept(folder: Path) -> str:
    return "".join(file.read_text() for file in sorted(folder.glob("talker.log*")))


def wait_for(condition, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_old_lines_go_and_a_quiet_server_keeps_nothing_old(rotating, tmp_path: Path):
    server = Process("talker", [sys.executable, "-c", TALKS_THEN_SLEEPS], tmp_path, base_env())
    try:
        wait_for(lambda: "line 19" in kept(tmp_path), within=30)
        assert len(list(tmp_path.glob("talker.log*"))) <= 2  # this file and one before it
        assert "line 0\n" not in kept(tmp_path)  # two seconds at most, of four
        # Quiet now: the timer still rolls over, and the old lines go with time alone.
        wait_for(lambda: "line" not in kept(tmp_path), within=10)
    finally:
        server.stop()


def test_the_tests_own_servers_keep_one_whole_file(tmp_path: Path):
    assert Process.rotation is None
    server = Process("once", [sys.executable, "-c", "print('hello')"], tmp_path, base_env())
    server.popen.wait(timeout=30)
    server.stop()
    assert [file.name for file in tmp_path.iterdir()] == ["once.log"]
    assert (tmp_path / "once.log").read_text() == "hello\n"
