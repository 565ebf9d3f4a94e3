"""The web widget door: static files for the embeddable widget and its JSON channel."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"


def setup(app: web.Application) -> None:
    """Add the widget's routes and static files to the bot/ app."""
    app.router.add_static("/widget/static/", STATIC_DIR, name="widget-static")
