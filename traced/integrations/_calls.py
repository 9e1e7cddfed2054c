"""Running a library's call inside a span an integration started: the result or the
exception comes back as it was, the span records how the call ended and is finished once."""

from __future__ import annotations

from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Iterable, Optional

from opentracing import Span

from .._core import finish_span, record_exit

__all__ = ["call_in_span", "call_in_span_async"]


def call_in_span(span: Optional[Span], call: Callable[..., Any], args: Iterable[Any],
                 kwargs: Dict[str, Any]) -> Any:
    """``call(*args, **kwargs)``, recording its exception on ``span`` (None: no span)."""
    if span is None:
        return call(*args, **kwargs)
    try:
        result = call(*args, **kwargs)
    except BaseException as exc:
        record_exit(span, exc)
        finish_span(span)
        raise
    finish_span(span)
    return result


async def call_in_span_async(span: Optional[Span], call: Callable[..., Awaitable[Any]],
                             args: Iterable[Any], kwargs: Dict[str, Any]) -> Any:
    """:func:`call_in_span` for a coroutine function; a cancellation is tagged, not an
    error."""
    if span is None:
        return await call(*args, **kwargs)
    try:
        result = await call(*args, **kwargs)
    except BaseException as exc:
        record_exit(span, exc, CancelledError)
        finish_span(span)
        raise
    finish_span(span)
    return result
