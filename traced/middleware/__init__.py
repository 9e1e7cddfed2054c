"""Inbound requests as server spans: WSGI and ASGI middleware.

:mod:`traced.middleware.wsgi` and :mod:`traced.middleware.asgi` each hold a
``TracingMiddleware`` that wraps an application (no framework is imported by either):
every request becomes a ``span.kind=server`` span, a child of the caller's context, named
after its route when the framework gives one, tagged with the standard HTTP tags and its
status, and active while the application handles it and streams its response.

:func:`set_route` names a request's span from a framework the middleware cannot read by
itself. See ``docs/middleware.rst``.
"""

from ._request import set_route

__all__ = ["set_route"]
