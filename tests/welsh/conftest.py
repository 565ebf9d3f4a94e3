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
