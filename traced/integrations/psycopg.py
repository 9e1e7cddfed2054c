"""Client spans for PostgreSQL through ``psycopg`` (version 3), sync and asyncio.

The methods are wrapped on psycopg's classes, so every connection is covered, including
connections made before :func:`instrument` and subclasses that do not override them:
``execute`` and ``executemany`` of ``Cursor`` and ``AsyncCursor`` (so also of client-side
and raw cursors, and of ``Connection.execute``, which goes through a cursor), ``execute``
of the server-side ``ServerCursor`` and ``AsyncServerCursor``, and ``commit``/``rollback``
of ``Connection`` and ``AsyncConnection`` (also those of ``with conn:``). Each call is one
span (see :mod:`traced.integrations._dbapi`); ``db.instance``, ``db.user``,
``peer.hostname`` and ``peer.port`` come from the connection's ``info``. A composed query
(``psycopg.sql``) is recorded as its rendered text. ``Cursor.stream`` and ``copy`` are not
traced.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from opentracing import Tracer

from .._suppress import is_suppressed
from ..patching import Integration
from . import _dbapi

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_COMPONENT = "psycopg"


class _Options:
    """What :func:`instrument` was asked for beyond the tracer."""

    record_parameters = False


_options = _Options()


def _tags_of(connection: Any) -> Mapping[str, Any]:
    tags: Optional[Mapping[str, Any]] = getattr(connection, "_traced_tags", None)
    if tags is None:
        info = connection.info
        tags = _dbapi.base_tags(_COMPONENT, info.dbname, info.user, info.host, info.port)
        try:
            connection._traced_tags = tags
        except AttributeError:
            pass
    return tags


def _statement(args: Tuple[Any, ...], kwargs: Dict[str, Any], record: bool) -> Tuple[Any, Any]:
    query = args[0] if args else kwargs.get("query")
    params = (args[1] if len(args) > 1 else kwargs.get("params")) if record else None
    return query, params


def _cursor_call(record: bool) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        if is_suppressed():
            return wrapped(*args, **kwargs)
        query, params = _statement(args, kwargs, record)
        connection = instance.connection
        return _dbapi.trace_call(_integration.tracer, lambda: _tags_of(connection), query,
                                 params, _options.record_parameters, connection, wrapped, args,
                                 kwargs)

    return wrapper


def _async_cursor_call(record: bool) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        if is_suppressed():
            return wrapped(*args, **kwargs)
        query, params = _statement(args, kwargs, record)
        connection = instance.connection
        return _dbapi.trace_call_async(_integration.tracer, lambda: _tags_of(connection),
                                       query, params, _options.record_parameters, connection,
                                       wrapped, args, kwargs)

    return wrapper


def _transaction_end(statement: str, asynchronous: bool) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        if is_suppressed():
            return wrapped(*args, **kwargs)
        trace = _dbapi.trace_call_async if asynchronous else _dbapi.trace_call
        return trace(_integration.tracer, lambda: _tags_of(instance), statement, None, False,
                     instance, wrapped, args, kwargs)

    return wrapper


_integration = Integration(
    "psycopg",
    module="psycopg",
    distribution="psycopg",
    min_version="3.1",
    max_version="4",
    patches=[
        ("psycopg.cursor:Cursor.execute", _cursor_call(True)),
        ("psycopg.cursor:Cursor.executemany", _cursor_call(False)),
        # by their public names: their module was renamed (server_cursor, later _server_cursor)
        ("psycopg:ServerCursor.execute", _cursor_call(True)),
        ("psycopg.connection:Connection.commit", _transaction_end("COMMIT", False)),
        ("psycopg.connection:Connection.rollback", _transaction_end("ROLLBACK", False)),
        ("psycopg.cursor_async:AsyncCursor.execute", _async_cursor_call(True)),
        ("psycopg.cursor_async:AsyncCursor.executemany", _async_cursor_call(False)),
        ("psycopg:AsyncServerCursor.execute", _async_cursor_call(True)),
        ("psycopg.connection_async:AsyncConnection.commit", _transaction_end("COMMIT", True)),
        ("psycopg.connection_async:AsyncConnection.rollback",
         _transaction_end("ROLLBACK", True)),
    ],
)


def instrument(tracer: Optional[Tracer] = None, *, record_parameters: bool = False) -> None:
    """Trace psycopg's statements, commits and rollbacks with ``tracer`` (default: the
    global tracer at each call). ``record_parameters=True`` also records the parameter
    values of ``execute`` (tag ``db.parameters``)."""
    _options.record_parameters = record_parameters
    _integration.instrument(tracer)


def uninstrument() -> None:
    """Put psycopg's original methods back."""
    _integration.uninstrument()
    _options.record_parameters = False


is_instrumented = _integration.is_instrumented
