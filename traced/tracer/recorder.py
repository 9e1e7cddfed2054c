"""Where finished, sampled spans go: the :class:`Recorder` interface and the two recorders
of this package, in memory and nowhere. Exporters (Zipkin, OTLP, ...) are recorders too."""

from __future__ import annotations

import time
from typing import List, Sequence

from .._report import report_tracer_error
from .span import FinishedSpan

__all__ = ["FanOutRecorder", "MemoryRecorder", "NoneRecorder", "Recorder"]


class Recorder:
    """Receives each finished, sampled span as an immutable :class:`FinishedSpan`.

    :meth:`record` is called on the thread that finished the span and must not block it
    (a recorder that sends spans over the network queues them); it must not raise either,
    but the tracer guards against one that does. :meth:`flush` and :meth:`close` wait at
    most ``timeout`` seconds and say whether everything recorded so far was handled.
    """

    def record(self, span: FinishedSpan) -> None:
        raise NotImplementedError

    def flush(self, timeout: float = 5.0) -> bool:
        """Hand on every span recorded so far; True when done within ``timeout``."""
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """Flush, then release resources; spans recorded afterwards are dropped."""
        return self.flush(timeout)


class MemoryRecorder(Recorder):
    """Keeps finished spans in a list, in finishing order: for tests and debugging
    (``exporter="memory"``). ``record`` is the list's own ``append`` (one C call, atomic
    under the GIL, so threads need no lock); after :meth:`close` it drops spans.
    """

    def __init__(self) -> None:
        self._spans: List[FinishedSpan] = []
        if type(self).record is MemoryRecorder.record:  # a subclass's own record() stays
            self.record = self._spans.append  # type: ignore[method-assign,assignment]

    def record(self, span: FinishedSpan) -> None:  # replaced per instance, see __init__
        self._spans.append(span)

    @property
    def spans(self) -> List[FinishedSpan]:
        """A copy of the list of spans recorded so far."""
        return list(self._spans)

    def clear(self) -> None:
        """Forget the spans recorded so far."""
        del self._spans[:]

    def close(self, timeout: float = 5.0) -> bool:
        self.record = _discard  # type: ignore[method-assign]
        return True


def _discard(span: FinishedSpan) -> None:
    """What a closed recorder does with a span."""


class NoneRecorder(Recorder):
    """Drops every span (``exporter="none"``): spans still get ids and propagate."""

    def record(self, span: FinishedSpan) -> None:
        pass


class FanOutRecorder(Recorder):
    """Hands every span to several recorders (``OTEL_TRACES_EXPORTER=otlp,console``).

    One recorder that raises costs nothing to the others; :meth:`flush` and :meth:`close`
    give all of them one shared deadline, and say True only when each of them did.
    """

    def __init__(self, recorders: Sequence[Recorder]) -> None:
        self.recorders = tuple(recorders)

    def record(self, span: FinishedSpan) -> None:
        for recorder in self.recorders:
            try:
                recorder.record(span)
            except Exception as exc:
                report_tracer_error("Recorder.record", exc)

    def flush(self, timeout: float = 5.0) -> bool:
        return self._each("flush", timeout)

    def close(self, timeout: float = 5.0) -> bool:
        return self._each("close", timeout)

    def _each(self, method: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        done = True
        for recorder in self.recorders:
            left = max(0.0, deadline - time.monotonic())
            try:
                done = bool(getattr(recorder, method)(left)) and done
            except Exception as exc:
                report_tracer_error("Recorder." + method, exc)
                done = False
        return done
