"""Only the widget's frame may be shown inside another site's page.

The frame (``GET /widget/frame``) sets its own ``frame-ancestors`` (the force sites in
``AIC_WIDGET_ORIGINS``, or any); every other response of bot/ (the desk, the demo page, the JSON
routes, errors) is refused to frames: ``frame-ancestors 'none'`` is added to its
Content-Security-Policy (or is its policy), and ``X-Frame-Options: DENY`` for older browsers.
"""

from __future__ import annotations

from aiohttp import hdrs, web

NO_FRAMES = "frame-ancestors 'none'"


async def deny_framing(request: web.Request, response: web.StreamResponse) -> None:
    """An ``on_response_prepare`` signal: runs on every response, just before it is sent."""
    policy = response.headers.get(hdrs.CONTENT_SECURITY_POLICY)
    if policy is None:
        response.headers[hdrs.CONTENT_SECURITY_POLICY] = NO_FRAMES
    elif "frame-ancestors" not in policy:
        response.headers[hdrs.CONTENT_SECURITY_POLICY] = f"{policy.rstrip('; ')}; {NO_FRAMES}"
    if NO_FRAMES in response.headers[hdrs.CONTENT_SECURITY_POLICY]:
        response.headers.setdefault(hdrs.X_FRAME_OPTIONS, "DENY")
