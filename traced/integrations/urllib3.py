"""Outbound HTTP spans for ``urllib3``: one client span per ``HTTPConnectionPool.urlopen``.

Wrapped on the class, so every pool is covered (``PoolManager`` and ``ProxyManager`` send
through pools), whenever it was created. The span ends when ``urlopen`` returns: after the
body with ``preload_content=True`` (the default), at the response headers otherwise. A
retry or a redirect that the pool follows itself is a nested ``urlopen``, so each attempt
gets its own span, a child of the first; ``PoolManager`` follows redirects with sibling
calls, one span each. The headers sent are a copy of the caller's (or of the pool's
defaults when none are given) with the propagation headers added; ``http.client`` below
adds no span (see :mod:`traced.integrations._http`).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Tuple

from ..patching import Integration
from . import _http

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_COMPONENT = "urllib3"


def _headers_arg(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    headers = args[3] if len(args) > 3 else kwargs.get("headers")
    return instance.headers if headers is None else headers


def _describe(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> _http.Target:
    method = args[0] if args else kwargs["method"]
    target = args[1] if len(args) > 1 else kwargs["url"]
    host, port = instance.host, instance.port
    url = _http.join_url(instance.scheme, host, port, target)
    if "://" in target:  # an absolute URL (through a proxy): the peer is the origin
        _, host, port = _http.split_url(target)
    elif port is None:
        port = 443 if instance.scheme == "https" else 80
    headers = _headers_arg(instance, args, kwargs)
    return method, url, host, port, headers, type(headers) is not dict


def _rebuild(instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any],
             add: Dict[str, str]) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
    headers: Mapping[str, Any] = _headers_arg(instance, args, kwargs)
    if type(headers) is dict:
        merged: Any = {**headers, **add}
    else:
        merged = headers.copy() if hasattr(headers, "copy") else dict(headers)
        for name, value in add.items():
            merged[name] = value
    if len(args) > 3:
        return (*args[:3], merged, *args[4:]), kwargs
    return args, {**kwargs, "headers": merged}


def _status(response: Any) -> Any:
    return response.status


def _urlopen(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    return _http.call(_tracer, _COMPONENT, _describe, _rebuild, _status,
                      wrapped, instance, args, kwargs)


_integration = Integration(
    "urllib3",
    module="urllib3",
    distribution="urllib3",
    min_version="1.26",
    max_version="3",
    patches=[("urllib3.connectionpool:HTTPConnectionPool.urlopen", _urlopen)],
)


def _tracer() -> Any:
    return _integration.tracer


instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented
