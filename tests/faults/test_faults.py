"""Faults, as a person meets them through the widget door: every part bot/ depends on going
down, slow or wrong. Each message gets either a real answer or the safety essentials (101, 999,
Samaritans 116 123), never silence and never an error text; nothing crashes; and once the part
is back the conversation carries on by itself.

The third Rasa server of the shared stack sits behind switchable proxies: one in front of its
action server (``cluster.proxy``) and one in front of Rasa itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.processes import free_port
from scripts.redis_server import RedisServer
from tests.scale.cluster import (
    Bot,
    Cluster,
    SwitchableProxy,
    WidgetUser,
    is_safety_message,
    text_of,
)

pytestmark = pytest.mark.e2e

RASA_TIMEOUT = 4  # bot/'s AIC_RASA_TIMEOUT here, so a slow part costs seconds, not minutes
NEEDS_AN_ACTION = "someone recorded our video call on instagram"  # starts the triage form


@pytest.fixture(scope="module")
def rasa_proxy(cluster: Cluster) -> Iterator[SwitchableProxy]:
    proxy = SwitchableProxy(cluster.rasa_urls[2]).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def bot(cluster: Cluster, rasa_proxy: SwitchableProxy) -> Bot:
    return cluster.start_bot("bot-faults", rasa_proxy.url, AIC_RASA_TIMEOUT=str(RASA_TIMEOUT))


@pytest.fixture(autouse=True)
def everything_back(cluster: Cluster, rasa_proxy: SwitchableProxy) -> Iterator[None]:
    yield
    cluster.proxy.set("pass")
    rasa_proxy.set("pass")


def real_answer(replies: list[dict]) -> bool:
    return bool(replies) and not is_safety_message(replies)


def assert_recovers(user: WidgetUser, bot: Bot, text: str, within: float = 30) -> list[dict]:
    """The person tries again now and then, as people do; a real answer comes back."""
    deadline = time.monotonic() + within
    while True:
        replies = user.send(bot, text=text)
        assert replies, "a message went unanswered"
        if real_answer(replies):
            return replies
        assert is_safety_message(replies)
        assert time.monotonic() < deadline, "no recovery"
        time.sleep(1)


def assert_clean_log(bot: Bot) -> None:
    log = bot.log_text()
    assert "Traceback" not in log
    assert "exception" not in log.lower()


@pytest.mark.parametrize("mode", ["down", "error", "break"])
def test_the_action_server_down_or_failing_gives_the_safety_essentials(cluster, bot, mode):
    user = WidgetUser()
    assert real_answer(user.send(bot, command="start"))
    cluster.proxy.set(mode)
    calls = cluster.proxy.calls
    replies = user.send(bot, text=NEEDS_AN_ACTION)
    assert cluster.proxy.calls > calls or mode == "down"
    assert is_safety_message(replies), text_of(replies)
    cluster.proxy.set("pass")
    replies = assert_recovers(user, bot, NEEDS_AN_ACTION)
    assert "?" in text_of(replies)  # the triage asks its next question
    assert bot.process.popen.poll() is None
    assert_clean_log(bot)


def test_a_slow_action_server_gives_the_safety_essentials_then_recovers(cluster, bot):
    user = WidgetUser()
    assert real_answer(user.send(bot, command="start"))
    cluster.proxy.set("slow", delay=RASA_TIMEOUT + 3)
    started = time.monotonic()
    replies = user.send(bot, text=NEEDS_AN_ACTION)
    assert time.monotonic() - started < RASA_TIMEOUT + 2  # no waiting on the slow part
    assert is_safety_message(replies)
    cluster.proxy.set("pass")
    assert_recovers(user, bot, "instagram", within=RASA_TIMEOUT + 30)
    assert_clean_log(bot)


@pytest.mark.parametrize("mode", ["down", "error", "slow"])
def test_rasa_down_restarting_or_slow_gives_the_safety_essentials(rasa_proxy, bot, mode):
    user = WidgetUser()
    assert real_answer(user.send(bot, command="start"))
    rasa_proxy.set(mode, delay=RASA_TIMEOUT + 2)
    for text in ["hello?", NEEDS_AN_ACTION]:
        assert is_safety_message(user.send(bot, text=text))
    rasa_proxy.set("pass")
    assert_recovers(user, bot, NEEDS_AN_ACTION)
    assert_clean_log(bot)


def test_rasa_s_redis_going_away_and_coming_back(cluster, bot):
    """Rasa keeps trackers and locks in Redis: while it is gone Rasa fails each message, bot/
    answers with the safety essentials, and the conversation carries on once Redis is back
    (from its append-only file, as deployed)."""
    user = WidgetUser()
    assert real_answer(user.send(bot, command="start"))
    assert real_answer(user.send(bot, text=NEEDS_AN_ACTION))
    cluster.redis.stop()
    try:
        assert is_safety_message(user.send(bot, text="no i haven't paid"))
    finally:
        cluster.redis.start()
    replies = assert_recovers(user, bot, "no i haven't paid")
    assert "18" in text_of(replies)  # the next triage question: nothing was forgotten
    assert bot.process.popen.poll() is None


def test_bot_starts_with_its_redis_down_and_recovers_when_it_comes_up(cluster, tmp_path: Path):
    absent = RedisServer(tmp_path / "late-redis", port=free_port())
    bot = cluster.start_bot(
        "bot-no-redis",
        cluster.rasa_urls[2],
        AIC_REDIS_URL=absent.url,
        AIC_RASA_TIMEOUT=str(RASA_TIMEOUT),
    )
    user = WidgetUser()
    assert is_safety_message(user.send(bot, text="hello"))
    absent.start()
    try:
        assert_recovers(user, bot, "hello", within=15)
    finally:
        absent.stop()
    assert bot.process.popen.poll() is None


def test_bot_starts_with_its_sqlite_folder_unusable_and_recovers(cluster, tmp_path: Path):
    blocked = tmp_path / "data"
    blocked.write_text("a file where bot/'s data folder should be")
    bot = cluster.start_bot(
        "bot-no-sqlite",
        cluster.rasa_urls[2],
        AIC_REDIS_URL="",  # bot/'s state on SQLite in AIC_DATA_DIR
        AIC_DATA_DIR=str(blocked),
        AIC_RASA_TIMEOUT=str(RASA_TIMEOUT),
    )
    user = WidgetUser()
    assert is_safety_message(user.send(bot, text="hello"))
    blocked.unlink()
    assert_recovers(user, bot, "hello", within=15)
    assert (blocked / "bot.db").exists()
    # The hand-off's case store opened too, on first use (ReconnectingCaseStore).
    hand_off = user.post(bot, "handoff", {"after": None})
    assert hand_off["active"] is False
    assert (blocked / "handoff.db").exists()
    assert bot.process.popen.poll() is None


def test_no_log_holds_what_anyone_wrote(cluster, rasa_stack):
    """After every fault above (an action failing for real, Rasa waiting on a slow action
    server until bot/ gives up, Rasa down), no log of any part holds a message's words: not
    Rasa's (its REST channel logs the text when a turn is cut short), not the action server's
    (its failure answer carried the request), not bot/'s."""
    logs = [*cluster.work.rglob("*.log"), *rasa_stack.log_dir.rglob("*.log")]
    assert any(log.name.startswith("rasa") for log in logs)
    assert any(log.name.startswith("actions") for log in logs)
    for log in logs:
        text = log.read_text(errors="replace").lower()
        for said in (NEEDS_AN_ACTION, "no i haven't paid", "hello?"):
            assert said not in text, (log.name, said)
