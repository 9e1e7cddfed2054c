"""Client spans for Redis through ``redis`` (redis-py), sync and ``redis.asyncio``.

Wrapped on the classes, so every client is covered, including clients made before
:func:`instrument` and subclasses that do not override these methods:

* ``Redis.execute_command`` (every command method goes through it): one span named by the
  command (``GET``), and, for a pipeline that is ``WATCH``-ing, its immediate commands;
* ``Pipeline.execute``: one span for the whole pipeline, named ``PIPELINE`` (``MULTI`` for a
  transaction), with the number of commands (``redis.pipeline_length``) and their names.

Tags: ``db.type`` ``redis``, ``db.instance`` the database number, ``peer.hostname`` and
``peer.port`` (``peer.address`` the socket path for a Unix socket connection), ``span.kind``
``client``, ``component`` ``redis``. ``db.statement`` is only the command name (``SET``) by
default, because keys and values are often personal data (user ids, e-mail addresses,
tokens); ``instrument(record_parameters=True)`` adds the arguments, each cut to
:data:`ARGUMENT_CHARS` characters, at most :data:`MAX_ARGUMENTS` of them. Cluster clients and
publish/subscribe connections are not traced.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from opentracing import Span, Tracer
from opentracing import tags as ot_tags

from .._core import NOOP_TRACER
from .._report import report_tracer_error
from .._suppress import is_suppressed
from ..patching import Integration
from ._calls import call_in_span, call_in_span_async

__all__ = ["ARGUMENT_CHARS", "MAX_ARGUMENTS", "PIPELINE_LENGTH_TAG", "instrument",
           "is_instrumented", "uninstrument"]

#: With ``record_parameters``: the longest argument recorded, in characters.
ARGUMENT_CHARS = 100
#: With ``record_parameters``: the most arguments of one command recorded.
MAX_ARGUMENTS = 10
#: Tag holding the number of commands a pipeline sent.
PIPELINE_LENGTH_TAG = "redis.pipeline_length"
# The most commands of a pipeline named in its db.statement.
_MAX_PIPELINE_NAMES = 50

_COMPONENT = "redis"


class _Options:
    """What :func:`instrument` was asked for beyond the tracer."""

    record_parameters = False


_options = _Options()


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    text = value if type(value) is str else str(value)
    return text if len(text) <= ARGUMENT_CHARS else text[:ARGUMENT_CHARS] + "..."


def _command_text(args: Tuple[Any, ...]) -> str:
    """The ``db.statement`` of one command: its name, and its arguments when asked for."""
    name = args[0]
    name = name if type(name) is str else _text(name)
    if not _options.record_parameters or len(args) == 1:
        return name
    shown = [_text(arg) for arg in args[1:MAX_ARGUMENTS + 1]]
    if len(args) > MAX_ARGUMENTS + 1:
        shown.append(f"... ({len(args) - MAX_ARGUMENTS - 1} more)")
    return " ".join([name, *shown])


def _pipeline_text(stack: List[Any]) -> str:
    lines = [_command_text(args) for args, _ in stack[:_MAX_PIPELINE_NAMES]]
    if len(stack) > _MAX_PIPELINE_NAMES:
        lines.append(f"... ({len(stack) - _MAX_PIPELINE_NAMES} more)")
    return "\n".join(lines)


def _tags(client: Any, statement: str) -> Dict[str, Any]:
    """The tags of a span of ``client``, whose connection parameters tell where it goes."""
    tags: Dict[str, Any] = {ot_tags.SPAN_KIND: ot_tags.SPAN_KIND_RPC_CLIENT,
                            ot_tags.COMPONENT: _COMPONENT, ot_tags.DATABASE_TYPE: "redis",
                            ot_tags.DATABASE_STATEMENT: statement}
    parameters: Mapping[str, Any] = client.connection_pool.connection_kwargs
    tags[ot_tags.DATABASE_INSTANCE] = str(parameters.get("db", 0))
    path = parameters.get("path")
    if path:
        tags[ot_tags.PEER_ADDRESS] = str(path)
    else:
        tags[ot_tags.PEER_HOSTNAME] = str(parameters.get("host", "localhost"))
        tags[ot_tags.PEER_PORT] = int(parameters.get("port", 6379))
    return tags


def _start(client: Any, args: Tuple[Any, ...]) -> Optional[Span]:
    """The span of the command ``args`` of ``client``, or None when it is not traced."""
    if is_suppressed() or not args:
        return None
    tracer = _integration.tracer
    if type(tracer) is NOOP_TRACER:
        return None
    try:
        statement = _command_text(args)
        name = args[0] if type(args[0]) is str else _text(args[0])
        return tracer.start_span(name, tags=_tags(client, statement))
    except Exception as exc:
        report_tracer_error("starting a redis span", exc)
        return None


def _start_pipeline(pipeline: Any, transaction: bool) -> Optional[Span]:
    """The span of the commands queued in ``pipeline``, or None when it is not traced."""
    stack = pipeline.command_stack
    if is_suppressed() or not stack:
        return None
    tracer = _integration.tracer
    if type(tracer) is NOOP_TRACER:
        return None
    try:
        tags = _tags(pipeline, _pipeline_text(stack))
        tags[PIPELINE_LENGTH_TAG] = len(stack)
        return tracer.start_span("MULTI" if transaction else "PIPELINE", tags=tags)
    except Exception as exc:
        report_tracer_error("starting a redis span", exc)
        return None


_run = call_in_span
_run_async = call_in_span_async


def _command(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    return _run(_start(instance, args), wrapped, args, kwargs)


def _pipeline(wrapped: Any, instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    span = _start_pipeline(instance, bool(instance.transaction or instance.explicit_transaction))
    return _run(span, wrapped, args, kwargs)


async def _command_async(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                         kwargs: Dict[str, Any]) -> Any:
    return await _run_async(_start(instance, args), wrapped, args, kwargs)


async def _pipeline_async(wrapped: Any, instance: Any, args: Tuple[Any, ...],
                          kwargs: Dict[str, Any]) -> Any:
    span = _start_pipeline(instance,
                           bool(instance.is_transaction or instance.explicit_transaction))
    return await _run_async(span, wrapped, args, kwargs)


_integration = Integration(
    "redis",
    module="redis",
    distribution="redis",
    min_version="4.2",
    max_version="9",
    patches=[
        ("redis.client:Redis.execute_command", _command),
        ("redis.client:Pipeline.immediate_execute_command", _command),
        ("redis.client:Pipeline.execute", _pipeline),
        ("redis.asyncio.client:Redis.execute_command", _command_async),
        ("redis.asyncio.client:Pipeline.immediate_execute_command", _command_async),
        ("redis.asyncio.client:Pipeline.execute", _pipeline_async),
    ],
)


def instrument(tracer: Optional[Tracer] = None, *, record_parameters: bool = False) -> None:
    """Trace Redis commands and pipelines with ``tracer`` (default: the global tracer at
    each call). ``record_parameters=True`` records the commands' arguments (keys and
    values) in ``db.statement`` too."""
    _options.record_parameters = record_parameters
    _integration.instrument(tracer)


def uninstrument() -> None:
    """Put redis-py's original methods back."""
    _integration.uninstrument()
    _options.record_parameters = False


is_instrumented = _integration.is_instrumented
