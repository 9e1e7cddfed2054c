"""Overhead of the database integrations on a real local call: a ``sqlite3`` query on an
in-memory database and a Redis ``GET`` to a ``redis-server`` on 127.0.0.1, uninstrumented,
with ours and with OpenTelemetry's contrib instrumentation, in the same run.

What is measured
    * sqlite3: ``cur.execute("SELECT a FROM t WHERE a = ?", (1,)); cur.fetchone()`` on a
      cursor of a connection made by ``sqlite3.connect(":memory:")`` after instrumenting;
    * redis: ``client.get("key")`` on a ``redis.Redis`` client of a ``redis-server`` this
      script starts on a free port of 127.0.0.1 (and stops at the end).

    "ours" is ``traced.integrations.<name>.instrument(tracer)`` with ``traced.Tracer`` and a
    ``MemoryRecorder`` emptied between batches; "OTel" is ``SQLite3Instrumentor`` /
    ``RedisInstrumentor`` (opentelemetry-instrumentation-sqlite3 / -redis) on an SDK
    ``TracerProvider`` whose one span processor discards. Every span is sampled and a root
    span. Only one instrumentation is on at a time: each batch instruments, makes a fresh
    connection, times, then uninstruments.

How
    As the other ``bench_*.py``: batches calibrated to ``--batch-seconds``, the garbage
    collector off while timing, the lines taking turns ``--repeat`` times in each of
    ``--rounds`` rounds; a line's figure is its minimum time per call. The overhead of a
    line is its ratio to the uninstrumented line of the same library minus one.

Target (issue 11): our overhead under OpenTelemetry's on every line. A line whose library
or server is missing prints "n/a" with the reason; ``--no-compare`` leaves OpenTelemetry
out.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from itertools import repeat
from typing import Any, Callable, Dict, List, Optional, Tuple

from _timing import apply_defaults, calibrate, error_text, fmt, gc_paused, nothing, timing_parser

SQL = "SELECT a FROM t WHERE a = ?"


class _Line:
    """One line of the table: how to set up, time ``n`` calls, and tear down a batch."""

    def __init__(self, label: str, setup: Callable[[], Callable[[int], float]],
                 teardown: Callable[[], None] = nothing) -> None:
        self.label = label
        self.setup = setup
        self.teardown = teardown
        self.times: List[float] = []
        self.n = 0
        self.error: Optional[str] = None

    def batch(self, n: int) -> float:
        timer = self.setup()
        try:
            with gc_paused():
                return timer(n)
        finally:
            self.teardown()


def _sqlite_timer() -> Callable[[int], float]:
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")
    cur = conn.cursor()

    def timer(n: int) -> float:
        execute, fetchone, params = cur.execute, cur.fetchone, (1,)
        start = time.perf_counter()
        for _ in repeat(None, n):
            execute(SQL, params)
            fetchone()
        return time.perf_counter() - start

    return timer


def _redis_timer(port: int) -> Callable[[], Callable[[int], float]]:
    def setup() -> Callable[[int], float]:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        client.set("key", "value")

        def timer(n: int) -> float:
            get = client.get
            start = time.perf_counter()
            for _ in repeat(None, n):
                get("key")
            return time.perf_counter() - start

        return timer

    return setup


def _ours(name: str, make: Callable[[], Callable[[int], float]]) -> Tuple[Callable[[], Callable[[int], float]], Callable[[], None]]:
    import importlib

    from traced.tracer import MemoryRecorder, Tracer

    recorder = MemoryRecorder()
    tracer = Tracer("bench", recorder=recorder)
    module = importlib.import_module(f"traced.integrations.{name}")

    def setup() -> Callable[[int], float]:
        recorder.clear()
        module.instrument(tracer)
        return make()

    def teardown() -> None:
        module.uninstrument()
        if not recorder.spans:
            raise RuntimeError("our instrumentation recorded no span")

    return setup, teardown


def _otel(name: str, make: Callable[[], Callable[[int], float]]) -> Tuple[Callable[[], Callable[[int], float]], Callable[[], None]]:
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

    class Counting(SpanProcessor):
        ended = 0

        def on_end(self, span: Any) -> None:
            Counting.ended += 1

    provider = TracerProvider()
    provider.add_span_processor(Counting())
    if name == "sqlite3":
        from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor as Instrumentor
    else:
        from opentelemetry.instrumentation.redis import RedisInstrumentor as Instrumentor
    instrumentor = Instrumentor()

    def setup() -> Callable[[int], float]:
        Counting.ended = 0
        instrumentor.instrument(tracer_provider=provider)
        return make()

    def teardown() -> None:
        instrumentor.uninstrument()
        if not Counting.ended:
            raise RuntimeError("OpenTelemetry recorded no span")

    return setup, teardown


def _start_redis() -> Tuple[Optional["subprocess.Popen[bytes]"], int, str]:
    """A redis-server on a free port of 127.0.0.1 (None and why when there is none)."""
    executable = shutil.which("redis-server")
    if executable is None:
        return None, 0, "redis-server not installed"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen([executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no", "--dir", folder],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return proc, port, ""
        except OSError:
            time.sleep(0.05)
    proc.kill()
    return None, 0, "redis-server did not start"


def _lines(compare: bool, redis_port: int, redis_missing: str) -> Dict[str, List[_Line]]:
    groups: Dict[str, List[_Line]] = {"sqlite3": [], "redis": []}
    makers: Dict[str, Callable[[], Callable[[int], float]]] = {"sqlite3": _sqlite_timer}
    if not redis_missing:
        try:
            import redis  # noqa: F401
            makers["redis"] = _redis_timer(redis_port)
        except ImportError:
            redis_missing = "redis (redis-py) not installed"
    for name in groups:
        labels = {"sqlite3": "sqlite3 in-memory SELECT", "redis": "redis GET on 127.0.0.1"}
        make = makers.get(name)
        peers: List[Tuple[str, Any]] = [("ours", _ours)]
        if compare:
            peers.append(("OTel 0.66b1", _otel))
        bare = _Line(f"{labels[name]}, uninstrumented", make or nothing)  # type: ignore[arg-type]
        groups[name].append(bare)
        for peer, build in peers:
            line = _Line(f"{labels[name]}, {peer}", nothing)  # type: ignore[arg-type]
            if make is None:
                line.error = redis_missing
            else:
                try:
                    line.setup, line.teardown = build(name, make)
                except Exception as exc:
                    line.error = error_text(exc)
            groups[name].append(line)
        if make is None:
            bare.error = redis_missing
    return groups


def main(argv: List[str]) -> int:
    parser = timing_parser(__doc__ or "", "leave OpenTelemetry's instrumentation out",
                           "rounds", "batches per line in a round")
    args = parser.parse_args(argv)
    apply_defaults(args)
    proc, port, missing = _start_redis()
    try:
        groups = _lines(not args.no_compare, port, missing)
        every = [line for lines in groups.values() for line in lines if line.error is None]
        for line in every:
            try:
                line.n = calibrate(line.batch, nothing, args.batch_seconds)
            except Exception as exc:
                line.error = error_text(exc)
        for _round in range(args.rounds):
            for _ in range(args.repeat):
                for line in every:
                    if line.error is None:
                        try:
                            line.times.append(line.batch(line.n) / line.n)
                        except Exception as exc:
                            line.error = error_text(exc)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    return _report(groups)


def _report(groups: Dict[str, List[_Line]]) -> int:
    print(f"{'line':<44} {'us/call':>9} {'ratio':>7} {'overhead':>9}")
    verdicts: List[str] = []
    for name, lines in groups.items():
        bare = lines[0]
        base = min(bare.times) if bare.times else None
        overheads: Dict[str, float] = {}
        for line in lines:
            best = min(line.times) if line.times and line.error is None else None
            ratio = best / base if best is not None and base else None
            if ratio is not None:
                overheads[line.label.rsplit(", ", 1)[1]] = ratio - 1
            note = f"  n/a: {line.error}" if line.error else ""
            print(f"{line.label:<44} {fmt(best and best * 1e6, 9, 2)} {fmt(ratio, 7, 3)} "
                  f"{fmt(ratio and (ratio - 1) * 100, 8, 1)}%{note}")
        ours, otel = overheads.get("ours"), overheads.get("OTel 0.66b1")
        if ours is not None and otel is not None:
            verdict = "ok" if ours < otel else "MISSED"
            verdicts.append(f"{name}: ours {ours * 100:+.1f}% vs OTel {otel * 100:+.1f}% "
                            f"(target: under OTel's) {verdict}")
    print()
    for verdict in verdicts:
        print(verdict)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main(sys.argv[1:]))
