"""The server span of one inbound request, shared by the WSGI and ASGI middleware.

Both middleware turn a request into the same span: the caller's context extracted from
the headers, ``span.kind=server`` and the standard HTTP and peer tags, a name made from the
method and, once the framework has routed the request, its route; the status recorded
(5xx is an error, 4xx is not) and the span finished exactly once. Every call into the
tracer is guarded here, so a failing tracer is logged and the request carries on.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Mapping, Optional

import opentracing
from opentracing import Format, Span, tags

from .._core import finish_span, record_exit
from .._report import report_tracer_error
from ..tracer import Tracer

__all__ = [
    "REQUEST_KEY",
    "ServerRequest",
    "method_verb",
    "peer_tags",
    "set_route",
    "start_request",
]

#: Where the middleware keeps the :class:`ServerRequest` in the WSGI environ or ASGI scope.
REQUEST_KEY = "traced.request"

# Methods named in span names as they are; any other is named "HTTP" alone, so that a
# client sending made-up methods cannot create unbounded operation names.
_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
)


class ServerRequest:
    """One request's server span and what is known about it so far.

    ``verb`` starts the span's name: the method of an HTTP request (``HTTP GET`` before
    routing, ``GET /users/{id}`` after), ``WebSocket`` for a WebSocket connection.
    """

    __slots__ = ("span", "_verb", "_named", "_status", "_finished")

    def __init__(self, span: Span, verb: str) -> None:
        self.span = span
        self._verb = verb
        self._named = False
        self._status: Optional[int] = None
        self._finished = False

    @property
    def named(self) -> bool:
        """True once a route has named the span."""
        return self._named

    @property
    def status(self) -> Optional[int]:
        """The response status recorded so far, if any."""
        return self._status

    def set_route(self, route: str) -> None:
        """Name the span after ``route`` (the framework's pattern, ``/users/{id}``) and tag
        ``http.route``; a later call replaces an earlier one."""
        try:
            self.span.set_operation_name("%s %s" % (self._verb, route))
            self.span.set_tag("http.route", route)
            self._named = True
        except Exception as exc:
            report_tracer_error("naming the server span", exc)

    def set_status(self, status: int) -> None:
        """Tag the response status; a 5xx status marks the span as an error."""
        self._status = status
        try:
            self.span.set_tag(tags.HTTP_STATUS_CODE, status)
            if status >= 500:
                self.span.set_tag(tags.ERROR, True)
        except Exception as exc:
            report_tracer_error("tagging the response status", exc)

    def set_tag(self, key: str, value: Any) -> None:
        """Tag the span, reporting a tracer failure."""
        try:
            self.span.set_tag(key, value)
        except Exception as exc:
            report_tracer_error("Span.set_tag", exc)

    def log(self, fields: Dict[str, Any]) -> None:
        """Log ``fields`` on the span, reporting a tracer failure."""
        try:
            self.span.log_kv(fields)
        except Exception as exc:
            report_tracer_error("Span.log_kv", exc)

    def record_error(self, exc: BaseException) -> None:
        """Record how the application ended with ``exc`` (an ``Exception`` is an error, a
        cancellation is tagged ``cancelled``, ``GeneratorExit`` and the like are neither)."""
        record_exit(self.span, exc, asyncio.CancelledError)

    def finish(self) -> None:
        """Finish the span; only the first call does anything."""
        if not self._finished:
            self._finished = True
            finish_span(self.span)


def start_request(
    tracer: opentracing.Tracer,
    carrier: Any,
    headers: Any,
    verb: str,
    default_name: str,
    start_tags: Dict[str, Any],
) -> Optional[ServerRequest]:
    """Start the server span of a request, a child of the context ``carrier`` holds.

    ``carrier`` goes to the extract of a ``traced.Tracer`` as it is (it reads WSGI environs
    and ASGI header lists); any other tracer is given ``headers()``, a plain dict of
    lowercase header names. A context that cannot be extracted (none, malformed) starts a
    new trace. Returns None when the tracer cannot start a span at all (reported).
    """
    parent: Optional[opentracing.SpanContext] = None
    try:
        parent = tracer.extract(
            Format.HTTP_HEADERS, carrier if isinstance(tracer, Tracer) else headers()
        )
    except opentracing.SpanContextCorruptedException:
        pass  # the caller's bad header: this request starts a trace of its own
    except Exception as exc:
        report_tracer_error("Tracer.extract", exc)
    try:
        span = tracer.start_span(
            default_name, child_of=parent, tags=start_tags, ignore_active_span=True
        )
    except Exception as exc:
        report_tracer_error("Tracer.start_span", exc)
        return None
    return ServerRequest(span, verb)


def method_verb(method: str) -> str:
    """The method as span names show it: a standard method as it is, any other as HTTP."""
    return method if method in _METHODS else "HTTP"


def peer_tags(start_tags: Dict[str, Any], address: Any, port: Any) -> None:
    """Add the caller's address (``peer.ipv4``, ``peer.ipv6`` or, for a name such as a
    Unix socket path, ``peer.hostname``) and ``peer.port`` to ``start_tags``."""
    if isinstance(address, str) and address:
        if ":" in address:
            start_tags[tags.PEER_HOST_IPV6] = address
        elif address[0].isdigit():
            start_tags[tags.PEER_HOST_IPV4] = address
        else:
            start_tags[tags.PEER_HOSTNAME] = address
    if isinstance(port, int):
        start_tags[tags.PEER_PORT] = port
    elif isinstance(port, str) and port.isdigit():
        start_tags[tags.PEER_PORT] = int(port)


def set_route(carrier: Mapping[str, Any], route: str) -> bool:
    """Name the server span of the request ``carrier`` belongs to after ``route``.

    ``carrier`` is the WSGI ``environ`` or ASGI ``scope`` the middleware passed on; the
    span becomes ``"<METHOD> <route>"`` (``GET /users/{id}``) with an ``http.route`` tag.
    Call it from the framework's routing hook when the middleware cannot find the route
    by itself. Returns False when no middleware traced this request (nothing to name).
    """
    request = carrier.get(REQUEST_KEY)
    if not isinstance(request, ServerRequest):
        return False
    request.set_route(route)
    return True
