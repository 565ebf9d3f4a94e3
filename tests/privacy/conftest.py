"""The privacy tests reuse bot/'s unit fixtures (a domain with bot/'s responses, a fake Rasa)
and the Telegram peer."""

from tests.bot.conftest import domain_path, fake_rasa  # noqa: F401  (fixtures)
from tests.fixtures.telegram_peer import telegram_peer  # noqa: F401  (a fixture)
