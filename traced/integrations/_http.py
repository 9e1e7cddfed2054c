"""What the outbound HTTP integrations share: the span of one request, its tags, the
propagation headers, and the rule that one request gets one span however many instrumented
layers it passes through.

The layering rule
    ``requests`` calls ``urllib3``, which calls ``http.client``; each can be instrumented.
    The *outermost* instrumented layer owns the request: while its call runs, the
    :data:`_CURRENT` context variable holds its :class:`Request`, and an inner layer of
    another library sees it and passes straight through (no span, no headers of its own).
    A layer re-entering *itself* (``requests`` following a redirect with a nested
    ``Session.send``, ``urllib3`` retrying or redirecting with a nested ``urlopen``) is a new
    hop: it gets a span of its own, a child of the enclosing one. A context variable, not a
    thread-local, so threads, asyncio tasks and greenlets each have their own.

Headers
    The tracer's configured codecs (``tracer.inject(context, Format.HTTP_HEADERS, ...)``)
    are written into a copy of the request's headers; the caller's own mapping or request
    object is never changed. A header the caller set explicitly (same name, any case) is
    kept: code propagating by hand wins. The one exception is a value that an enclosing
    hop of ours injected and the library copied into the next hop's request (a redirect or
    a retry): that is replaced by the new hop's own context.

``http.url``
    The URL without credentials (``user:password@``), query string and fragment: query
    strings routinely carry tokens and signatures, and a trace is not the place for them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Tuple

import opentracing
from opentracing import Format, Span, tags

from .._core import NOOP_TRACER, finish_span, record_exit
from .._report import report_tracer_error
from .._suppress import is_suppressed

__all__ = [
    "DEFAULT_PORTS",
    "Describe",
    "Request",
    "Target",
    "call",
    "call_async",
    "current",
    "fail",
    "finish",
    "headers_to_set",
    "join_url",
    "split_url",
    "start",
]

#: The port a URL of each scheme means when it names none.
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class Request:
    """One traced outbound request: which integration owns it, its span, and the headers
    that integration added (so a nested hop recognises them as ours)."""

    __slots__ = ("component", "span", "injected")

    def __init__(self, component: str, span: Span) -> None:
        self.component = component
        self.span = span
        self.injected: Dict[str, str] = {}


_CURRENT: ContextVar[Optional[Request]] = ContextVar("traced_http_request", default=None)

#: The request whose span the innermost running HTTP integration call belongs to, or None.
current = _CURRENT.get
#: ``set(request) -> token`` and ``reset(token)`` around the library's own call.
set_current = _CURRENT.set
reset_current = _CURRENT.reset


def split_url(url: str) -> Tuple[str, str, Optional[int]]:
    """``(url without userinfo, query and fragment, host, port)`` of an absolute URL; the
    port is the scheme's default when the URL names none, None when neither is known.
    A URL without ``scheme://`` comes back cut at its query, with an empty host."""
    end = len(url)
    for mark in ("?", "#"):
        cut = url.find(mark)
        if 0 <= cut < end:
            end = cut
    url = url[:end]
    sep = url.find("://")
    if sep < 0:
        return url, "", None
    scheme = url[:sep].lower()
    rest = url[sep + 3 :]
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    at = authority.rfind("@")
    if at >= 0:
        authority = authority[at + 1 :]
    host, port = _split_authority(authority)
    if port is None:
        port = DEFAULT_PORTS.get(scheme)
    return "%s://%s%s" % (scheme, authority, path), host, port


def _split_authority(authority: str) -> Tuple[str, Optional[int]]:
    if authority.startswith("["):  # IPv6 literal: [::1]:8080
        close = authority.find("]")
        host, tail = authority[1:close], authority[close + 1 :]
        digits = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, digits = authority.partition(":")
    return host, int(digits) if digits.isdigit() else None


