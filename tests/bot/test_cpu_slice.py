"""bot/ asks Linux for a short CPU slice (bot/cpu_slice.py), and keeps its nice value."""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

from bot import cpu_slice

T = TypeVar("T")

CUSTOM_SLICES = (
    platform.system() == "Linux"
    and tuple(int(part) for part in platform.release().split(".")[:2] if part.isdigit()) >= (6, 12)
    and platform.machine() in cpu_slice.SYS_SCHED_SETATTR
)
needs_custom_slices = pytest.mark.skipif(not CUSTOM_SLICES, reason="needs Linux 6.12 or later")


def in_a_thread(fn: Callable[[], T]) -> T:
    """``fn()`` in a thread of its own, so the test process's own slice is left alone."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


@needs_custom_slices
def test_the_slice_asked_for_is_the_slice_the_thread_gets_and_its_threads_inherit():
    def ask() -> tuple[bool, float | None, float | None, int]:
        before = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, before + 2)
        taken = cpu_slice.ask_for_slice(0.2)
        child = in_a_thread(cpu_slice.current_slice_ms)
        nice_change = os.getpriority(os.PRIO_PROCESS, 0) - before
        return taken, cpu_slice.current_slice_ms(), child, nice_change

    taken, mine, child, nice_change = in_a_thread(ask)
    assert taken
    assert mine == child == 0.2
    assert nice_change == 2  # the nice value set before is kept


@needs_custom_slices
def test_the_kernel_keeps_a_slice_within_its_bounds():
    def ask(milliseconds: float) -> float | None:
        cpu_slice.ask_for_slice(milliseconds)
        return cpu_slice.current_slice_ms()

    assert in_a_thread(lambda: ask(0.01)) == 0.1
    assert in_a_thread(lambda: ask(500)) == 100


def test_nothing_is_asked_where_there_is_no_such_call(monkeypatch):
    monkeypatch.setattr(platform, "machine", lambda: "sparc64")
    assert not in_a_thread(lambda: cpu_slice.ask_for_slice(0.2))
    assert cpu_slice.current_slice_ms() is None


def test_nothing_is_asked_for_a_slice_of_zero():
    before = in_a_thread(cpu_slice.current_slice_ms)
    assert not in_a_thread(lambda: cpu_slice.ask_for_slice(0))
    assert in_a_thread(cpu_slice.current_slice_ms) == before


@needs_custom_slices
def test_bot_runs_with_the_short_slice_and_says_so(bot_server):
    assert cpu_slice.current_slice_ms(bot_server.process.popen.pid) == 0.2
    assert "CPU slice 0.2 ms" in bot_server.log_text()
