"""The privacy tests reuse bot/'s unit fixtures (a domain with bot/'s responses, a fake Rasa)."""

from tests.bot.conftest import domain_path, fake_rasa  # noqa: F401  (fixtures)
