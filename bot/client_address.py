"""The address a request comes from, for limits kept per client: the connection's own, or, when
that connection is from a reverse proxy named in ``AIC_TRUSTED_PROXIES``, the address that proxy
says it forwarded for (the last X-Forwarded-For entry that is not itself a trusted proxy).
A client cannot choose it: an X-Forwarded-For from anyone else is ignored."""

from __future__ import annotations

from aiohttp import hdrs, web


def client_address(request: web.Request, trusted_proxies: tuple[str, ...]) -> str:
    remote = request.remote or ""
    if remote not in trusted_proxies:
        return remote
    forwarded = [
        address.strip()
        for header in request.headers.getall(hdrs.X_FORWARDED_FOR, [])
        for address in header.split(",")
        if address.strip()
    ]
    for address in reversed(forwarded):
        if address not in trusted_proxies:
            return address
    return remote
