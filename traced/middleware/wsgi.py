"""WSGI middleware: a server span for every request, from the call to the last byte sent.

``TracingMiddleware(app)`` wraps any WSGI application (Flask, Django, Pyramid, Bottle, a
plain function)::

    from traced.middleware.wsgi import TracingMiddleware
    app.wsgi_app = TracingMiddleware(app.wsgi_app)          # Flask

Each request gets a ``span.kind=server`` span, a child of the context the caller sent
(``traceparent`` or whatever codecs the tracer is configured with), tagged ``component``,
``http.method``, ``http.url`` (rebuilt from the environ, without any user information),
``peer.ipv4``/``peer.ipv6``/``peer.hostname`` and ``peer.port`` (``REMOTE_ADDR`` and
``REMOTE_PORT``), and ``http.status_code`` from ``start_response``. A 5xx status is an
error, a 4xx is not; an exception from the application is recorded as an error and
re-raised as it was.

The span is named ``HTTP GET`` until the request is routed. Flask (any werkzeug-based
framework that leaves its request in ``environ["werkzeug.request"]`` with a ``url_rule``)
is named by its URL rule, ``GET /users/<int:user_id>``, with no configuration; any other
framework names it with :func:`traced.middleware.set_route` from its routing hook.

The span is active while the application runs and again whenever the server pulls a
chunk of the response, so that spans started by a streamed body nest under it; it ends
when the server closes the response (as PEP 3333 requires it to, also when the client
went away or the body raised), exactly once. A response the server closes before reading
it to the end gets a ``response closed early`` log event. Wrapping the response hides a
``wsgi.file_wrapper`` from the server's sendfile fast path.

The tracer is the one given, else ``opentracing.global_tracer()`` read on each request (so
the middleware may be set up before :func:`traced.init`). A tracer that fails is logged
once and never breaks a request.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple
from urllib.parse import quote

import opentracing
from opentracing import tags

from .._core import NOOP_TRACER, GeneratorScope
from .._report import report_tracer_error
from ._request import REQUEST_KEY, ServerRequest, method_verb, peer_tags, start_request

__all__ = ["TracingMiddleware"]

Environ = Dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_SAFE_PATH = "/:@!$&'()*+,;="


class TracingMiddleware:
    """Wraps the WSGI application ``app`` so that every request is a server span.

    :param tracer: the tracer to record with (default: the global tracer at each request).
    :param component: the ``component`` tag (default ``"wsgi"``; ``"flask"``, ...).
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        tracer: Optional[opentracing.Tracer] = None,
        component: str = "wsgi",
    ) -> None:
        self.app = app
        self._tracer = tracer
        self._component = component

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        tracer = self._tracer if self._tracer is not None else opentracing.global_tracer()
        if tracer.__class__ is NOOP_TRACER:
            return self.app(environ, start_response)
        request = _start(tracer, environ, self._component)
        if request is None:
            return self.app(environ, start_response)
        activation = _activation(tracer, request)

        def traced_start_response(
            status: str, headers: List[Tuple[str, str]], exc_info: Any = None
        ) -> Any:
            _on_start_response(request, environ, status)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        environ[REQUEST_KEY] = request
        if activation is not None:
            activation.enter()
        try:
            result = self.app(environ, traced_start_response)
        except BaseException as exc:
            request.record_error(exc)
            if activation is not None:
                activation.leave()
            request.finish()
            raise
        if activation is not None:
            activation.leave()
        body = _SizedBody if hasattr(result, "__len__") else _Body
        return body(result, request, activation)


def _start(tracer: opentracing.Tracer, environ: Environ, component: str) -> Optional[ServerRequest]:
    try:
        method = str(environ.get("REQUEST_METHOD") or "GET")
        verb = method_verb(method)
        start_tags: Dict[str, Any] = {
            tags.SPAN_KIND: tags.SPAN_KIND_RPC_SERVER,
            tags.COMPONENT: component,
            tags.HTTP_METHOD: method,
            tags.HTTP_URL: request_url(environ),
        }
        peer_tags(start_tags, environ.get("REMOTE_ADDR"), environ.get("REMOTE_PORT"))
    except Exception as exc:  # an environ no server should send
        report_tracer_error("reading the WSGI environ", exc)
        return None
    return start_request(tracer, environ, lambda: _headers(environ), verb, "HTTP " + verb, start_tags)


def _activation(tracer: opentracing.Tracer, request: ServerRequest) -> Optional[GeneratorScope]:
    try:
        return GeneratorScope(tracer.scope_manager, request.span)
    except Exception as exc:
        report_tracer_error("Tracer.scope_manager", exc)
        return None


def _on_start_response(request: ServerRequest, environ: Environ, status: str) -> None:
    try:
        request.set_status(int(status.split(None, 1)[0]))
    except (AttributeError, ValueError, IndexError):
        pass  # not "200 OK": the server will refuse it, not us
    if not request.named:
        rule = getattr(getattr(environ.get("werkzeug.request"), "url_rule", None), "rule", None)
        if isinstance(rule, str):
            request.set_route(rule)


def request_url(environ: Environ) -> str:
    """The URL of the request, rebuilt from the environ as PEP 3333 describes, without any
    user information the ``Host`` header might carry."""
    scheme = environ.get("wsgi.url_scheme") or "http"
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME") or ""
        port = str(environ.get("SERVER_PORT") or "")
        if port and port != ("443" if scheme == "https" else "80"):
            host += ":" + port
    host = host.rpartition("@")[2]
    path = (environ.get("SCRIPT_NAME") or "") + (environ.get("PATH_INFO") or "")
    url = "%s://%s%s" % (scheme, host, quote(path.encode("latin-1", "replace"), _SAFE_PATH))
    query = environ.get("QUERY_STRING")
    return url + "?" + query if query else url


def _headers(environ: Environ) -> Dict[str, str]:
    """The request headers of ``environ`` by lowercase name, for tracers that want a dict."""
    found = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            found[key.replace("_", "-").lower()] = environ[key]
    return found


class _Body:
    """The application's response, pulled chunk by chunk with the server span active, and
    the span finished when the server closes it."""

    __slots__ = ("_result", "_iterator", "_request", "_activation", "_closed", "_ended")

    def __init__(
        self, result: Iterable[bytes], request: ServerRequest, activation: Optional[GeneratorScope]
    ) -> None:
        self._result = result
        self._iterator: Optional[Iterator[bytes]] = None
        self._request = request
        self._activation = activation
        self._closed = False
        self._ended = False

    def __iter__(self) -> "_Body":
        return self

    def __next__(self) -> bytes:
        activation = self._activation
        if activation is not None:
            activation.enter()
        try:
            if self._iterator is None:
                self._iterator = iter(self._result)
            return next(self._iterator)
        except StopIteration:
            self._ended = True
            raise
        except BaseException as exc:
            self._ended = True
            self._request.record_error(exc)
            raise
        finally:
            if activation is not None:
                activation.leave()

    def close(self) -> None:
        """Close the application's response (its own ``close``, with the span active), then
        finish the span; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        request = self._request
        if not self._ended:
            request.log({"event": "response closed early"})
        activation = self._activation
        if activation is not None:
            activation.enter()
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        except BaseException as exc:
            request.record_error(exc)
            raise
        finally:
            if activation is not None:
                activation.leave()
            request.finish()


class _SizedBody(_Body):
    """A response that knows its length (a list of chunks): servers use ``len()`` to set
    ``Content-Length`` for a one-chunk body."""

    __slots__ = ()

    def __len__(self) -> int:
        return len(self._result)  # type: ignore[arg-type]
