"""Fixtures for the Welsh tests: bot/'s unit fixtures, but with the project's real domain."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.responses import Responses
from tests.bot.conftest import (  # noqa: F401  (fixtures)
    clock,
    conversations,
    fake_rasa,
    make_conversations,
    store,
)

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"


@pytest.fixture
def responses() -> Responses:
    return Responses.from_domain(DOMAIN)


# The Telegram peer and the browser, as tests/telegram and tests/widget use them.
from tests.fixtures.telegram_peer import telegram_peer  # noqa: E402, F401
from tests.widget.conftest import (  # noqa: E402, F401
    browser,
    chromium,
    force_site,
    new_context,
    page,
)
