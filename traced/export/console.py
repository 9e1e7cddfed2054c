"""The console exporter: each finished trace printed as a waterfall in the terminal.

:class:`ConsoleExporter` gathers the spans of a trace until its root span finishes, then
prints the trace as a tree of spans beside time bars (drawn by :func:`render_trace`). A
trace whose root is elsewhere (a remote parent, or a parent that never finishes) is printed
once no span of it has arrived for ``grace`` seconds. Printing happens on the exporter's
own daemon thread, so a slow terminal never holds up the application.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import sys
import time
import weakref
from collections import OrderedDict
from typing import IO, Any, List, Optional, Sequence, Tuple

from ..tracer.span import FinishedSpan
from .._native import Signal, allocate_lock, start_thread
from ._ratelog import RateLimitedLog
from ._waterfall import render_trace
from .base import Exporter

__all__ = ["ConsoleExporter", "render_trace"]

_log = logging.getLogger("traced")
_IDLE_WAIT = 3600.0  # the printer's wait when nothing is buffered; any export wakes it


class ConsoleExporter(Exporter):
    """Prints each finished trace to ``stream`` (``sys.stdout`` at the time of printing
    when None) as a waterfall, one line per span.

    ``color``: ANSI colours; by default only when the stream is a terminal and the
    ``NO_COLOR`` environment variable is unset or empty. ``width``: the line width in
    display cells; by default the terminal's width for a terminal, else 100.
    ``grace``: seconds after the last span of a trace without its root before the trace is
    printed as it is. At most ``max_spans`` spans in ``max_traces`` traces wait to be
    printed; beyond that the oldest trace is dropped, counted in :attr:`dropped` and
    reported on the stream. :meth:`shutdown` prints everything still waiting.

    :meth:`export` only files spans away (under a lock, no I/O), so it is safe and cheap
    on the application's thread; a daemon thread, started at the first export and again in
    a child process after ``fork()``, renders and writes.
    """

    def __init__(
        self,
        stream: Optional[IO[str]] = None,
        *,
        color: Optional[bool] = None,
        width: Optional[int] = None,
        grace: float = 1.0,
        max_traces: int = 256,
        max_spans: int = 8192,
    ) -> None:
        if width is not None and (not isinstance(width, int) or width < 1):
            raise ValueError("width must be a positive int, not %r" % (width,))
        if not grace >= 0:
            raise ValueError("grace must be a number of seconds >= 0, not %r" % (grace,))
        if max_traces < 1 or max_spans < 1:
            raise ValueError("max_traces and max_spans must be >= 1")
        self._stream = stream
        self._color = color
        self._width = width
        self._grace = float(grace)
        self._max_traces = max_traces
        self._max_spans = max_spans
        self._failures = RateLimitedLog(_log)
        self._closed = False
        self._dropped = 0
        self._reset()
        ref = weakref.ref(self)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    def _reset(self) -> None:
        """Fresh locks and buffers, and no printer thread (at start and in a forked child,
        where the parent's lock may be held and its spans are the parent's to print)."""
        self._lock = allocate_lock()  # guards the buffers below
        self._write_lock = allocate_lock()  # held from taking traces to writing them
        self._wake = Signal()
        self._pid = os.getpid()
        self._printer_started = False
        # trace id -> (spans, monotonic time of the last arrival), oldest arrival first
        self._pending: "OrderedDict[int, Tuple[List[FinishedSpan], float]]" = OrderedDict()
        self._ready: List[List[FinishedSpan]] = []  # traces whose root finished, in order
        self._buffered = 0  # spans in _pending and _ready
        self._unreported_drops = 0

    @property
    def dropped(self) -> int:
        """Spans dropped because the buffer was full."""
        return self._dropped

    def export(self, spans: Sequence[FinishedSpan], timeout: float = 5.0) -> bool:
        """File ``spans`` by trace; a trace whose root span is among them is queued for
        printing. Never blocks on I/O; False after :meth:`shutdown`."""
        if self._closed:
            return False
        now = time.monotonic()
        with self._lock:
            was_idle = not self._pending and not self._ready
            wake = False
            for span in spans:
                wake = self._file(span, now) or wake
            if not self._printer_started:
                self._printer_started = True
                try:
                    start_thread(self._run, "traced-console")
                except Exception as exc:  # at interpreter exit: shutdown() prints instead
                    self._failures.warning("thread", "console exporter has no thread: %r", exc)
        if wake or was_idle:
            self._wake.set()
        return True

    def _file(self, span: FinishedSpan, now: float) -> bool:
        """Add one span to its trace (lock held); True when its trace is now ready."""
        entry = self._pending.pop(span.trace_id, None)
        trace = entry[0] if entry is not None else []
        if self._buffered >= self._max_spans or (entry is None and len(self._pending) >= self._max_traces):
            self._make_room(span.parent_id is None)
        if self._buffered >= self._max_spans:  # the trace being built is all there is
            self._drop(1)
            if span.parent_id is None:  # keep the root in place of its trace's first span
                if trace:
                    trace[0] = span
                self._ready.append(trace)
                return True
            self._pending[span.trace_id] = (trace, now)
            return False
        trace.append(span)
        self._buffered += 1
        if span.parent_id is None:
            self._ready.append(trace)
            return True
        self._pending[span.trace_id] = (trace, now)
        return False

    def _make_room(self, for_root: bool) -> None:
        """Drop the oldest waiting traces (lock held) until there is room for a span and,
        unless it is a root, a new trace; traces already queued for printing go last."""
        while self._pending and (
            self._buffered >= self._max_spans or (not for_root and len(self._pending) >= self._max_traces)
        ):
            _, (old, _) = self._pending.popitem(last=False)
            self._buffered -= len(old)
            self._drop(len(old))
        while self._ready and self._buffered >= self._max_spans:
            old = self._ready.pop(0)
            self._buffered -= len(old)
            self._drop(len(old))

    def _drop(self, count: int) -> None:
        self._dropped += count
        self._unreported_drops += count

    def _take(self, everything: bool) -> Tuple[List[List[FinishedSpan]], int]:
        """Remove the traces to print now (lock held): every ready one, and the rootless
        ones idle for ``grace`` seconds (or all of them when ``everything``)."""
        traces, self._ready = self._ready, []
        now = time.monotonic()
        while self._pending:
            trace_id, (spans, last) = next(iter(self._pending.items()))
            if not everything and now - last < self._grace:
                break
            del self._pending[trace_id]
            traces.append(spans)
        self._buffered -= sum(len(t) for t in traces)
        drops, self._unreported_drops = self._unreported_drops, 0
        return traces, drops

    def _next_wait(self) -> float:
        """Seconds until the oldest rootless trace is due (lock held)."""
        if not self._pending:
            return _IDLE_WAIT
        _, last = next(iter(self._pending.values()))
        return max(last + self._grace - time.monotonic(), 0.001)

    def _run(self) -> None:
        """The printer thread: print what is due, then sleep until more is."""
        pid = self._pid
        while not self._closed and pid == self._pid:
            with self._write_lock:
                with self._lock:
                    traces, drops = self._take(everything=False)
                    wait = self._next_wait()
                self._write(traces, drops)
            if not traces and not drops:
                self._wake.wait(wait)

    def flush(self, timeout: float = 5.0) -> bool:
        """Print every trace waiting now, complete or not, after what the exporter's thread
        is printing; True when all was written within ``timeout`` seconds."""
        if not self._write_lock.acquire(True, max(timeout, 0.0)):
            return False
        try:
            with self._lock:
                traces, drops = self._take(everything=True)
            return self._write(traces, drops)
        finally:
            self._write_lock.release()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Print everything still waiting and stop; later exports return False."""
        self._closed = True
        self._wake.set()
        self.flush(timeout)

    def _write(self, traces: List[List[FinishedSpan]], drops: int) -> bool:
        """Render and write ``traces`` (and a note of ``drops``) with the write lock held,
        so that traces never interleave and a flush follows what was taken before it; a
        failing stream is logged, never raised."""
        if not traces and not drops:
            return True
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            color, width = self._style(stream)
            unicode = _can_encode(stream)
            text = "".join(render_trace(t, width=width, color=color, unicode=unicode) + "\n" for t in traces)
            if drops:
                text += _drop_note(drops, color)
            try:
                stream.write(text)
            except UnicodeEncodeError:
                encoding = getattr(stream, "encoding", None) or "ascii"
                stream.write(text.encode(encoding, "replace").decode(encoding))
            stream.flush()
        except Exception as exc:
            self._failures.warning("console", "console exporter could not print a trace: %r", exc)
            return False
        return True

    def _style(self, stream: IO[str]) -> Tuple[bool, int]:
        """Whether to colour and how wide to draw, decided for each write: a terminal may
        be resized while the program runs."""
        tty = _isatty(stream)
        color = self._color if self._color is not None else tty and not os.environ.get("NO_COLOR")
        width = self._width if self._width is not None else _terminal_width(stream) if tty else 100
        return bool(color), width

    def __repr__(self) -> str:
        return "ConsoleExporter(stream=%r, dropped=%d)" % (self._stream, self._dropped)