def join_url(scheme: str, host: str, port: Optional[int], target: str) -> str:
    """The absolute URL of a request line's ``target`` sent to ``host:port``, without its
    query; a target that is already absolute (a request through a proxy) is kept as is."""
    if "://" in target:
        return split_url(target)[0]
    cut = min((i for i in (target.find("?"), target.find("#")) if i >= 0), default=len(target))
    netloc = "[%s]" % host if ":" in host and not host.startswith("[") else host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc = "%s:%d" % (netloc, port)
    return "%s://%s%s" % (scheme, netloc, target[:cut])


def start(
    tracer: opentracing.Tracer,
    component: str,
    method: str,
    url: str,
    host: str,
    port: Optional[int],
    enclosing: Optional[Request],
) -> Optional[Request]:
    """Start the client span of one request (a child of ``enclosing``'s span for a nested
    hop, else of the active span); None on the no-op tracer, where nothing is worth doing."""
    if tracer.__class__ is NOOP_TRACER:
        return None
    method = method.upper() if isinstance(method, str) else str(method)
    span_tags: Dict[str, Any] = {
        tags.SPAN_KIND: tags.SPAN_KIND_RPC_CLIENT,
        tags.COMPONENT: component,
        tags.HTTP_METHOD: method,
        tags.HTTP_URL: url,
        tags.PEER_HOSTNAME: host,
    }
    if port is not None:
        span_tags[tags.PEER_PORT] = port
    parent = enclosing.span if enclosing is not None else None
    span = tracer.start_span("HTTP " + method, child_of=parent, tags=span_tags)
    return Request(component, span)


def headers_to_set(
    tracer: opentracing.Tracer,
    request: Request,
    existing: Optional[Mapping[str, Any]],
    enclosing: Optional[Request],
    case_insensitive: bool = False,
) -> Dict[str, str]:
    """The propagation headers to add to a request whose headers are ``existing`` (None: no
    headers): every header the tracer injects, less those the caller set (see the module's
    docstring). Remembered on ``request`` as the ones it injected. A tracer failing to
    inject is reported and gives no headers."""
    carrier: Dict[str, str] = {}
    try:
        tracer.inject(request.span.context, Format.HTTP_HEADERS, carrier)
    except Exception as exc:
        report_tracer_error("Tracer.inject into an outbound HTTP request", exc)
        return carrier
    if existing:
        lookup: Callable[[str], Any]
        if case_insensitive:
            lookup = existing.get
        else:
            lower = {str(key).lower(): value for key, value in existing.items()}
            lookup = lower.get
        ours = enclosing.injected if enclosing is not None else {}
        for name in list(carrier):
            value = lookup(name)
            if value is not None and ours.get(name) != value:
                del carrier[name]
    request.injected = carrier
    return carrier


def finish(request: Request, status: Any) -> None:
    """Tag the response's status (5xx marks an error) and finish the span."""
    span = request.span
    try:
        if isinstance(status, int):
            span.set_tag(tags.HTTP_STATUS_CODE, status)
            if status >= 500:
                span.set_tag(tags.ERROR, True)
    except Exception as exc:
        report_tracer_error("tagging an HTTP status", exc)
    finish_span(span)


def fail(request: Request, exc: BaseException, status: Any = None) -> None:
    """Record ``exc`` (an ``Exception`` is an error) and the status if one is known, and
    finish the span; the caller re-raises ``exc`` itself."""
    if isinstance(status, int):
        try:
            request.span.set_tag(tags.HTTP_STATUS_CODE, status)
        except Exception as tracer_exc:
            report_tracer_error("tagging an HTTP status", tracer_exc)
    record_exit(request.span, exc)
    finish_span(request.span)


