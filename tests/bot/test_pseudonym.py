from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.pseudonym import pseudonym

SECRET = b"k" * 32


def test_a_pseudonym_is_stable_and_keyed():
    assert pseudonym(SECRET, "telegram", 42) == pseudonym(SECRET, "telegram", "42")
    assert pseudonym(SECRET, "telegram", 42) != pseudonym(b"other" * 8, "telegram", 42)
    assert pseudonym(SECRET, "telegram", 42) != pseudonym(SECRET, "widget", 42)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_a_pseudonym_never_contains_the_id(chat_id: int):
    name = pseudonym(SECRET, "telegram", chat_id)
    assert len(name) == 64 and int(name, 16) >= 0
    if abs(chat_id) >= 10**6:  # short numbers can occur in any hex string by chance
        assert str(abs(chat_id)) not in name
