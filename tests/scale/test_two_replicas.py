"""Scale-out for real: two Rasa servers and two bot/ processes sharing one Redis.

One person's messages go alternately through both bot/ processes (each in front of its own
Rasa server); the conversation stays whole and in order in the shared tracker, and a button
offered by one replica can be pressed through the other. Then one replica (its bot/ and its
Rasa) is killed mid-conversation and the other carries on.
"""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from bot.conversation import payload_with_entity
from tests.scale.cluster import (
    Cluster,
    WidgetUser,
    is_safety_message,
    payload_of,
    text_of,
    tracker,
)

pytestmark = pytest.mark.e2e

# The button path through the triage (tests/e2e/test_conversations.py walks the same one).
TAPS = ["Images I sent are being used", "Snapchat", "No", "No, 18 or over", "Yes", "Dorset"]


@pytest.fixture(scope="module")
def replicas(cluster: Cluster):
    first = cluster.start_bot("bot-a", cluster.rasa_urls[0])
    second = cluster.start_bot("bot-b", cluster.rasa_urls[1])
    return first, second


def as_forwarded(payload: str) -> str:
    """A button's payload as bot/ forwards it to Rasa: with the person's language in it."""
    return payload_with_entity(payload, "language", "en")


def user_texts(rasa_url: str, sender: str) -> list[str]:
    events = tracker(rasa_url, sender)["events"]
    return [e["text"] for e in events if e["event"] == "user"]


def walk(user: WidgetUser, bots, taps: list[str], start: int = 0) -> list[dict]:
    """Greet, then tap through the triage, each turn through the next bot/ in turn."""
    replies = user.send(bots[start % len(bots)], command="start")
    user.sent.append(as_forwarded("/greet"))
    for turn, title in enumerate(taps, start=start + 1):
        payload = payload_of(replies, title)
        replies = user.send(bots[turn % len(bots)], payload=payload)
        assert not is_safety_message(replies), f"turn {turn} ({title}) got the safety message"
        user.sent.append(as_forwarded(payload))
    return replies


def test_one_conversation_alternating_between_replicas_stays_whole_and_in_order(cluster, replicas):
    user = WidgetUser()
    replies = walk(user, replicas, TAPS)
    # A button offered by one bot/ (recorded in Redis) was pressed through the other each time.
    steps = [text_of(replies)]
    for turn in range(20):
        if not any(b["title"] == "Next" for r in replies for b in r["buttons"]):
            break
        payload = payload_of(replies, "Next")
        replies = user.send(replicas[turn % 2], payload=payload)
        user.sent.append(as_forwarded(payload))
        steps.append(text_of(replies))
    advice = "\n".join(steps)
    assert "Dorset Police on 101" in advice and "Snapchat" in advice
    assert "That's all the steps" in steps[-1]
    # Both Rasa servers read one and the same tracker, with every message once, in order.
    for rasa_url in cluster.rasa_urls[:2]:
        assert user_texts(rasa_url, user.sender) == user.sent


def test_messages_arriving_at_both_replicas_at_once_are_all_processed(cluster, replicas):
    """Rasa's RedisLockStore queues them: none lost, none interleaved mid-turn."""
    user = WidgetUser()
    user.send(replicas[0], command="start")
    texts = ["someone on snapchat has my photos", "they want money", "what should I do"]
    with ThreadPoolExecutor(len(texts)) as pool:
        answers = list(
            pool.map(lambda i: user.send(replicas[i % 2], text=texts[i]), range(len(texts)))
        )
    assert all(answer and not is_safety_message(answer) for answer in answers)
    said = user_texts(cluster.rasa_urls[0], user.sender)
    assert said[0] == as_forwarded("/greet") and sorted(said[1:]) == sorted(texts)
    events = tracker(cluster.rasa_urls[1], user.sender)["events"]
    # Each user message is followed by its own bot turn before the next user message.
    kinds = [e["event"] for e in events if e["event"] in ("user", "action")]
    for index, kind in enumerate(kinds[:-1]):
        if kind == "user":
            assert kinds[index + 1] == "action"


def test_forget_through_either_replica_deletes_the_redis_tracker_and_state(cluster, replicas):
    user = WidgetUser()
    walk(user, replicas, TAPS[:2])
    client = redis.Redis(port=cluster.redis.port, db=0)
    state = redis.Redis(port=cluster.redis.port, db=2)
    try:
        assert client.exists(f"tracker:{user.sender}")
        assert client.ttl(f"tracker:{user.sender}") > 86000  # record_exp from the shipped file
        assert state.exists(f"aic:person:{user.sender}")
        answer = user.post(replicas[1], "forget", {})
        assert answer["ok"] is True
        assert not client.exists(f"tracker:{user.sender}")
        assert not state.exists(f"aic:person:{user.sender}")
        assert state.zscore("aic:active", user.sender) is None
        # Nothing in any Redis database still names this person.
        for db in range(3):
            keys = redis.Redis(port=cluster.redis.port, db=db).keys(f"*{user.sender}*")
            assert keys == [], (db, keys)
    finally:
        client.close()
        state.close()


def test_killing_one_replica_mid_conversation_the_other_carries_on(cluster):
    """Last in this module: it kills the first Rasa server for good."""
    first = cluster.start_bot("bot-c", cluster.rasa_urls[0])
    second = cluster.start_bot("bot-d", cluster.rasa_urls[1])
    user = WidgetUser()
    replies = walk(user, [first], TAPS[:3])
    # Replica one dies without warning: its bot/ and its Rasa server.
    first.process.stop(signal.SIGKILL)
    rasa_process, _ = cluster.rasa[0]
    rasa_process.stop(signal.SIGKILL)
    for title in TAPS[3:]:
        payload = payload_of(replies, title)
        replies = user.send(second, payload=payload)
        assert not is_safety_message(replies)
        user.sent.append(as_forwarded(payload))
    assert "Next" in [b["title"] for r in replies for b in r["buttons"]]
    slots = tracker(cluster.rasa_urls[1], user.sender)["slots"]
    assert slots["platforms"] == ["snapchat"] and slots["force_area"] == "dorset"
    assert user_texts(cluster.rasa_urls[1], user.sender) == user.sent
