"""Per-person rate limit: a token bucket. ``take`` defines it; each store spends a token where
it keeps the bucket, in one step (SQLite: the statement in ``bot.people``; Redis: the script in
``bot.people_redis``), and the tests hold both to ``take``."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"  # first refusal since the last allowed turn: say so, kindly
    REFUSED_QUIETLY = "refused_quietly"  # already told; answering every extra message is spam


@dataclass(frozen=True)
class Bucket:
    tokens: float
    updated_at: float
    told: bool = False


def refill(bucket: Bucket | None, now: float, capacity: float, period_seconds: float) -> float:
    """The tokens a bucket of ``capacity``, refilled evenly over ``period_seconds``, holds now."""
    if bucket is None:
        return float(capacity)
    elapsed = max(0.0, now - bucket.updated_at)  # a clock step backwards must not drain it
    return min(float(capacity), bucket.tokens + elapsed * capacity / period_seconds)


def take(bucket: Bucket | None, now: float, per_minute: int) -> tuple[Bucket, Verdict]:
    """Spend one token if there is one. The bucket holds ``per_minute`` tokens and refills
    continuously, so a burst of ``per_minute`` messages is fine and then one more every
    ``60 / per_minute`` seconds."""
    tokens = refill(bucket, now, per_minute, 60.0)
    if bucket is None:
        bucket = Bucket(tokens=tokens, updated_at=now)
    if tokens >= 1.0:
        return Bucket(tokens - 1.0, now, told=False), Verdict.ALLOWED
    if bucket.told:
        return Bucket(tokens, now, told=True), Verdict.REFUSED_QUIETLY
    return Bucket(tokens, now, told=True), Verdict.REFUSED
