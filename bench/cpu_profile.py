"""``python -m bench.cpu_profile OUT MODULE``: run ``python -m MODULE`` under cProfile, timed
by the process's CPU time, and write the profile to OUT when it exits.

``python -m cProfile`` times by the wall clock. Under load on two saturated cores a process
waits for a core at every wake-up it causes (a write to Rasa's socket wakes Rasa, which can
take the core at once), and a wall-clock profile charges those waits to whatever was running,
mostly socket writes. CPU time charges each function with the work it did.
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time


def main() -> None:
    out, module = sys.argv[1], sys.argv[2]
    sys.argv = [module, *sys.argv[3:]]
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    main()