def _after_fork(ref: "weakref.ref[ConsoleExporter]") -> None:
    exporter = ref()
    if exporter is not None:
        exporter._reset()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def _terminal_width(stream: Any) -> int:
    """The width of the terminal ``stream`` writes to (``COLUMNS`` wins, as in
    :func:`shutil.get_terminal_size`); 100 when it cannot be told."""
    if stream is sys.stdout or stream is sys.__stdout__:
        return shutil.get_terminal_size((100, 24)).columns
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(stream.fileno()).columns or 100
    except Exception:
        return 100


def _can_encode(stream: Any) -> bool:
    """Whether ``stream`` can write the box and block characters of the waterfall."""
    encoding = getattr(stream, "encoding", None)
    return _encodes(encoding) if isinstance(encoding, str) else True  # StringIO takes any text


@functools.lru_cache(maxsize=16)
def _encodes(encoding: str) -> bool:
    try:
        "\u2502\u251c\u2514\u2500\u2588\u258f\u2717\u00b5\u2026".encode(encoding)
    except (UnicodeError, LookupError):
        return False
    return True


def _drop_note(count: int, color: bool) -> str:
    note = "(console exporter: %d span%s dropped, buffer full)" % (count, "" if count == 1 else "s")
    return ("\x1b[33m%s\x1b[0m\n" % note) if color else note + "\n"
