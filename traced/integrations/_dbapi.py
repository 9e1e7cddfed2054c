"""What the SQL integrations share: the span of one statement (its name, its standard tags,
its error) and the proxies that trace a DB-API 2 connection handed over by the user.

A statement's span is a client span named by the statement's first keyword (``SELECT``,
``INSERT``, ``COMMIT``...) and tagged ``db.type`` ``sql``, ``db.instance``, ``db.user``,
``peer.hostname``, ``peer.port``, ``component`` and ``db.statement``: the SQL text as the
application wrote it, so without the values passed as parameters. Parameter values are
recorded (``db.parameters``, shortened) only when the integration was instrumented with
``record_parameters=True``: they may be personal data. Values the application wrote into the
SQL text itself are not removed.

The span is never made active (nothing runs inside a statement that could be its child), and
it is finished exactly once on every path; the driver's exception goes back to the caller
unchanged. A failure of the tracer is logged once and the statement runs untraced.
"""

from __future__ import annotations

import reprlib
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Tuple, Type

from opentracing import Span, Tracer
from opentracing import tags as ot_tags

from .._core import NOOP_TRACER
from .._report import report_tracer_error
from ._calls import call_in_span, call_in_span_async

__all__ = [
    "renamed",
    "traced_subclass",
    "PARAMETERS_TAG",
    "base_tags",
    "operation_name",
    "parameters_text",
    "start_statement_span",
    "statement_text",
    "trace_call",
    "trace_call_async",
]

#: Tag holding the parameter values of a statement, when recording them was asked for.
PARAMETERS_TAG = "db.parameters"

_SHORT = reprlib.Repr()
_SHORT.maxstring = 200
_SHORT.maxother = 200
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = 20
_SHORT.maxlevel = 2


def base_tags(component: str, instance: Any = None, user: Any = None, host: Any = None,
              port: Any = None, db_type: str = "sql") -> Dict[str, Any]:
    """The tags every span of one connection carries; values unknown (None or "") left out."""
    tags: Dict[str, Any] = {ot_tags.SPAN_KIND: ot_tags.SPAN_KIND_RPC_CLIENT,
                            ot_tags.COMPONENT: component, ot_tags.DATABASE_TYPE: db_type}
    for key, value in ((ot_tags.DATABASE_INSTANCE, instance), (ot_tags.DATABASE_USER, user),
                       (ot_tags.PEER_HOSTNAME, host)):
        if value is not None and value != "":
            tags[key] = str(value)
    if port is not None and port != "":
        try:
            tags[ot_tags.PEER_PORT] = int(port)
        except (TypeError, ValueError):
            pass
    return tags


def statement_text(statement: Any, connection: Any = None) -> str:
    """The SQL of ``statement`` as text: a str as is, bytes decoded, a composed query
    (psycopg's ``sql.Composed``) rendered for ``connection`` when it can be, else ``str()``."""
    if type(statement) is str:
        return statement
    if isinstance(statement, (bytes, bytearray, memoryview)):
        return bytes(statement).decode("utf-8", "replace")
    as_string = getattr(statement, "as_string", None)
    if as_string is not None:
        try:
            return str(as_string(connection))
        except Exception:
            pass
    return str(statement)


def operation_name(sql: str) -> str:
    """The span name of a statement: its first keyword in capitals (leading comments and
    brackets skipped), or ``"query"`` when it has none."""
    text = sql.lstrip()
    while text.startswith(("--", "/*", "(")):
        if text.startswith("--"):
            _, _, text = text.partition("\n")
        elif text.startswith("/*"):
            _, _, text = text.partition("*/")
        else:
            text = text[1:]
        text = text.lstrip()
    end = 0
    for char in text[:32]:
        if not (char.isalpha() or char == "_"):
            break
        end += 1
    return text[:end].upper() if end else "query"


def parameters_text(parameters: Any) -> str:
    """A short text of the parameter values (long values and collections cut)."""
    return _SHORT.repr(parameters)


def start_statement_span(tracer: Tracer, tags: Mapping[str, Any], sql: str,
                         parameters: Any = None, record_parameters: bool = False) -> Span:
    """Start (not activate) the span of ``sql``, a child of the active span."""
    span_tags = dict(tags)
    span_tags[ot_tags.DATABASE_STATEMENT] = sql
    if record_parameters and parameters is not None:
        span_tags[PARAMETERS_TAG] = parameters_text(parameters)
    return tracer.start_span(operation_name(sql), tags=span_tags)


def trace_call(tracer: Tracer, tags: Callable[[], Mapping[str, Any]], statement: Any,
               parameters: Any, record_parameters: bool, connection: Any,
               call: Callable[..., Any], args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """``call(*args, **kwargs)`` inside the span of ``statement``; ``tags()`` gives the
    connection's tags (called only when a span is made)."""
    if type(tracer) is NOOP_TRACER:
        return call(*args, **kwargs)
    try:
        span = start_statement_span(tracer, tags(), statement_text(statement, connection),
                                    parameters, record_parameters)
    except Exception as exc:
        report_tracer_error("starting a database span", exc)
        return call(*args, **kwargs)
    return call_in_span(span, call, args, kwargs)


async def trace_call_async(tracer: Tracer, tags: Callable[[], Mapping[str, Any]],
                           statement: Any, parameters: Any, record_parameters: bool,
                           connection: Any, call: Callable[..., Awaitable[Any]],
                           args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """:func:`trace_call` for a coroutine function; a cancellation is tagged, not an error."""
    if type(tracer) is NOOP_TRACER:
        return await call(*args, **kwargs)
    try:
        span: Optional[Span] = start_statement_span(
            tracer, tags(), statement_text(statement, connection), parameters,
            record_parameters)
    except Exception as exc:
        report_tracer_error("starting a database span", exc)
        span = None
    return await call_in_span_async(span, call, args, kwargs)


def renamed(cls: Type[Any], base: Type[Any]) -> Type[Any]:
    """``cls`` under the names of ``base``, so that it reads the same in reprs and errors."""
    cls.__name__, cls.__qualname__, cls.__module__ = base.__name__, base.__qualname__, base.__module__
    return cls


def traced_subclass(
    base: Any, root: type, cache: Dict[type, type], make: Callable[[Type[Any]], Type[Any]]
) -> Any:
    """The traced subclass of ``base``, a subclass of the driver's class ``root``, made once
    by ``make`` and kept in ``cache``; anything else (a factory function, a class already
    traced) is returned as it is. For drivers whose connections and cursors are C classes
    that cannot be patched in place (sqlite3, psycopg2)."""
    if not (isinstance(base, type) and issubclass(base, root)):
        return base
    if getattr(base, "_traced_class", False):
        return base
    found = cache.get(base)
    if found is None:
        found = cache[base] = renamed(make(base), base)
    return found
