"""Sampling: whether a new trace records its spans, decided once where the trace enters.

The tracer asks a :class:`Sampler` only for a span without a local parent: a root span, or
the child of a remote context extracted from a carrier. Every local child inherits its
parent's decision without a call, so one trace is sampled whole or not at all, and the
decision travels on to other processes in the sampled flag of the propagated context.

The tracer calls :func:`decide`, not the sampler itself: a parent marked ``debug`` (B3's
``X-B3-Flags: 1``, Jaeger's debug bit) forces sampling whatever the sampler says, and a
sampler that raises leaves the traced code untouched.
"""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from typing import Callable, Optional

from .._report import report_tracer_error
from .context import SpanContext

__all__ = [
    "ALWAYS_OFF",
    "ALWAYS_ON",
    "AlwaysOff",
    "AlwaysOn",
    "DEFAULT_SAMPLER",
    "ParentBased",
    "RateLimiting",
    "Sampler",
    "TraceIdRatio",
    "decide",
]


class Sampler(ABC):
    """Decides whether a new trace is sampled.

    ``should_sample`` receives the trace id, the remote parent context when the trace came
    from another process (``None`` for a root span) and the operation name. It runs on the
    hot path of every root span, from any thread: keep it cheap and thread-safe.
    ``description`` names the sampler and its settings, for logs and reprs.
    """

    __slots__ = ()

    description: str = "Sampler"

    @abstractmethod
    def should_sample(
        self, trace_id: int, parent: Optional[SpanContext], operation_name: str
    ) -> bool:
        """True when the trace that starts here should record its spans."""

    def __repr__(self) -> str:
        return "<%s>" % self.description


class AlwaysOn(Sampler):
    """Samples every trace, whatever a remote parent decided."""

    description = "AlwaysOn"

    def should_sample(
        self, trace_id: int, parent: Optional[SpanContext], operation_name: str
    ) -> bool:
        return True


class AlwaysOff(Sampler):
    """Samples no trace, whatever a remote parent decided (a debug parent still wins)."""

    description = "AlwaysOff"

    def should_sample(
        self, trace_id: int, parent: Optional[SpanContext], operation_name: str
    ) -> bool:
        return False


ALWAYS_ON: Sampler = AlwaysOn()
ALWAYS_OFF: Sampler = AlwaysOff()

#: OpenTelemetry's ratio sampler looks at the low 64 bits of the trace id, so that 64-bit
#: ids (B3, Jaeger) and 128-bit ids are sampled alike.
_LOW_64_BITS = (1 << 64) - 1


def _check_number(name: str, value: object) -> float:
    """``value`` as a float, or a ``ValueError`` saying what ``name`` must be."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("%s must be a number, not %r" % (name, value))
    number = float(value)
    if math.isnan(number):
        raise ValueError("%s must be a number, not nan" % name)
    return number


class TraceIdRatio(Sampler):
    """Samples a fraction ``ratio`` (0.0 to 1.0) of traces, chosen by trace id.

    The decision is OpenTelemetry's ``TraceIdRatioBased`` one, bit for bit: sampled when
    the low 64 bits of the trace id are below ``round(ratio * 2**64)``. Every service with
    the same ratio, ours or OpenTelemetry's, therefore keeps or drops the same traces, and
    a service with a higher ratio keeps every trace that one with a lower ratio keeps.
    """

    __slots__ = ("ratio", "bound", "description")

    def __init__(self, ratio: float) -> None:
        ratio = _check_number("TraceIdRatio ratio", ratio)
        if not 0.0 <= ratio <= 1.0:
            raise ValueError("TraceIdRatio ratio must be in [0.0, 1.0], not %r" % ratio)
        self.ratio = ratio
        self.bound = round(ratio * (_LOW_64_BITS + 1))
        self.description = "TraceIdRatio{%s}" % ratio

    def should_sample(
        self, trace_id: int, parent: Optional[SpanContext], operation_name: str
    ) -> bool:
        return trace_id & _LOW_64_BITS < self.bound


class ParentBased(Sampler):
    """Follows a remote parent's sampled flag; asks ``root`` when there is no parent.

    This is what keeps a trace whole across services: a request that arrives sampled is
    sampled here too, one that arrives unsampled is not, and only traces that start in this
    process are left to ``root``. The default sampler is ``ParentBased(ALWAYS_ON)``.
    """

    __slots__ = ("root", "description")

    def __init__(self, root: Sampler) -> None:
        if not isinstance(root, Sampler):
            raise ValueError("ParentBased root must be a Sampler, not %r" % (root,))
        self.root = root
        self.description = "ParentBased{root=%s}" % root.description

    def should_sample(
        self, trace_id: int, parent: Optional[SpanContext], operation_name: str
    ) -> bool:
        if parent is not None:
            return parent.sampled
        return self.root.should_sample(trace_id, parent, operation_name)


class RateLimiting(Sampler):
    """Samples at most ``per_second`` new traces per second, from any number of threads.

    A token bucket: it holds at most ``max(per_second, 1)`` tokens, starts full, refills at
    ``per_second`` tokens a second of ``clock`` (a monotonic clock, so that setting the
    wall clock neither stalls nor floods it), and each sampled trace takes one token. A
    burst after a quiet spell therefore gets at most ``max(per_second, 1)`` traces, and a
    rate below one (``0.1``: one trace every ten seconds) works. The decision ignores the
    parent; wrap it in :class:`ParentBased` to follow callers.
    """

    __slots__ = ("per_second", "description", "_capacity", "_tokens", "_last", "_clock", "_lock")

    def __init__(
        self, per_second: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        per_second = _check_number("RateLimiting per_second", per_second)
        if not 0.0 < per_second < math.inf:
            raise ValueError(
                "RateLimiting per_second must be above 0 and finite, not %r "
                "(use ALWAYS_OFF to sample nothing)" % per_second
            )
        self.per_second = per_second
        self.description = "RateLimiting{%s}" % per_second
        self._capacity = max(per_second, 1.0)
        self._tokens = self._capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def should_sample(
        self, trace_id: int, parent: Optional[SpanContext], operation_name: str
    ) -> bool:
        with self._lock:
            now = self._clock()
            # A clock that steps back (an injected one) refills nothing rather than draining.
            elapsed = now - self._last
            if elapsed > 0.0:
                self._tokens = min(self._capacity, self._tokens + elapsed * self.per_second)
                self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


DEFAULT_SAMPLER: Sampler = ParentBased(ALWAYS_ON)


def decide(
    sampler: Sampler, trace_id: int, parent: Optional[SpanContext], operation_name: str
) -> bool:
    """The sampling decision for a span without a local parent; what the tracer calls.

    A ``debug`` parent is sampled whatever ``sampler`` says. A sampler that raises is
    reported once through the ``traced`` logger and the trace is not sampled: the traced
    code never sees the error, and a broken sampler cannot make the tracer record
    everything.
    """
    if parent is not None and parent.debug:
        return True
    try:
        return bool(sampler.should_sample(trace_id, parent, operation_name))
    except Exception as exc:  # a user's sampler must not break the traced code
        report_tracer_error("sampler %r" % (sampler,), exc)
        return False
