"""The stack a load benchmark runs on (bench/load.py): the action server, Rasa and bot/ started
on this machine as `make run` starts them, and meters of their CPU time and memory."""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from bench.bot_api_peer import WEBHOOK_SECRET, BotApiPeer
from bot.rasa_client import home_index
from scripts.processes import (
    BOT_PYTHON,
    RASA_BIN,
    ROOT,
    Process,
    base_env,
    free_port,
    http_ok,
    start_rasas,
    write_endpoints,
)

SECRET = "bench-pseudonym-secret-0123456789abcdef"
# How long bot/ waits for Rasa, and a simulated person for a reply.
TURN_TIMEOUT = 60.0
TOKEN = "4242:bench"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lower, upper = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (k - lower)


# --- Process meters ----------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(k) for k in text.split()]
    return kids + [g for k in kids for g in _children(k)]


class Meter:
    """Peak RSS and CPU seconds of each named process (with its children) during a run."""

    def __init__(self, pids: dict[str, list[int]], alone: frozenset[str] = frozenset()) -> None:
        self.pids = pids
        self.alone = alone  # names measured without their children
        self.peak: dict[str, int] = {}
        self.cpu: dict[str, float] = {}
        self._cpu_start: dict[str, float] = {}
        self._task: asyncio.Task | None = None

    def _tree(self, name: str) -> list[int]:
        pids = self.pids[name]
        return pids if name in self.alone else [p for pid in pids for p in (pid, *_children(pid))]

    def _cpu_now(self) -> dict[str, float]:
        return {name: sum(_cpu_seconds(p) for p in self._tree(name)) for name in self.pids}

    async def _sample(self) -> None:
        while True:
            for name in self.pids:
                rss = sum(_rss_kib(p) for p in self._tree(name))
                self.peak[name] = max(self.peak.get(name, 0), rss)
            await asyncio.sleep(0.2)

    def __enter__(self) -> Meter:
        self.peak = {}
        self._cpu_start = self._cpu_now()
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        end = self._cpu_now()
        self.cpu = {n: end[n] - self._cpu_start.get(n, 0.0) for n in end}


BENCH = "bench"

# --- The stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    rasa_urls: list[str]
    bot_url: str
    action_url: str
    pids: dict[str, list[int]]
    peer: BotApiPeer
    processes: list[Process] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    def rasa_for(self, sender: str) -> str:
        """The Rasa server bot/ would send this sender's messages to (bot/rasa_client.py)."""
        return self.rasa_urls[home_index(sender, len(self.rasa_urls))]

    async def close(self) -> None:
        for process in reversed(self.processes):
            await asyncio.to_thread(process.stop)
        await self.peer.stop()


async def start_stack(args: argparse.Namespace, work: Path) -> Stack:
    from scripts.model import ensure_model

    model = Path(args.model) if args.model else await asyncio.to_thread(ensure_model)
    print(f"model {model.name}; logs and data in {work}", flush=True)
    peer = BotApiPeer()
    peer_url = await peer.start()

    actions_port = free_port()
    actions = Process(
        "actions",
        [str(RASA_BIN / "python"), "-m", "bench.timed_actions", str(actions_port)],
        work,
        base_env(),
    )
    processes = [actions]
    action_url = f"http://127.0.0.1:{actions_port}"
    await asyncio.to_thread(actions.wait_until, lambda: http_ok(f"{action_url}/health"), 120)

    bot_env = {
        "AIC_HOST": "127.0.0.1",
        "AIC_PSEUDONYM_SECRET": SECRET,
        "AIC_DATA_DIR": str(work / "bot"),
        "AIC_TELEGRAM_TOKEN": TOKEN,
        "AIC_TELEGRAM_MODE": args.telegram_mode,
        "AIC_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "AIC_TELEGRAM_API_URL": f"{peer_url}/bot",
        # N simulated people each type faster than a person could; the limit is not measured.
        "AIC_RATE_LIMIT_PER_MINUTE": "100000",
        # They all come from 127.0.0.1, too.
        "AIC_ADDRESS_REQUESTS_PER_MINUTE": "100000000",
        "AIC_HANDOFF_CASES_PER_ADDRESS": "1000000",
        "AIC_RASA_TIMEOUT": str(TURN_TIMEOUT),
    }
    rasa_env: dict[str, str] = {}
    if args.redis:
        from scripts.redis_server import RedisServer

        redis = RedisServer(work / "redis").start()
        endpoints = ROOT / "deploy" / "endpoints.redis.yml"
        rasa_env = {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis.port),
            "REDIS_PASSWORD": "",
            "ACTION_SERVER_URL": f"{action_url}/webhook",
        }
        bot_env["AIC_REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/2"
        bot_env["AIC_TRACKER_REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/0"
    else:
        redis = None
        tracker_db = work / "tracker.db"
        endpoints = work / "endpoints.yml"
        write_endpoints(endpoints, action_url, tracker_db)
        bot_env["AIC_TRACKER_DB"] = str(tracker_db)
    if args.rasa_workers > 1:
        rasa_env["SANIC_WORKERS"] = str(args.rasa_workers)
    print("loading the model...", flush=True)
    rasas = await asyncio.to_thread(
        start_rasas, model, endpoints, work, args.rasa_processes, env=rasa_env
    )
    processes.extend(rasa for rasa, _ in rasas)
    rasa_urls = [rasa_url for _, rasa_url in rasas]

    bot_port = free_port()
    bot_env.update(
        AIC_PORT=str(bot_port),
        AIC_RASA_URL=",".join(rasa_urls),
        AIC_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{bot_port}/telegram/webhook",
    )
    profiler = ["-m", "bench.cpu_profile", str(args.profile_bot)] if args.profile_bot else ["-m"]
    bot = Process("bot", [str(BOT_PYTHON), *profiler, "bot"], work, base_env(**bot_env))
    processes.append(bot)
    bot_url = f"http://127.0.0.1:{bot_port}"
    await asyncio.to_thread(bot.wait_until, lambda: http_ok(f"{bot_url}/healthz"), 60)
    pids = {
        "rasa": [rasa.popen.pid for rasa, _ in rasas],
        "actions": [actions.popen.pid],
        "bot": [bot.popen.pid],
        # Not part of a deployment, but on the same 2 cores: this process (the simulated
        # people and the Bot API peer).
        BENCH: [os.getpid()],
    }
    if redis is not None and redis._popen is not None:
        pids["redis"] = [redis._popen.pid]
    stack = Stack(rasa_urls, bot_url, action_url, pids, peer, processes)
    if redis is not None:
        original = stack.close

        async def close() -> None:
            await original()
            redis.stop()

        stack.close = close  # type: ignore[method-assign]
    return stack
