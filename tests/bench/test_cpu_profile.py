"""bench.cpu_profile charges functions with the CPU time they used, not the time they waited."""

from __future__ import annotations

import os
import pstats
import subprocess
import sys
import textwrap


def test_waiting_costs_nothing_and_work_is_counted(tmp_path):
    (tmp_path / "waits_and_works.py").write_text(
        textwrap.dedent(
            """
            import sys
            import time

            def wait():
                time.sleep(0.4)

            def work():
                end = time.process_time() + 0.2
                while time.process_time() < end:
                    pass

            wait()
            work()
            assert sys.argv[1:] == ["--flag"]
            """
        )
    )
    out = tmp_path / "profile.out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    subprocess.run(
        [sys.executable, "-m", "bench.cpu_profile", str(out), "waits_and_works", "--flag"],
        check=True,
        env=env,
        timeout=60,
    )
    spent = {
        name: cumulative
        for (_, _, name), (_, _, _, cumulative, _) in pstats.Stats(str(out)).stats.items()
        if name in ("wait", "work")
    }
    assert spent["wait"] < 0.1
    assert spent["work"] >= 0.15
