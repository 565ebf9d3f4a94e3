"""A short CPU slice for bot/, so that it gets a core as soon as it has work.

bot/ works in bursts of a fraction of a millisecond (a message in, Rasa's answer out) on the
same cores as Rasa, which spends ~20 ms of CPU on a turn. Linux's scheduler (EEVDF, with
custom slices from 6.12) gives every task a slice, 0.7 ms times a factor for the number of
cores (1.4 ms on 2 cores); a task that wakes while both cores run Rasa can wait for a slice to
end. A task may ask for a shorter one (``sched_setattr``'s ``sched_runtime``, no privilege
needed): its deadline then comes sooner, so it runs as soon as it wakes. It gets no more CPU
than before, only sooner. Threads started later inherit it. What it changes under load is in
bench/README.md.

Elsewhere (another OS, an older kernel, an architecture not listed) nothing changes and
``ask_for_slice`` says so.
"""

from __future__ import annotations

import ctypes
import os
import platform

SYS_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}
SYS_SCHED_GETATTR = {"x86_64": 315, "aarch64": 275}
NANOSECONDS_A_MILLISECOND = 1_000_000


class _SchedAttr(ctypes.Structure):
    """``struct sched_attr`` as in its first version (48 bytes), which every kernel accepts."""

    _fields_ = [
        ("size", ctypes.c_uint32),
        ("sched_policy", ctypes.c_uint32),
        ("sched_flags", ctypes.c_uint64),
        ("sched_nice", ctypes.c_int32),
        ("sched_priority", ctypes.c_uint32),
        ("sched_runtime", ctypes.c_uint64),
        ("sched_deadline", ctypes.c_uint64),
        ("sched_period", ctypes.c_uint64),
    ]


def _syscall_numbers() -> tuple[int, int] | None:
    machine = platform.machine()
    if platform.system() != "Linux" or machine not in SYS_SCHED_SETATTR:
        return None
    return SYS_SCHED_SETATTR[machine], SYS_SCHED_GETATTR[machine]


def current_slice_ms(tid: int = 0) -> float | None:
    """The slice thread ``tid`` (0: this one) runs with, in ms, or None where it cannot be
    read. 0 on kernels without custom slices."""
    numbers = _syscall_numbers()
    if numbers is None:
        return None
    attr = _SchedAttr()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(numbers[1], tid, ctypes.byref(attr), ctypes.sizeof(attr), 0) != 0:
        return None
    return attr.sched_runtime / NANOSECONDS_A_MILLISECOND


def ask_for_slice(milliseconds: float) -> bool:
    """Ask for ``milliseconds`` slices for this thread and those it starts later (the kernel
    keeps it within 0.1-100 ms). True when the kernel took it. The thread's scheduling policy
    and nice value are kept."""
    numbers = _syscall_numbers()
    if numbers is None or milliseconds <= 0:
        return False
    policy = os.sched_getscheduler(0)
    if policy not in (os.SCHED_OTHER, os.SCHED_BATCH):
        return False  # a real-time or idle policy has no fair slice to shorten
    wanted = round(milliseconds * NANOSECONDS_A_MILLISECOND)
    attr = _SchedAttr(
        size=ctypes.sizeof(_SchedAttr),
        sched_policy=policy,
        sched_nice=os.getpriority(os.PRIO_PROCESS, 0),
        sched_runtime=wanted,
    )
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(numbers[0], 0, ctypes.byref(attr), 0) != 0:
        return False
    # An older kernel accepts the call and ignores sched_runtime for this policy.
    taken = current_slice_ms()
    return taken is not None and taken > 0
