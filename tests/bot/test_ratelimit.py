from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.ratelimit import Verdict, take


def test_a_burst_up_to_the_limit_is_allowed_then_refused_once():
    bucket, verdicts = None, []
    for _ in range(22):
        bucket, verdict = take(bucket, 100.0, per_minute=20)
        verdicts.append(verdict)
    assert verdicts[:20] == [Verdict.ALLOWED] * 20
    assert verdicts[20:] == [Verdict.REFUSED, Verdict.REFUSED_QUIETLY]


def test_tokens_come_back_over_time():
    bucket = None
    for _ in range(20):
        bucket, _ = take(bucket, 100.0, per_minute=20)
    assert take(bucket, 102.0, per_minute=20)[1] is Verdict.REFUSED
    assert take(bucket, 103.0, per_minute=20)[1] is Verdict.ALLOWED


def test_a_clock_going_backwards_does_not_drain_or_fill():
    bucket, _ = take(None, 100.0, per_minute=2)
    bucket, verdict = take(bucket, 50.0, per_minute=2)
    assert verdict is Verdict.ALLOWED
    assert take(bucket, 50.0, per_minute=2)[1] is Verdict.REFUSED


@given(
    st.integers(min_value=1, max_value=100),
    st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), min_size=1, max_size=200),
)
def test_never_more_than_the_limit_in_any_minute(per_minute, gaps):
    bucket, now, allowed_at = None, 0.0, []
    for gap in gaps:
        now += gap
        bucket, verdict = take(bucket, now, per_minute)
        if verdict is Verdict.ALLOWED:
            allowed_at.append(now)
    for i, start in enumerate(allowed_at):
        in_window = [t for t in allowed_at[i:] if t < start + 60]
        # A full bucket plus what refills during the minute.
        assert len(in_window) <= 2 * per_minute
