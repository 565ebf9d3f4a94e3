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


def take(bucket: Bucket | None, now: float, per_minute: int) -> tuple[Bucket, Verdict]:
    """Spend one token if there is one. The bucket holds ``per_minute`` tokens and refills
    continuously, so a burst of ``per_minute`` messages is fine and then one more every
    ``60 / per_minute`` seconds."""
    capacity = float(per_minute)
    if bucket is None:
        bucket = Bucket(tokens=capacity, updated_at=now)
    elapsed = max(0.0, now - bucket.updated_at)  # a clock step backwards must not drain it
    tokens = min(capacity, bucket.tokens + elapsed * capacity / 60.0)
    if tokens >= 1.0:
        return Bucket(tokens - 1.0, now, told=False), Verdict.ALLOWED
    if bucket.told:
        return Bucket(tokens, now, told=True), Verdict.REFUSED_QUIETLY
    return Bucket(tokens, now, told=True), Verdict.REFUSED
