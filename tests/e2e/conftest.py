"""The Telegram peer, for the end-to-end tests that type through Telegram as well."""

from tests.fixtures.telegram_peer import telegram_peer  # noqa: F401  (a fixture)
