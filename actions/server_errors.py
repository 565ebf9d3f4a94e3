"""An action that fails answers Rasa with its name and the kind of error, never the request.

rasa_sdk's own answer to a failing action (a 500) carries the whole request back, the
conversation included, and Rasa writes what it gets into its log. rasa_sdk's plugin hook for the
action server's app (``attach_sanic_app_extensions``) puts this handler in that one's place. The
log keeps where the code failed (the stack's frames), not the error's message, which can quote
what was being handled.
"""

from __future__ import annotations

import logging
import traceback

import pluggy
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")


def action_named_in(request: Request) -> str:
    try:
        name = request.json.get("next_action")
    except Exception:  # a body that is not a JSON object: no action to name
        return "unknown"
    return name if isinstance(name, str) else "unknown"


async def answer_without_the_request(request: Request, error: Exception) -> HTTPResponse:
    if isinstance(error, SanicException):  # a wrong route or method, not a failing action
        return response.json({"error": type(error).__name__}, status=error.status_code)
    action = action_named_in(request)
    where = "".join(traceback.format_tb(error.__traceback__))
    logger.error("Action %s failed: %s, at\n%s", action, type(error).__name__, where)
    return response.json({"error": type(error).__name__, "action_name": action}, status=500)


class QuietErrors:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        app.error_handler.add(Exception, answer_without_the_request)


PLUGIN = QuietErrors()


def install() -> None:
    """Idempotent. rasa_sdk imports this package before it asks its plugins for extensions."""
    manager = plugin_manager()
    if not manager.is_registered(PLUGIN):
        manager.register(PLUGIN)
