"""Client spans for the standard library's ``sqlite3``: one span per statement.

``sqlite3.connect`` is wrapped: while instrumented it makes its connection from a traced
subclass of the connection class asked for (``sqlite3.Connection``, or the ``factory``
given), whose cursors are traced subclasses of their cursor class. So the connection and
its cursors are real ``sqlite3`` objects (``isinstance``, ``backup()``, context managers and
iteration behave as before) and ``execute``, ``executemany`` and ``executescript`` of the
cursors and of the connection's shortcuts, ``commit`` and ``rollback`` each make a span
(see :mod:`traced.integrations._dbapi` for its name and tags; ``db.instance`` is the
database file name, ``":memory:"`` for an in-memory one).

Not covered: connections made before :func:`instrument` (hand them to
:func:`traced.integrations.dbapi.instrument_connection`), and ``sqlite3.connect`` imported
by name (``from sqlite3 import connect``) before it. Connections made while instrumented stop
making spans once uninstrumented.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional, Tuple, Type

from opentracing import Tracer

from .._suppress import is_suppressed
from .._report import report_tracer_error
from ..patching import Integration
from . import _dbapi

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_COMPONENT = "sqlite3"
# Position of ``factory`` among sqlite3.connect's positional parameters.
_FACTORY_POSITION = 5


class _Options:
    """What :func:`instrument` was asked for beyond the tracer."""

    record_parameters = False


_options = _Options()
# Traced subclass of each connection and cursor class seen, made once.
_subclasses: Dict[type, type] = {}


def _tracing() -> Optional[Tracer]:
    """The tracer to use now, or None when this call must not be traced."""
    if is_suppressed() or not _integration.is_instrumented():
        return None
    return _integration.tracer


def _traced(connection: Any, statement: Any, parameters: Any, call: Any,
            args: Tuple[Any, ...]) -> Any:
    tracer = _tracing()
    if tracer is None:
        return call(*args)
    return _dbapi.trace_call(tracer, lambda: _tags_of(connection), statement, parameters,
                             _options.record_parameters, None, call, args, {})


def _tags_of(connection: Any) -> Mapping[str, Any]:
    tags: Optional[Mapping[str, Any]] = getattr(connection, "_traced_tags", None)
    return tags if tags is not None else _dbapi.base_tags(_COMPONENT)


def _cursor_class(base: Any) -> Any:
    """The traced subclass of the cursor class ``base`` (a factory that is not a
    ``sqlite3.Cursor`` class is used as it is)."""
    import sqlite3

    return _dbapi.traced_subclass(base, sqlite3.Cursor, _subclasses, _make_cursor_class)


def _make_cursor_class(base: Type[Any]) -> Type[Any]:
    class Cursor(base):  # type: ignore[misc,valid-type]
        _traced_class = True

        def execute(self, *args: Any) -> Any:
            return _traced(self.connection, args[0] if args else None,
                           args[1] if len(args) > 1 else None, super().execute, args)

        def executemany(self, *args: Any) -> Any:
            return _traced(self.connection, args[0] if args else None, None,
                           super().executemany, args)

        def executescript(self, *args: Any) -> Any:
            return _traced(self.connection, args[0] if args else None, None,
                           super().executescript, args)

    return Cursor



def _connection_class(base: Type[Any]) -> Type[Any]:
    """The traced subclass of the connection class ``base``."""
    found = _subclasses.get(base)
    if found is not None:
        return found

    class Connection(base):  # type: ignore[misc,valid-type]
        _traced_class = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            database = args[0] if args else kwargs.get("database", "")
            try:
                name = os.fsdecode(database)
            except TypeError:
                name = str(database)
            self._traced_tags = _dbapi.base_tags(_COMPONENT, instance=name)

        def cursor(self, *args: Any, **kwargs: Any) -> Any:
            import sqlite3

            if args:
                args = (_cursor_class(args[0]),) + args[1:]
            else:
                kwargs["factory"] = _cursor_class(kwargs.get("factory", sqlite3.Cursor))
            return super().cursor(*args, **kwargs)

        def execute(self, *args: Any) -> Any:
            return self.cursor().execute(*args)

        def executemany(self, *args: Any) -> Any:
            return self.cursor().executemany(*args)

        def executescript(self, *args: Any) -> Any:
            return self.cursor().executescript(*args)

        def commit(self) -> None:
            _traced(self, "COMMIT", None, super().commit, ())

        def rollback(self) -> None:
            _traced(self, "ROLLBACK", None, super().rollback, ())

    _subclasses[base] = _dbapi.renamed(Connection, base)
    return Connection


def _connect(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    if is_suppressed():
        return wrapped(*args, **kwargs)
    try:
        import sqlite3

        if len(args) > _FACTORY_POSITION:
            factory = _connection_class(args[_FACTORY_POSITION])
            args = args[:_FACTORY_POSITION] + (factory,) + args[_FACTORY_POSITION + 1:]
        else:
            kwargs = dict(kwargs)
            kwargs["factory"] = _connection_class(kwargs.get("factory") or sqlite3.Connection)
    except Exception as exc:
        report_tracer_error("sqlite3.connect", exc)
    return wrapped(*args, **kwargs)


_integration = Integration(
    "sqlite3",
    module="sqlite3",
    patches=[("sqlite3:connect", _connect), ("sqlite3.dbapi2:connect", _connect)],
)


def instrument(tracer: Optional[Tracer] = None, *, record_parameters: bool = False) -> None:
    """Trace the statements of every ``sqlite3`` connection made from now on, with
    ``tracer`` (default: the global tracer at each statement). ``record_parameters=True``
    also records the parameter values of ``execute`` (tag ``db.parameters``)."""
    _options.record_parameters = record_parameters
    _integration.instrument(tracer)


def uninstrument() -> None:
    """Put ``sqlite3.connect`` back; connections made meanwhile stop making spans."""
    _integration.uninstrument()
    _options.record_parameters = False


is_instrumented = _integration.is_instrumented
