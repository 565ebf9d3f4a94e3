"""`make run`: the action server, Rasa and bot/ on this machine, with the embedded defaults.

Open http://127.0.0.1:8080 for the demo force page with the widget. With AIC_TELEGRAM_TOKEN set,
the Telegram bot comes up too. AIC_RASA_PROCESSES=2 starts two Rasa servers (one per core; each
takes about 900 MiB), among which bot/ spreads the conversations. Prometheus' metrics are on
http://127.0.0.1:9464/metrics (AIC_METRICS_PORT to move them). Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from scripts.model import ensure_model
from scripts.processes import (
    BOT_PYTHON,
    ROOT,
    LogRotation,
    Process,
    base_env,
    http_ok,
    local_secret,
    start_action_server,
    start_rasas,
)

RASA_PORT = 5005
ACTION_PORT = 5055
# bot/'s /metrics, on loopback (bot/'s default host) unless AIC_METRICS_PORT says otherwise.
METRICS_PORT = 9464


def main() -> int:
    # What every process started here writes (trackers, journals, logs, the token) is this
    # user's alone: the processes inherit the mask.
    os.umask(0o077)
    var = ROOT / "var"
    var.mkdir(mode=0o700, exist_ok=True)
    for path in [var, *var.rglob("*")]:  # and what an earlier version left readable
        path.chmod(0o700 if path.is_dir() else 0o600)
    logs = ROOT / "var" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # A new file each hour; those older than the retention period (bot/'s setting) go.
    Process.rotation = LogRotation(
        every_seconds=3600, keep=int(os.environ.get("AIC_RETENTION_HOURS") or 24)
    )
    model = ensure_model()
    print(
        "Starting the action server and Rasa (loading the model takes about a minute)...",
        flush=True,
    )
    actions, action_url = start_action_server(logs, ACTION_PORT)
    count = int(os.environ.get("AIC_RASA_PROCESSES") or 1)
    # Rasa's HTTP API can replace the model or write into any conversation: only bot/ gets the
    # token it needs (made on the first `make run`, kept in var/ for this user alone).
    token = local_secret(ROOT / "var" / "rasa_token")
    rasas = start_rasas(model, ROOT / "endpoints.yml", logs, count, RASA_PORT, auth_token=token)
    bot_env = base_env(
        AIC_RASA_TOKEN=token,
        AIC_RASA_URL=",".join(url for _, url in rasas),
        AIC_TRACKER_DB=str(ROOT / "var" / "tracker.db"),
        AIC_ACTION_SERVER_URL=action_url,
    )
    bot_env.setdefault("AIC_METRICS_PORT", str(METRICS_PORT))
    bot = Process("bot", [str(BOT_PYTHON), "-m", "bot"], logs, bot_env)
    port = os.environ.get("AIC_PORT", "8080")
    bot.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), timeout=60)
    print(
        f"Ready: open http://127.0.0.1:{port} (logs in {logs.relative_to(ROOT)}/). Ctrl-C stops.",
        flush=True,
    )

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    servers = [bot, *(rasa for rasa, _ in rasas), actions]
    while not stopping and all(s.popen.poll() is None for s in servers):
        time.sleep(1)
    for server in servers:
        server.stop()
    crashed = [s.name for s in servers if s.popen.returncode not in (0, -signal.SIGTERM, None)]
    if crashed and not stopping:
        print(f"Stopped because {', '.join(crashed)} exited; see {logs}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
