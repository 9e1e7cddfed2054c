"""Client spans for any DB-API 2 connection, on request: :func:`instrument_connection`
wraps one connection the application already has.

The result is a proxy (``wrapt.ObjectProxy``) that behaves as the connection does
(attributes, ``isinstance``, ``with conn:``) except that ``execute``, ``executemany`` and
``callproc`` of its cursors, the ``execute``/``executemany``/``executescript`` shortcuts some
drivers have on the connection, and ``commit``/``rollback`` each make a span (see
:mod:`traced.integrations._dbapi` for its name and tags). Cursors it hands out are proxies
too, so ``with conn.cursor() as cur:`` and iterating a cursor work as before. The original
connection is not changed: keep using it, or the proxy's ``__wrapped__``, for untraced work.
Code of the driver that insists on its own connection type (rather than ``isinstance``) needs
``__wrapped__``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import wrapt
from opentracing import Tracer

import opentracing

from .._suppress import is_suppressed
from . import _dbapi

__all__ = ["TracedConnection", "TracedCursor", "instrument_connection"]

_STATEMENT_NAMES = ("operation", "query", "sql", "statement", "procname")
_PARAMETER_NAMES = ("parameters", "params", "vars", "args", "seq_of_parameters")


class _Settings:
    """What one instrumented connection traces with."""

    __slots__ = ("tags", "tracer", "record_parameters")

    def __init__(self, tags: Mapping[str, Any], tracer: Optional[Tracer],
                 record_parameters: bool) -> None:
        self.tags = tags
        self.tracer = tracer
        self.record_parameters = record_parameters

    def run(self, connection: Any, statement: Any, parameters: Any, call: Callable[..., Any],
            args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        if is_suppressed():
            return call(*args, **kwargs)
        tracer = self.tracer or opentracing.tracer
        return _dbapi.trace_call(tracer, lambda: self.tags, statement, parameters,
                                 self.record_parameters, connection, call, args, kwargs)


def _argument(args: Tuple[Any, ...], kwargs: Dict[str, Any], position: int,
              names: Tuple[str, ...]) -> Any:
    if len(args) > position:
        return args[position]
    for name in names:
        if name in kwargs:
            return kwargs[name]
    return None


class TracedCursor(wrapt.ObjectProxy[Any]):
    """A cursor whose statements make spans; anything else goes to the cursor."""

    def __init__(self, cursor: Any, settings: _Settings, connection: Any) -> None:
        super().__init__(cursor)
        self._self_settings = settings
        self._self_connection = connection

    def _self_run(self, name: str, record: bool, args: Tuple[Any, ...],
                  kwargs: Dict[str, Any]) -> Any:
        statement = _argument(args, kwargs, 0, _STATEMENT_NAMES)
        parameters = _argument(args, kwargs, 1, _PARAMETER_NAMES) if record else None
        result = self._self_settings.run(self._self_connection, statement, parameters,
                                         getattr(self.__wrapped__, name), args, kwargs)
        return self if result is self.__wrapped__ else result

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_run("execute", True, args, kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_run("executemany", False, args, kwargs)

    def executescript(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_run("executescript", False, args, kwargs)

    def callproc(self, *args: Any, **kwargs: Any) -> Any:
        procedure = _argument(args, kwargs, 0, _STATEMENT_NAMES)
        parameters = _argument(args, kwargs, 1, _PARAMETER_NAMES)
        return self._self_settings.run(self._self_connection, f"CALL {procedure}", parameters,
                                       self.__wrapped__.callproc, args, kwargs)

    def __enter__(self) -> Any:
        entered = self.__wrapped__.__enter__()
        return self if entered is self.__wrapped__ else entered

    def __exit__(self, *exc_info: Any) -> Any:
        return self.__wrapped__.__exit__(*exc_info)

    def __iter__(self) -> Any:
        iterator = iter(self.__wrapped__)
        return self if iterator is self.__wrapped__ else iterator

    def __next__(self) -> Any:
        return next(self.__wrapped__)


class TracedConnection(wrapt.ObjectProxy[Any]):
    """A connection whose cursors, shortcuts, commits and rollbacks make spans."""

    def __init__(self, connection: Any, settings: _Settings) -> None:
        super().__init__(connection)
        self._self_settings = settings

    def cursor(self, *args: Any, **kwargs: Any) -> TracedCursor:
        return TracedCursor(self.__wrapped__.cursor(*args, **kwargs), self._self_settings,
                            self.__wrapped__)

    def _self_shortcut(self, name: str, record: bool, args: Tuple[Any, ...],
                       kwargs: Dict[str, Any]) -> Any:
        statement = _argument(args, kwargs, 0, _STATEMENT_NAMES)
        parameters = _argument(args, kwargs, 1, _PARAMETER_NAMES) if record else None
        result = self._self_settings.run(self.__wrapped__, statement, parameters,
                                         getattr(self.__wrapped__, name), args, kwargs)
        return TracedCursor(result, self._self_settings, self.__wrapped__)

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_shortcut("execute", True, args, kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_shortcut("executemany", False, args, kwargs)

    def executescript(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_shortcut("executescript", False, args, kwargs)

    def commit(self) -> Any:
        return self._self_settings.run(self.__wrapped__, "COMMIT", None,
                                       self.__wrapped__.commit, (), {})

    def rollback(self) -> Any:
        return self._self_settings.run(self.__wrapped__, "ROLLBACK", None,
                                       self.__wrapped__.rollback, (), {})

    def __enter__(self) -> Any:
        entered = self.__wrapped__.__enter__()
        return self if entered is self.__wrapped__ else entered

    def __exit__(self, *exc_info: Any) -> Any:
        return self.__wrapped__.__exit__(*exc_info)


def instrument_connection(
    connection: Any,
    *,
    database_type: str = "sql",
    component: str = "dbapi",
    database: Optional[str] = None,
    user: Optional[str] = None,
    host: Optional[str] = None,
    port: Optional[int] = None,
    record_parameters: bool = False,
    tracer: Optional[Tracer] = None,
) -> TracedConnection:
    """A proxy of ``connection`` whose statements make client spans.

    The keyword arguments give the span tags the connection cannot tell in a standard way:
    ``db.type`` (``database_type``), ``component``, ``db.instance`` (``database``),
    ``db.user``, ``peer.hostname`` and ``peer.port``. ``record_parameters=True`` also
    records the parameter values of ``execute`` and ``callproc`` (tag ``db.parameters``).
    ``tracer`` defaults to the global tracer, read at each statement.
    """
    if isinstance(connection, TracedConnection):
        connection = connection.__wrapped__
    tags = _dbapi.base_tags(component, database, user, host, port, db_type=database_type)
    return TracedConnection(connection, _Settings(tags, tracer, record_parameters))