#: What an integration reads off a call before its span starts: ``(method, URL without
#: query and credentials, host, port, the headers the request already has or None,
#: whether that mapping looks names up case-insensitively)``.
Target = Tuple[str, str, str, Optional[int], Optional[Mapping[str, Any]], bool]
#: ``(instance, args, kwargs) -> Target``.
Describe = Callable[[Any, Tuple[Any, ...], Dict[str, Any]], Target]
#: ``(instance, args, kwargs, headers to add) -> (args, kwargs)`` for the library's call.
Rebuild = Callable[[Any, Tuple[Any, ...], Dict[str, Any], Dict[str, str]],
                   Tuple[Tuple[Any, ...], Dict[str, Any]]]
#: The status code of what the library's call returned, or of the exception it raised.
Status = Callable[[Any], Any]


def _begin(
    tracer: opentracing.Tracer,
    component: str,
    enclosing: Optional[Request],
    describe: Describe,
    rebuild: Rebuild,
    instance: Any,
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
) -> Tuple[Optional[Request], Tuple[Any, ...], Dict[str, Any]]:
    """Start the span and build the call carrying its headers; a failure of ours is
    reported and gives ``(None, args, kwargs)``: the call runs untraced."""
    request: Optional[Request] = None
    try:
        method, url, host, port, existing, case_insensitive = describe(instance, args, kwargs)
        request = start(tracer, component, method, url, host, port, enclosing)
        if request is None:
            return None, args, kwargs
        add = headers_to_set(tracer, request, existing, enclosing, case_insensitive)
        if add:
            args, kwargs = rebuild(instance, args, kwargs, add)
        return request, args, kwargs
    except Exception as exc:
        report_tracer_error("%s instrumentation" % component, exc)
        if request is not None:
            finish_span(request.span)
        return None, args, kwargs


def call(
    tracer: Callable[[], opentracing.Tracer],
    component: str,
    describe: Describe,
    rebuild: Rebuild,
    status: Status,
    wrapped: Callable[..., Any],
    instance: Any,
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
    error_status: Optional[Status] = None,
) -> Any:
    """Run one request of a library (its ``wrapped`` call) inside a client span, applying
    the layering rule of this module; the library's result or exception comes back as is."""
    if is_suppressed():
        return wrapped(*args, **kwargs)
    enclosing = _CURRENT.get()
    if enclosing is not None and enclosing.component != component:
        return wrapped(*args, **kwargs)
    request, args, kwargs = _begin(
        tracer(), component, enclosing, describe, rebuild, instance, args, kwargs
    )
    if request is None:
        return wrapped(*args, **kwargs)
    token = _CURRENT.set(request)
    try:
        response = wrapped(*args, **kwargs)
    except BaseException as exc:
        _CURRENT.reset(token)
        fail(request, exc, _status_of(error_status, exc))
        raise
    _CURRENT.reset(token)
    finish(request, _status_of(status, response))
    return response


async def call_async(
    tracer: Callable[[], opentracing.Tracer],
    component: str,
    describe: Describe,
    rebuild: Rebuild,
    status: Status,
    wrapped: Callable[..., Awaitable[Any]],
    instance: Any,
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
    error_status: Optional[Status] = None,
) -> Any:
    """:func:`call` for a coroutine function: the span ends when its coroutine returns."""
    if is_suppressed():
        return await wrapped(*args, **kwargs)
    enclosing = _CURRENT.get()
    if enclosing is not None and enclosing.component != component:
        return await wrapped(*args, **kwargs)
    request, args, kwargs = _begin(
        tracer(), component, enclosing, describe, rebuild, instance, args, kwargs
    )
    if request is None:
        return await wrapped(*args, **kwargs)
    token = _CURRENT.set(request)
    try:
        response = await wrapped(*args, **kwargs)
    except BaseException as exc:
        _CURRENT.reset(token)
        fail(request, exc, _status_of(error_status, exc))
        raise
    _CURRENT.reset(token)
    finish(request, _status_of(status, response))
    return response


def _status_of(status: Optional[Status], value: Any) -> Any:
    if status is None:
        return None
    try:
        return status(value)
    except Exception as exc:
        report_tracer_error("reading an HTTP status", exc)
        return None
