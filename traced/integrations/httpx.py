"""Outbound HTTP spans for ``httpx``, sync and async, at the transport.

``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.handle_async_request`` are
wrapped on the classes, so every client is covered, including clients and transports
created before :func:`instrument` and subclasses of either. One span per transport call:
``httpx`` follows redirects in the client, one transport call per hop, so each hop gets a
span of its own (siblings under the caller's span). The span ends when the transport
returns, at the response headers; the client reads the body afterwards, outside it.

The transport receives a shallow copy of the client's ``Request`` with its own copy of
the headers, carrying the propagation headers; the client's ``Request`` (the one
``response.request`` names) is not changed.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from ..patching import Integration
from . import _http

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_COMPONENT = "httpx"


def _describe(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> _http.Target:
    request = args[0] if args else kwargs["request"]
    # from the parsed URL's parts, not str(url) parsed again: a third of the cost
    url = request.url
    scheme = url.scheme
    raw_path = url.raw_path
    cut = raw_path.find(b"?")
    path = (raw_path if cut < 0 else raw_path[:cut]).decode("ascii")
    port = url.port
    if port is None:
        port = _http.DEFAULT_PORTS.get(scheme)
    clean = "%s://%s%s" % (scheme, url.netloc.decode("ascii"), path)  # netloc has no userinfo
    return request.method, clean, url.host, port, request.headers, True


def _rebuild(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any],
             add: Dict[str, str]) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
    original = args[0] if args else kwargs["request"]
    request = object.__new__(type(original))
    request.__dict__.update(original.__dict__)
    headers = request.headers = original.headers.copy()
    for name, value in add.items():  # item by item: Headers.update costs twice as much
        headers[name] = value
    if args:
        return (request, *args[1:]), kwargs
    return args, {**kwargs, "request": request}


def _status(response: Any) -> Any:
    return response.status_code


def _handle_request(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                    kwargs: Dict[str, Any]) -> Any:
    return _http.call(_tracer, _COMPONENT, _describe, _rebuild, _status,
                      wrapped, instance, args, kwargs)


async def _handle_async_request(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                                kwargs: Dict[str, Any]) -> Any:
    return await _http.call_async(_tracer, _COMPONENT, _describe, _rebuild, _status,
                                  wrapped, instance, args, kwargs)


_integration = Integration(
    "httpx",
    module="httpx",
    distribution="httpx",
    min_version="0.18",
    max_version="1",
    patches=[
        ("httpx._transports.default:HTTPTransport.handle_request", _handle_request),
        ("httpx._transports.default:AsyncHTTPTransport.handle_async_request",
         _handle_async_request),
    ],
)


def _tracer() -> Any:
    return _integration.tracer


instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented
