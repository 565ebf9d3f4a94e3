"""A force's website for the browser tests, on another site than bot/: http://localhost:PORT
while bot/ is on http://127.0.0.1:PORT, so the browser applies its cross-origin (and cross-site)
rules between the page and the widget's frame as it does on a real force's site.

Each page embeds the widget with the tag the README gives forces, under the Content-Security-
Policy the README advises (the assistant's host in script-src and frame-src, nothing else), and
runs ``spy.js`` first: what an analytics, tag-manager or session-replay script on a force's site
could do. It records every message the page receives, every node and text added to the page,
and every Content-Security-Policy violation, in ``window.__spy``.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from scripts.processes import free_port

SPY_JS = """
(() => {
  "use strict";
  const spy = (window.__spy = { messages: [], added: [], violations: [] });
  // Capturing, on window, before any other script: every message this page receives.
  window.addEventListener(
    "message",
    (event) => spy.messages.push({ origin: event.origin, data: JSON.stringify(event.data) }),
    true,
  );
  document.addEventListener("securitypolicyviolation", (event) =>
    spy.violations.push(`${event.effectiveDirective} ${event.blockedURI}`),
  );
  // Session replay's way: everything added to or changed in the page.
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "characterData") spy.added.push(record.target.data);
      if (record.type === "attributes") {
        spy.added.push(String(record.target.getAttribute(record.attributeName)));
      }
      for (const node of record.addedNodes) {
        spy.added.push(node.nodeType === Node.ELEMENT_NODE ? node.outerHTML : node.textContent);
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();
"""

# Everything a script on the page can reach of the widget, read as the page's own scripts
# would (Playwright runs this in the page's main world, under the same-origin policy).
READ_EVERYTHING = """() => {
    const texts = [];
    const walk = (node) => {
        if (node.nodeType === Node.ELEMENT_NODE) {
            for (const attribute of node.attributes) texts.push(attribute.value);
            if (node.shadowRoot) walk(node.shadowRoot);
        }
        if (node.nodeType === Node.TEXT_NODE) texts.push(node.data);
        for (const child of node.childNodes) walk(child);
    };
    walk(document);
    const frame = document.querySelector("[data-ask-in-confidence]").shadowRoot
        .querySelector("iframe");
    let frameDocument;
    try {
        frameDocument = frame.contentWindow.document.documentElement.outerHTML;
    } catch (error) {
        frameDocument = error.name;
    }
    let frameStorage;
    try {
        frameStorage = JSON.stringify(frame.contentWindow.sessionStorage);
    } catch (error) {
        frameStorage = error.name;
    }
    return {
        dom: texts.join("\\n"),
        contentDocument: frame.contentDocument === null ? null : "reachable",
        frameDocument,
        frameStorage,
        sessionStorage: JSON.stringify(Object.entries(sessionStorage)),
        localStorage: JSON.stringify(Object.entries(localStorage)),
        cookie: document.cookie,
        spy: window.__spy,
    };
}"""


class ForceSite:
    def __init__(self, url: str) -> None:
        self.url = url
        self._pages: dict[str, tuple[str, str]] = {}  # path -> (html, its policy)
        self._numbers = itertools.count()

    def page(
        self,
        bot_url: str,
        *,
        lang: str = "en",
        title: str = "Sextortion: help and advice - Testshire Police",
        **attributes: str,
    ) -> str:
        """A page embedding bot_url's widget with these ``data-`` attributes; its address."""
        attrs = {"force": "gwent", "colour": "#1d4b8f", "position": "right", "lang": lang}
        attrs.update({name.replace("_", "-"): value for name, value in attributes.items()})
        data = " ".join(f'data-{name}="{html.escape(value)}"' for name, value in attrs.items())
        path = f"/advice/{next(self._numbers)}"
        page = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>"
            '<script src="/spy.js"></script></head><body>'
            "<main><h1>Sextortion: help and advice</h1>"
            "<p>If someone is threatening to share images of you, it is not your fault.</p>"
            '<p><a href="/contact">Contact us</a></p></main>'
            f'<script src="{bot_url}/widget/widget.js" defer {data}></script>'
            "</body></html>"
        )
        policy = (
            f"default-src 'none'; script-src 'self' {bot_url}; frame-src {bot_url}; "
            "style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'"
        )
        self._pages[path] = (page, policy)
        return self.url + path

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/spy.js", self._spy)
        app.router.add_get("/advice/{number}", self._page)
        app.router.add_get("/contact", self._contact)
        return app

    async def _spy(self, request: web.Request) -> web.Response:
        return web.Response(text=SPY_JS, content_type="text/javascript")

    async def _page(self, request: web.Request) -> web.Response:
        if request.path not in self._pages:
            raise web.HTTPNotFound()
        page, policy = self._pages[request.path]
        return web.Response(
            text=page, content_type="text/html", headers={"Content-Security-Policy": policy}
        )

    async def _contact(self, request: web.Request) -> web.Response:
        return web.Response(text="<title>Contact</title><h1>Contact</h1>", content_type="text/html")


@asynccontextmanager
async def serving_force_site() -> AsyncIterator[ForceSite]:
    """The site on http://localhost:PORT (listening on 127.0.0.1, where Chromium finds it)."""
    port = free_port()
    site = ForceSite(f"http://localhost:{port}")
    runner = web.AppRunner(site.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield site
    finally:
        await runner.cleanup()
