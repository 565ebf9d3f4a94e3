"""The statistics tests use the hand-off's stand-in Rasa and settings (tests/handoff) and, for
the browser test, the widget tests' Chromium (tests/widget)."""

from tests.handoff.conftest import close_desks, rasa, settings  # noqa: F401
from tests.widget.conftest import browser, chromium, new_context, page  # noqa: F401
