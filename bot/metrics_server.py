"""Prometheus' ``GET /metrics`` for bot/, on a listener of its own, never on the public port.

``setup(app)`` (from ``create_app``) gives the app ``HEALTH_CHECKS`` holding the built-in checks
(Rasa, the action server, bot/'s store, and the hand-off's case store when the hand-off is on);
other parts of bot/ add their own. With ``AIC_METRICS_PORT`` set, a second, small aiohttp
application (``create_metrics_app``) listens on ``AIC_METRICS_HOST:AIC_METRICS_PORT``
(127.0.0.1 unless set) and serves ``GET /metrics`` and nothing else. A port of its own keeps the
figures off the public network (deploy/ exposes it to Prometheus alone), and nothing of the
public app can be reached through it. With ``AIC_METRICS_TOKEN`` set, a scrape must send
``Authorization: Bearer <token>``. A port that cannot be bound stops the start, like any other
unusable setting.

Each scrape first runs every check, all at once, each given ``CHECK_SECONDS``: a check that
fails, raises or hangs sets its component's ``aic_up`` to 0, and the scrape still answers in
time.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Mapping
from functools import partial

import aiohttp
from aiohttp import hdrs, web
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

from bot.appkeys import HEALTH_CHECKS, HTTP, SETTINGS, STORE, HealthCheck
from bot.handoff.cases import WAITING
from bot.handoff.desk import HANDOFF
from bot.metrics import COMPONENTS, HANDOFF_QUEUE_LENGTH, UP

log = logging.getLogger(__name__)

# Prometheus' own scrape timeout is 10 s by default: every check together stays well inside it.
CHECK_SECONDS = 2.0
METRICS_TOKEN = web.AppKey("metrics_token", str)


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[HEALTH_CHECKS] = {
        "rasa": partial(any_rasa_answers, app),
        "action_server": partial(action_server_answers, app),
        "store": partial(store_answers, app),
    }
    if settings.metrics_port is not None:
        # create_app calls setup last: the listener starts once all it checks is open, and
        # stops first.
        app.cleanup_ctx.append(_listen)


def create_metrics_app(checks: dict[str, HealthCheck], token: str | None = None) -> web.Application:
    """The metrics listener's application: ``GET /metrics`` alone (no HEAD, no other route)."""
    metrics_app = web.Application()
    metrics_app[HEALTH_CHECKS] = checks
    if token:
        metrics_app[METRICS_TOKEN] = token
    metrics_app.router.add_get("/metrics", serve_metrics, allow_head=False)
    return metrics_app


async def serve_metrics(request: web.Request) -> web.Response:
    token = request.app.get(METRICS_TOKEN)
    if token is not None and not _bearer_matches(request.headers.get(hdrs.AUTHORIZATION), token):
        return web.Response(
            status=401, text="401: Unauthorized", headers={hdrs.WWW_AUTHENTICATE: "Bearer"}
        )
    await refresh_up(request.app[HEALTH_CHECKS])
    # OpenMetrics when the scraper asks for it (Prometheus does), the classic text format if not.
    encode, content_type = choose_encoder(request.headers.get(hdrs.ACCEPT, ""))
    return web.Response(body=encode(REGISTRY), headers={hdrs.CONTENT_TYPE: content_type})


def _bearer_matches(authorization: str | None, token: str) -> bool:
    # Bytes: compare_digest refuses a str with non-ASCII characters, which anyone can send.
    sent = (authorization or "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(sent, f"Bearer {token}".encode())


async def refresh_up(checks: Mapping[str, HealthCheck]) -> None:
    """Run every check at once and set ``aic_up`` for each component from its answer."""
    components = [name for name in checks if name in COMPONENTS]
    for name in checks.keys() - set(components):
        # A label outside the closed set could carry anything; such a check is a bug to fix.
        log.error("health check %r is not one of bot.metrics.COMPONENTS; not run", name)
    answers = await asyncio.gather(*(_passes(name, checks[name]) for name in components))
    for name, up in zip(components, answers, strict=True):
        UP.labels(component=name).set(1 if up else 0)


async def _passes(component: str, check: HealthCheck) -> bool:
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            return await check() is True
    except Exception as error:
        # The type alone: a message may hold an address, or a Redis URL with its password.
        log.debug("%s check failed: %s", component, type(error).__name__)
        return False


async def _listen(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # The hand-off is on once its own cleanup_ctx (before this one) has set HANDOFF: only then is
    # there a case store to check; with the hand-off off, no case_store figure at all.
    if app.get(HANDOFF) is not None:
        app[HEALTH_CHECKS]["case_store"] = partial(case_store_answers, app)
    # access_log=None: an access log would record the scraper's address on every scrape.
    runner = web.AppRunner(
        create_metrics_app(app[HEALTH_CHECKS], settings.metrics_token), access_log=None
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.metrics_host, settings.metrics_port).start()
        log.info("metrics on http://%s:%s/metrics", settings.metrics_host, settings.metrics_port)
        yield
    finally:
        await runner.cleanup()


# --- The built-in checks -----------------------------------------------------------------------


async def any_rasa_answers(app: web.Application) -> bool:
    """Up while at least one Rasa server answers ``GET /``. A conversation whose home server
    cannot be reached goes to the next one (bot/rasa_client.py), so with one server of several
    down people are still answered: that is not an outage to page anyone about. All of them down
    is, and then bot/ gives everyone the safety fallback (``aic_safety_fallbacks``)."""
    http = app[HTTP]
    probes = [asyncio.create_task(_answers(http, f"{url}/")) for url in app[SETTINGS].rasa_urls]
    try:
        # The first to answer settles it; one hanging server does not hide the others' answers.
        for probe in asyncio.as_completed(probes):
            if await probe:
                return True
        return False
    finally:
        for probe in probes:
            probe.cancel()
        await asyncio.gather(*probes, return_exceptions=True)


async def action_server_answers(app: web.Application) -> bool:
    """rasa_sdk's own health route. bot/ never calls the action server; Rasa does, and without it
    every form and custom answer fails, so its state belongs beside Rasa's."""
    return await _answers(app[HTTP], f"{app[SETTINGS].action_server_url}/health")


async def store_answers(app: web.Application) -> bool:
    # The cheapest call every store has: the address of a pseudonym nobody has. A store that is
    # down raises StoreUnavailable (a ConnectionError), which reads as 0.
    await app[STORE].address("")
    return True


async def case_store_answers(app: web.Application) -> bool:
    """The hand-off's case store answers; on the way, each force's queue length is set from the
    cases waiting in it. A store that fails leaves the queue lengths as they were: the last
    counts known, with ``aic_up{component="case_store"}`` 0 saying they are not current."""
    handoff = app[HANDOFF]
    queues = list(handoff.forces)
    cases_by_queue = await asyncio.gather(*(handoff.cases.queue(queue) for queue in queues))
    for queue, cases in zip(queues, cases_by_queue, strict=True):
        HANDOFF_QUEUE_LENGTH.labels(force=queue).set(sum(c.state == WAITING for c in cases))
    return True


async def _answers(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(url, allow_redirects=False) as response:
            return response.status == 200
    except (aiohttp.ClientError, OSError):
        return False
