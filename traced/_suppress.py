"""Marks code whose own I/O must not be traced: the exporters' network calls.

A :class:`~contextvars.ContextVar` rather than a thread-local, because the same question is
asked from threads, asyncio tasks and gevent greenlets alike: each of those has its own
context, so suppressing one never hides another's spans, and a task started inside a
suppressed block inherits the flag as it inherits every other context variable.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

__all__ = ["is_suppressed", "suppress"]

_SUPPRESSED: ContextVar[bool] = ContextVar("traced_suppressed", default=False)


@contextmanager
def suppress() -> Iterator[None]:
    """Within this block, instrumentation records nothing (it checks :func:`is_suppressed`)."""
    token = _SUPPRESSED.set(True)
    try:
        yield
    finally:
        _SUPPRESSED.reset(token)


def is_suppressed() -> bool:
    """True inside :func:`suppress`: the caller is the exporter itself, so do not trace it."""
    return _SUPPRESSED.get()
