"""Outbound HTTP spans for ``aiohttp``'s client: one client span per request of a
``ClientSession``.

Why ``ClientSession._request`` and not aiohttp's ``TraceConfig`` hooks: trace configs are
given to a session when it is created, so sessions created before :func:`instrument`
would be missed (or ``ClientSession.__init__`` patched, which still misses them), and
injecting headers from ``on_request_start`` means changing aiohttp's own header object.
Wrapping the coroutine method on the class covers every session and subclass, whenever
created, and the headers are given as an argument. ``_request`` is private, but it has
been the one path of every request method (``get``, ``post``, ``request``, ``ws_connect``)
through aiohttp 3.x; the supported versions are checked when patching.

One span per request: aiohttp follows redirects inside the one call, so the span covers
them all, with the URL asked for and the final response's status. The span ends when the
response headers are in (when ``_request`` returns); the body is read afterwards, outside
it. With ``raise_for_status`` the error's status is recorded with the error. The headers
sent are a new ``CIMultiDict`` of the caller's (the session's default headers still
apply, and a name set in either is the caller's).
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from ..patching import Integration
from . import _http

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_COMPONENT = "aiohttp"


def _describe(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> _http.Target:
    from multidict import CIMultiDict

    method = args[0] if args else kwargs["method"]
    target = args[1] if len(args) > 1 else kwargs["str_or_url"]
    build = getattr(instance, "_build_url", None)
    url, host, port = _http.split_url(str(build(target) if build is not None else target))
    given = kwargs.get("headers")
    defaults = instance.headers
    existing: Any = defaults
    if given:
        existing = CIMultiDict(defaults)
        existing.update(CIMultiDict(given))
    return method, url, host, port, existing, True


def _rebuild(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any],
             add: Dict[str, str]) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
    from multidict import CIMultiDict

    given = kwargs.get("headers")
    headers: Any = CIMultiDict(given) if given else CIMultiDict()
    for name, value in add.items():
        headers[name] = value
    return args, {**kwargs, "headers": headers}


def _status(response: Any) -> Any:
    return response.status


def _error_status(exc: Any) -> Any:
    return getattr(exc, "status", None)


async def _request(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                   kwargs: Dict[str, Any]) -> Any:
    return await _http.call_async(_tracer, _COMPONENT, _describe, _rebuild, _status,
                                  wrapped, instance, args, kwargs, _error_status)


_integration = Integration(
    "aiohttp",
    module="aiohttp",
    distribution="aiohttp",
    min_version="3.8",
    max_version="4",
    patches=[("aiohttp.client:ClientSession._request", _request)],
)


def _tracer() -> Any:
    return _integration.tracer


instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented
