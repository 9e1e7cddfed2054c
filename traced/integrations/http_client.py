"""Outbound HTTP spans for the standard library's ``http.client``, and so for
``urllib.request`` and anything else built on ``HTTPConnection``.

A request on a connection is several calls, so four methods of ``HTTPConnection`` are
wrapped (on the class: every connection and subclass, e.g. ``HTTPSConnection`` and
urllib3's, whenever created):

* ``putrequest`` starts the span (``request()`` calls it too) and keeps it on the
  connection;
* ``endheaders`` adds the propagation headers before the header block goes out, skipping
  a name the caller already sent with ``putheader`` (read back from the connection's
  unsent header lines), and records a failure to send (a refused connection);
* ``getresponse`` tags the status and finishes the span: **at the response headers**.
  ``http.client`` hands the body to the caller as a stream, with no single call at which
  it is complete, so the body read afterwards is outside the span;
* ``close`` finishes a span whose response never came (a request abandoned on an error).

``urllib.request`` follows a redirect with a new request, so each hop gets its own span.
Under an instrumented ``urllib3`` or ``requests``, this layer adds nothing (see
:mod:`traced.integrations._http`).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .._report import report_tracer_error
from .._suppress import is_suppressed
from ..patching import Integration
from . import _http

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_COMPONENT = "http.client"
# the attribute of a connection holding the request in flight
_PENDING = "_traced_http_request"


def _take(connection: Any) -> Optional[_http.Request]:
    """The request in flight on ``connection``, no longer kept there."""
    state = getattr(connection, "__dict__", None)
    request: Optional[_http.Request] = state.pop(_PENDING, None) if state is not None else None
    return request


def _start(connection: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
    abandoned = _take(connection)
    if abandoned is not None:
        _http.finish(abandoned, None)
    if is_suppressed() or _http.current() is not None:
        return
    method = args[0] if args else kwargs["method"]
    target = args[1] if len(args) > 1 else kwargs["url"]
    scheme = "https" if connection.default_port == 443 else "http"
    host = getattr(connection, "_tunnel_host", None) or connection.host
    port = (getattr(connection, "_tunnel_port", None) if host != connection.host
            else connection.port) or connection.default_port
    url = _http.join_url(scheme, host, port, target)
    if "://" in target:  # an absolute URL (through a proxy): the peer is the origin
        _, host, port = _http.split_url(target)
    request = _http.start(_integration.tracer, _COMPONENT, method, url, host, port, None)
    if request is not None:
        connection.__dict__[_PENDING] = request


def _call_or_fail_pending(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                          kwargs: Dict[str, Any]) -> Any:
    """``wrapped(*args, **kwargs)``; when it raises, the request pending on the connection
    records the exception and its span is finished (no response will finish it)."""
    try:
        return wrapped(*args, **kwargs)
    except BaseException as exc:
        request = _take(instance)
        if request is not None:
            _http.fail(request, exc)
        raise


def _putrequest(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                kwargs: Dict[str, Any]) -> Any:
    try:
        _start(instance, args, kwargs)
    except Exception as exc:
        report_tracer_error("http.client instrumentation", exc)
    return _call_or_fail_pending(wrapped, instance, args, kwargs)


def _sent_names(connection: Any) -> Dict[str, str]:
    """The header lines ``putheader`` queued on ``connection``, by lowercase name (the
    first line is the request line)."""
    names: Dict[str, str] = {}
    for line in connection._buffer[1:]:
        name, _, value = line.partition(b":")
        names[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    return names


def _endheaders(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                kwargs: Dict[str, Any]) -> Any:
    request: Optional[_http.Request] = getattr(instance, "__dict__", {}).get(_PENDING)
    if request is not None:
        try:
            add = _http.headers_to_set(_integration.tracer, request, _sent_names(instance),
                                       None)
            for name, value in add.items():
                instance.putheader(name, value)
        except Exception as exc:
            report_tracer_error("http.client instrumentation", exc)
    return _call_or_fail_pending(wrapped, instance, args, kwargs)


def _getresponse(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                 kwargs: Dict[str, Any]) -> Any:
    try:
        response = wrapped(*args, **kwargs)
    except BaseException as exc:
        request = _take(instance)
        if request is not None:
            _http.fail(request, exc)
        raise
    request = _take(instance)
    if request is not None:
        _http.finish(request, getattr(response, "status", None))
    return response


def _close(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    request = _take(instance)
    if request is not None:
        _http.finish(request, None)
    return wrapped(*args, **kwargs)


_integration = Integration(
    "http.client",
    module="http.client",
    patches=[
        ("http.client:HTTPConnection.putrequest", _putrequest),
        ("http.client:HTTPConnection.endheaders", _endheaders),
        ("http.client:HTTPConnection.getresponse", _getresponse),
        ("http.client:HTTPConnection.close", _close),
    ],
)

instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented
