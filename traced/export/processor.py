"""Processors: the tracer's recorders that hand finished spans to an exporter.

:class:`SimpleProcessor` exports each span on the thread that finished it (tests, scripts).
:class:`BatchProcessor` takes spans off the application's path: ``record`` appends to a
bounded queue and returns; one worker thread exports batches, bounded by count, by encoded
size and by time. Neither ever raises into the application: a full queue drops and counts,
an exporter that fails or raises is logged and counted.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import deque
from typing import Any, Deque, List, Optional, Union

from .._suppress import suppress
from ..counters import Counters
from ..tracer.recorder import Recorder
from ..tracer.span import FinishedSpan
from .._native import Signal, allocate_lock, start_thread
from ._ratelog import RateLimitedLog
from .base import Exporter

__all__ = ["BatchProcessor", "SimpleProcessor"]

logger = logging.getLogger("traced.export")


def _export(exporter: Exporter, batch: List[FinishedSpan], timeout: float, counters: Counters,
            log: RateLimitedLog) -> bool:
    """Export ``batch`` and count its spans exported or failed; never raises."""
    try:
        ok = bool(exporter.export(batch, timeout))
    except Exception as exc:  # an exporter's bug costs its batch, never the caller
        log.warning("raised", "traced: %s.export raised %r; %d span(s) lost",
                    type(exporter).__name__, exc, len(batch))
        ok = False
    counters.add("exported" if ok else "failed", len(batch))
    return ok


class SimpleProcessor(Recorder):
    """Exports every span as it finishes, on the finishing thread, which waits for it (up to
    ``export_timeout`` seconds): for tests and short scripts, not for servers."""

    def __init__(self, exporter: Exporter, *, counters: Optional[Counters] = None,
                 export_timeout: float = 10.0) -> None:
        self.exporter = exporter
        self.counters = counters if counters is not None else Counters()
        self.export_timeout = export_timeout
        self._lock = threading.Lock()  # an exporter is called by one thread at a time
        self._closed = False
        self._log = RateLimitedLog(logger)
        _simple_instances.add(self)
        _register_fork_hook()

    def _reset(self) -> None:
        """In a forked child: a lock another thread held at fork() would stay held."""
        self._lock = threading.Lock()

    def record(self, span: FinishedSpan) -> None:
        if self._closed:
            self.counters.add("dropped")
            return
        with self._lock, suppress():
            _export(self.exporter, [span], self.export_timeout, self.counters, self._log)

    def flush(self, timeout: float = 5.0) -> bool:
        """Spans are exported as they finish; this flushes what the exporter holds back."""
        try:
            with suppress():
                return bool(self.exporter.flush(max(0.0, timeout)))
        except Exception as exc:
            self._log.warning("flush", "traced: %s.flush raised %r", type(self.exporter).__name__, exc)
            return False

    def close(self, timeout: float = 5.0) -> bool:
        self._closed = True
        with suppress():
            _shutdown(self.exporter, timeout, self._log)
        return True


def _shutdown(exporter: Exporter, timeout: float, log: RateLimitedLog) -> None:
    try:
        exporter.shutdown(max(0.0, timeout))
    except Exception as exc:
        log.warning("shutdown", "traced: %s.shutdown raised %r", type(exporter).__name__, exc)


class _Marker:
    """Queued by flush/close behind the spans they wait for; the worker signals it once
    every span before it was exported (or failed)."""

    __slots__ = ("done", "stop", "failures")

    def __init__(self, stop: bool) -> None:
        self.done = Signal()
        self.stop = stop
        self.failures = 0


_instances: "weakref.WeakSet[BatchProcessor]" = weakref.WeakSet()
_simple_instances: "weakref.WeakSet[SimpleProcessor]" = weakref.WeakSet()
_fork_hook: List[bool] = []


def _after_fork_in_child() -> None:
    for processor in list(_instances):
        processor._reset()
    for simple in list(_simple_instances):
        simple._reset()


def _register_fork_hook() -> None:
    if not _fork_hook and hasattr(os, "register_at_fork"):
        _fork_hook.append(True)
        os.register_at_fork(after_in_child=_after_fork_in_child)


class BatchProcessor(Recorder):
    """Queues finished spans and exports them in batches on one worker thread.

    ``record`` never blocks: it appends to a queue of at most ``max_queue_size`` spans
    (beyond that, spans are dropped and counted ``dropped``) and wakes the worker only when
    a batch's worth is waiting. The worker (a native daemon thread, started on the first
    span, also under gevent) exports every ``schedule_delay`` seconds or as soon as
    ``max_batch_size`` spans wait, in batches of at most ``max_batch_size`` spans and about
    ``max_batch_bytes`` bytes (by ``exporter.size_hint``), each export given
    ``export_timeout`` seconds, all with instrumentation suppressed. After ``os.fork()``
    the child starts with an empty queue and its own worker.
    """

    def __init__(self, exporter: Exporter, *, max_queue_size: int = 2048, max_batch_size: int = 512,
                 max_batch_bytes: int = 4_000_000, schedule_delay: float = 5.0,
                 export_timeout: float = 30.0, counters: Optional[Counters] = None) -> None:
        if max_queue_size < 1 or max_batch_size < 1 or max_batch_bytes < 1:
            raise ValueError("queue size, batch size and batch bytes must be positive")
        if schedule_delay <= 0 or export_timeout <= 0:
            raise ValueError("schedule_delay and export_timeout must be positive")
        self.exporter = exporter
        self.counters = counters if counters is not None else Counters()
        self.max_queue_size = max_queue_size
        self.max_batch_size = min(max_batch_size, max_queue_size)
        self.max_batch_bytes = max_batch_bytes
        self.schedule_delay = schedule_delay
        self.export_timeout = export_timeout
        self._closed = False
        self._log = RateLimitedLog(logger)
        self._reset()
        _instances.add(self)
        _register_fork_hook()

    def _reset(self) -> None:
        """A fresh queue and no worker: at construction, and in a forked child (whose
        parent still owns the spans queued before the fork)."""
        self._queue: Deque[Union[FinishedSpan, _Marker]] = deque()
        self._wake = Signal()
        self._wake_pending = False
        self._started = False
        self._start_lock = allocate_lock()
        self._close_deadline: Optional[float] = None
        self._abandon = False
        self._failures = 0

    def record(self, span: FinishedSpan) -> None:
        queue = self._queue
        if len(queue) >= self.max_queue_size or self._closed:
            self._drop()
            return
        queue.append(span)
        if not self._started:
            self._start()
        if len(queue) >= self.max_batch_size and not self._wake_pending:
            self._wake_pending = True
            self._wake.set()

    def flush(self, timeout: float = 5.0) -> bool:
        """Export every span recorded so far; True when all were exported within
        ``timeout`` seconds (False on a timeout or a failed export). After :meth:`close`
        the worker is gone: True at once when nothing is left queued."""
        if self._closed:
            return not self._queue
        return self._handoff(_Marker(stop=False), time.monotonic() + timeout)

    def close(self, timeout: float = 5.0) -> bool:
        """Export what can be within ``timeout`` seconds, stop the worker and shut the
        exporter down; spans recorded afterwards, or left when time ran out, are dropped
        and counted. True when every span was exported."""
        if self._closed:
            return not self._queue
        self._closed = True
        deadline = time.monotonic() + timeout
        self._close_deadline = deadline
        done = self._handoff(_Marker(stop=True), deadline)
        if not done:
            self._abandon = True  # the worker drops what is left, counting it
        with suppress():
            _shutdown(self.exporter, deadline - time.monotonic(), self._log)
        return done

    def _handoff(self, marker: _Marker, deadline: float) -> bool:
        queue = self._queue
        if not queue and not self._started:
            return True
        failures = self._failures
        queue.append(marker)
        if not self._start():
            with suppress():  # no thread can start (interpreter shutdown): export here
                self._drain(queue)
        self._wake.set()
        if not marker.done.wait(deadline - time.monotonic()):
            return False
        return marker.failures == failures

    def _start(self) -> bool:
        """Start the worker unless it runs; False when it cannot run."""
        with self._start_lock:
            if self._started:
                return True
            try:
                start_thread(self._run, "traced-export")
            except Exception as exc:  # RuntimeError at interpreter shutdown
                self._log.warning("thread", "traced: cannot start the export thread: %r", exc)
                return False
            self._started = True
            return True

    def _drop(self, count: int = 1) -> None:
        self.counters.add("dropped", count)
        if self._closed:
            self._log.warning("closed", "traced: span(s) recorded after the processor was closed are dropped")
        else:
            self._log.warning("full", "traced: the export queue is full (%d spans); spans are dropped",
                              self.max_queue_size)

    def _run(self) -> None:
        with suppress():
            queue = self._queue
            wake = self._wake
            while True:
                try:
                    if len(queue) < self.max_batch_size:
                        wake.wait(self.schedule_delay)
                    self._wake_pending = False
                    if self._drain(queue):
                        return
                except Exception as exc:  # a bug here must not end the export of later spans
                    self._log.warning("worker", "traced: export worker error: %r", exc)

    def _drain(self, queue: "Deque[Any]") -> bool:
        """Export everything queued, in batches; True after a stop marker."""
        batch: List[FinishedSpan] = []
        size = 0
        while True:
            try:
                item = queue.popleft()
            except IndexError:
                break
            if type(item) is _Marker:
                if batch:
                    self._export(batch)
                    batch, size = [], 0
                item.failures = self._failures
                item.done.set()
                if item.stop:
                    return True
                continue
            if self._abandon:
                self._drop()
                continue
            try:
                hint = int(self.exporter.size_hint(item))
            except Exception:
                hint = 1024
            if batch and (len(batch) >= self.max_batch_size or size + hint > self.max_batch_bytes):
                self._export(batch)
                batch, size = [], 0
            batch.append(item)
            size += hint
        if batch:
            self._export(batch)
        return False

    def _export(self, batch: List[FinishedSpan]) -> None:
        timeout = self.export_timeout
        if self._close_deadline is not None:
            timeout = min(timeout, self._close_deadline - time.monotonic())
        if self._abandon or timeout <= 0:
            self._drop(len(batch))
            return
        if not _export(self.exporter, batch, timeout, self.counters, self._log):
            self._failures += len(batch)
