"""Outbound HTTP spans for ``requests``: one client span per ``Session.send``.

``Session.send`` is wrapped on the class, so every session is covered, including subclasses
and sessions created before :func:`instrument`. The span ends when ``send`` returns: after
the body is read, or at the response headers with ``stream=True``. A redirect that
``requests`` follows is sent by a nested ``send``, so each hop gets its own span, a child
of the first hop's; each span's ``http.status_code`` is its own hop's (a 302 for the
first). The request goes out as a shallow copy with its own headers, carrying the
propagation headers; the caller's ``PreparedRequest`` is not changed. ``urllib3`` and
``http.client`` below add no span of their own (see :mod:`traced.integrations._http`).
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from ..patching import Integration
from . import _http

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_COMPONENT = "requests"


def _describe(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> _http.Target:
    request = args[0] if args else kwargs["request"]
    url, host, port = _http.split_url(str(request.url))
    return request.method or "GET", url, host, port, request.headers, True


def _rebuild(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any],
             add: Dict[str, str]) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
    # a shallow copy with headers of its own, not PreparedRequest.copy(), which also
    # copies the cookie jar (two thirds of the instrumentation's cost per request); the
    # jar, hooks and body are only read on the way out, and a redirect copies the request
    original = args[0] if args else kwargs["request"]
    request = object.__new__(type(original))
    request.__dict__.update(original.__dict__)
    headers = request.headers = original.headers.copy()
    headers.update(add)
    if args:
        return (request, *args[1:]), kwargs
    return args, {**kwargs, "request": request}


def _status(response: Any) -> Any:
    history = response.history
    return (history[0] if history else response).status_code


def _send(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    return _http.call(_tracer, _COMPONENT, _describe, _rebuild, _status,
                      wrapped, instance, args, kwargs)


_integration = Integration(
    "requests",
    module="requests",
    distribution="requests",
    min_version="2.20",
    max_version="3",
    patches=[("requests.sessions:Session.send", _send)],
)


def _tracer() -> Any:
    return _integration.tracer


instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented
