"""ASGI middleware: a server span for every HTTP request and every WebSocket connection.

``TracingMiddleware(app)`` wraps any ASGI 3 application (Starlette, FastAPI, Quart, ...);
wrapping the whole application, outside the framework's own error handling, lets the
span see the 500 response the framework sends for an unhandled exception::

    from traced.middleware.asgi import TracingMiddleware
    app = TracingMiddleware(Starlette(routes=...))

An HTTP request's span is a child of the context the caller sent (the tracer's codecs
read ``scope["headers"]``), tagged ``span.kind=server``, ``component``, ``http.method``,
``http.url`` (rebuilt from the scope, without user information), ``peer.ipv4``/
``peer.ipv6``/``peer.hostname`` and ``peer.port`` (``scope["client"]``), and
``http.status_code`` from ``http.response.start``. A 5xx status is an error, a 4xx is not;
an exception from the application is recorded as an error and re-raised as it was (a
cancellation is tagged ``cancelled``, not an error).

The span is named ``HTTP GET`` until the request is routed: when the response starts, a
route the framework recorded in ``scope["route"]`` (Starlette and FastAPI do; its
``path``, with the prefix of any ``Mount`` it is under) names it ``GET /users/{id}``.
Other frameworks can name it with :func:`traced.middleware.set_route`.

The span is active in the application's task from the first message to its return, so a
streamed body (every ``http.response.body`` the application sends) and every task the
handler starts nest under it with the ``contextvars`` scope manager (the default).

A WebSocket connection is one span, ``WebSocket`` or ``WebSocket /ws/{room}``, from the
handshake until the application returns (after the client's disconnect or its own
close); it records ``http.status_code`` 101 when accepted, 403 when refused (or the
status of a denial response), and the close code as ``websocket.close_code``. Lifespan
and any other scope type pass through untouched.

The tracer is the one given, else ``opentracing.global_tracer()`` read on each
connection. A tracer that fails is logged once and never breaks a request.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional, Tuple

import opentracing
from opentracing import Scope, tags

from .._core import NOOP_TRACER, close_scope
from .._report import report_tracer_error
from ._request import REQUEST_KEY, ServerRequest, method_verb, peer_tags, start_request

__all__ = ["TracingMiddleware"]

ASGIScope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[ASGIScope, Receive, Send], Awaitable[None]]

_TRACED_TYPES = ("http", "websocket")
_SAFE_PATH = "/:@!$&'()*+,;="


class TracingMiddleware:
    """Wraps the ASGI application ``app`` so that every HTTP request and WebSocket
    connection is a server span.

    :param tracer: the tracer to record with (default: the global tracer at each request).
    :param component: the ``component`` tag (default ``"asgi"``; ``"starlette"``, ...).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        tracer: Optional[opentracing.Tracer] = None,
        component: str = "asgi",
    ) -> None:
        self.app = app
        self._tracer = tracer
        self._component = component

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind not in _TRACED_TYPES:
            return await self.app(scope, receive, send)
        tracer = self._tracer if self._tracer is not None else opentracing.global_tracer()
        if tracer.__class__ is NOOP_TRACER:
            return await self.app(scope, receive, send)
        request = _start(tracer, scope, self._component)
        if request is None:
            return await self.app(scope, receive, send)
        if kind == "http":
            connection: Any = _HTTPConnection(request, scope, receive, send)
        else:
            connection = _WebSocketConnection(request, scope, receive, send)
        scope[REQUEST_KEY] = request
        active = _activate(tracer, request)
        try:
            await self.app(scope, connection.receive, connection.send)
        except BaseException as exc:
            request.record_error(exc)
            raise
        finally:
            if not request.named:
                _name_by_route(request, scope)
            if active is not None:
                close_scope(active)
            request.finish()


def _start(tracer: opentracing.Tracer, scope: ASGIScope, component: str) -> Optional[ServerRequest]:
    try:
        raw_headers = scope.get("headers") or []
        start_tags: Dict[str, Any] = {
            tags.SPAN_KIND: tags.SPAN_KIND_RPC_SERVER,
            tags.COMPONENT: component,
        }
        if scope["type"] == "http":
            method = str(scope.get("method") or "GET")
            verb = method_verb(method)
            default_name = "HTTP " + verb
            start_tags[tags.HTTP_METHOD] = method
        else:
            verb = default_name = "WebSocket"
        start_tags[tags.HTTP_URL] = request_url(scope)
        client = scope.get("client")
        if client:
            peer_tags(start_tags, client[0], client[1])
    except Exception as exc:  # a scope no server should send
        report_tracer_error("reading the ASGI scope", exc)
        return None
    return start_request(
        tracer, raw_headers, lambda: _headers(raw_headers), verb, default_name, start_tags
    )


def _activate(tracer: opentracing.Tracer, request: ServerRequest) -> Optional[Scope]:
    try:
        return tracer.scope_manager.activate(request.span, False)
    except Exception as exc:
        report_tracer_error("ScopeManager.activate", exc)
        return None


def _name_by_route(request: ServerRequest, scope: ASGIScope) -> None:
    """Name the span after the endpoint route in ``scope["route"]``, if there is one."""
    route = scope.get("route")
    if route is None:
        return
    if isinstance(route, str):
        request.set_route(route)
        return
    path = getattr(route, "path", None)
    if not isinstance(path, str) or hasattr(route, "routes"):
        return  # a Mount or Host left there by a router that then found no endpoint
    root_path = scope.get("root_path") or ""
    app_root_path = scope.get("app_root_path")
    mounted = ""
    if isinstance(app_root_path, str) and root_path.startswith(app_root_path):
        mounted = root_path[len(app_root_path):]
    request.set_route(mounted + path)


def request_url(scope: ASGIScope) -> str:
    """The URL of the request, rebuilt from the scope, without user information."""
    default_scheme = "http" if scope.get("type") == "http" else "ws"
    scheme = scope.get("scheme") or default_scheme
    host = ""
    for name, value in scope.get("headers") or ():
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host and scope.get("server"):
        server_host, port = scope["server"][0], scope["server"][1]
        host = str(server_host)
        if port is not None and port != (443 if scheme in ("https", "wss") else 80):
            host = "%s:%s" % (host, port)
    host = host.rpartition("@")[2]
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes):
        path = raw_path.decode("latin-1")
    else:
        path = quote_path(str(scope.get("path") or ""))
    url = "%s://%s%s" % (scheme, host, path)
    query = scope.get("query_string")
    if query:
        url += "?" + (query.decode("latin-1") if isinstance(query, bytes) else str(query))
    return url


def quote_path(path: str) -> str:
    """``path`` percent-encoded as it would travel (UTF-8)."""
    from urllib.parse import quote

    return quote(path, _SAFE_PATH)


def _headers(raw_headers: List[Tuple[bytes, bytes]]) -> Dict[str, str]:
    """The request headers by lowercase name, for tracers that want a dict."""
    found: Dict[str, str] = {}
    for name, value in raw_headers:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        found[key] = found[key] + "," + text if key in found else text
    return found


class _HTTPConnection:
    """Watches the application's messages for the response status (what it receives
    goes to it untouched)."""

    __slots__ = ("_request", "_scope", "_send", "receive")

    def __init__(self, request: ServerRequest, scope: ASGIScope, receive: Receive, send: Send) -> None:
        self._request = request
        self._scope = scope
        self.receive = receive
        self._send = send

    async def send(self, message: Message) -> None:
        if message.get("type") == "http.response.start":
            self._response_started(message)
        await self._send(message)

    def _response_started(self, message: Message) -> None:
        request = self._request
        try:
            request.set_status(int(message["status"]))
        except (KeyError, TypeError, ValueError):
            pass  # the server will refuse the message, not us
        if not request.named:
            _name_by_route(request, self._scope)


class _WebSocketConnection:
    """Watches a WebSocket's messages both ways for the handshake's outcome and the close
    code."""

    __slots__ = ("_request", "_scope", "_receive", "_send", "_accepted")

    def __init__(self, request: ServerRequest, scope: ASGIScope, receive: Receive, send: Send) -> None:
        self._request = request
        self._scope = scope
        self._receive = receive
        self._send = send
        self._accepted = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message.get("type") == "websocket.disconnect":
            self._request.set_tag("websocket.close_code", message.get("code", 1005))
        return message

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        request = self._request
        if kind == "websocket.accept":
            self._accepted = True
            request.set_status(101)
            if not request.named:
                _name_by_route(request, self._scope)
        elif kind == "websocket.close":
            if self._accepted:
                request.set_tag("websocket.close_code", message.get("code", 1000))
            elif request.status is None:
                request.set_status(403)
        elif kind == "websocket.http.response.start":
            try:
                request.set_status(int(message["status"]))
            except (KeyError, TypeError, ValueError):
                pass
        await self._send(message)
