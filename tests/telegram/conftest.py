"""The Telegram peer's fixtures, for the tests in this folder."""

from tests.fixtures.telegram_peer import telegram_peer  # noqa: F401  (a fixture)
