"""Client spans for PostgreSQL through ``psycopg2``: one span per statement.

``psycopg2.connect`` is wrapped: while instrumented it makes its connection from a traced
subclass of the connection class asked for (``connection_factory``, by default
``psycopg2.extensions.connection``). The connection is a real psycopg2 connection, so
``register_type``, ``extras`` helpers and ``isinstance`` keep working. Every cursor it makes
(plain, named server-side ones, and any ``cursor_factory`` such as ``extras.DictCursor``) is a
traced subclass of its class, whose ``execute``, ``executemany`` and ``callproc`` each make a
span; so do the connection's ``commit`` and ``rollback`` calls (not the commit of
``with conn:``, which psycopg2 does in C). Tags: ``db.instance`` the database name,
``db.user``, ``peer.hostname`` and ``peer.port`` from the connection's parameters (see
:mod:`traced.integrations._dbapi`).

The traced connection class is put between the requested class and psycopg2's own, so a
connection class of ``psycopg2.extras`` that picks its own cursor class still gets it, traced.
Not covered: connections made before :func:`instrument` (hand them to
:func:`traced.integrations.dbapi.instrument_connection`) or without ``psycopg2.connect``.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple, Type

from opentracing import Tracer

from .._report import report_tracer_error
from .._suppress import is_suppressed
from ..patching import Integration
from . import _dbapi

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_COMPONENT = "psycopg2"


class _Options:
    """What :func:`instrument` was asked for beyond the tracer."""

    record_parameters = False


_options = _Options()
# Traced class made for each connection or cursor class seen, made once.
_subclasses: Dict[type, type] = {}


def _traced(connection: Any, statement: Any, parameters: Any, call: Any,
            args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    if is_suppressed() or not _integration.is_instrumented():
        return call(*args, **kwargs)
    return _dbapi.trace_call(_integration.tracer, lambda: _tags_of(connection), statement,
                             parameters, _options.record_parameters, connection, call, args,
                             kwargs)


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


def _argument(args: Tuple[Any, ...], kwargs: Dict[str, Any], position: int, name: str) -> Any:
    return args[position] if len(args) > position else kwargs.get(name)


def _cursor_class(base: Any) -> Any:
    """The traced subclass of the cursor class ``base``."""
    import psycopg2.extensions  # type: ignore[import-untyped]

    return _dbapi.traced_subclass(base, psycopg2.extensions.cursor, _subclasses, _make_cursor_class)


def _make_cursor_class(base: Type[Any]) -> Type[Any]:
    class Cursor(base):  # type: ignore[misc,valid-type]
        _traced_class = True

        def execute(self, *args: Any, **kwargs: Any) -> Any:
            return _traced(self.connection, _argument(args, kwargs, 0, "query"),
                           _argument(args, kwargs, 1, "vars"), super().execute, args, kwargs)

        def executemany(self, *args: Any, **kwargs: Any) -> Any:
            return _traced(self.connection, _argument(args, kwargs, 0, "query"), None,
                           super().executemany, args, kwargs)

        def callproc(self, *args: Any, **kwargs: Any) -> Any:
            procedure = _argument(args, kwargs, 0, "procname")
            return _traced(self.connection, f"CALL {procedure}",
                           _argument(args, kwargs, 1, "parameters"), super().callproc, args,
                           kwargs)

    return Cursor



def _interceptor() -> Type[Any]:
    """The class put just above ``psycopg2.extensions.connection`` in a traced connection
    class: it sees the cursor class finally asked for, and commits and rollbacks."""
    found = _subclasses.get(type(None))
    if found is not None:
        return found
    import psycopg2.extensions  # type: ignore[import-untyped]

    base = psycopg2.extensions.connection

    class Connection(base):  # type: ignore[misc,valid-type]
        _traced_class = True

        def cursor(self, *args: Any, **kwargs: Any) -> Any:
            if len(args) > 1:
                args = (args[0], _cursor_class(args[1] or self.cursor_factory or base_cursor)) \
                    + args[2:]
            else:
                kwargs["cursor_factory"] = _cursor_class(
                    kwargs.get("cursor_factory") or self.cursor_factory or base_cursor)
            return super().cursor(*args, **kwargs)

        def commit(self) -> None:
            _traced(self, "COMMIT", None, super().commit, (), {})

        def rollback(self) -> None:
            _traced(self, "ROLLBACK", None, super().rollback, (), {})

    base_cursor = psycopg2.extensions.cursor
    _subclasses[type(None)] = _dbapi.renamed(Connection, base)
    return Connection


def _connection_class(base: Any) -> Any:
    """The traced class of connections of class ``base``: ``base`` with the interceptor
    under it (``base`` itself when it is not a psycopg2 connection class)."""
    import psycopg2.extensions  # type: ignore[import-untyped]

    interceptor = _interceptor()
    if base is None or base is psycopg2.extensions.connection:
        return interceptor
    if not (isinstance(base, type) and issubclass(base, psycopg2.extensions.connection)) \
            or issubclass(base, interceptor):
        return base
    found = _subclasses.get(base)
    if found is None:
        found = _subclasses[base] = _dbapi.renamed(type(base.__name__, (base, interceptor), {}), base)
    return found


def _connect(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    if is_suppressed():
        return wrapped(*args, **kwargs)
    try:
        if len(args) > 1:
            args = (args[0], _connection_class(args[1])) + args[2:]
        else:
            kwargs = dict(kwargs)
            kwargs["connection_factory"] = _connection_class(kwargs.get("connection_factory"))
    except Exception as exc:
        report_tracer_error("psycopg2.connect", exc)
    return wrapped(*args, **kwargs)


_integration = Integration(
    "psycopg2",
    module="psycopg2",
    min_version="2.8",
    max_version="3",
    patches=[("psycopg2:connect", _connect)],
)


def instrument(tracer: Optional[Tracer] = None, *, record_parameters: bool = False) -> None:
    """Trace the statements of every connection ``psycopg2.connect`` makes from now on, with
    ``tracer`` (default: the global tracer at each statement). ``record_parameters=True``
    also records the parameter values of ``execute`` and ``callproc`` (``db.parameters``)."""
    _options.record_parameters = record_parameters
    _integration.instrument(tracer)


def uninstrument() -> None:
    """Put ``psycopg2.connect`` back; connections made meanwhile stop making spans."""
    _integration.uninstrument()
    _options.record_parameters = False


is_instrumented = _integration.is_instrumented
