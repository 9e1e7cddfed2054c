"""Cost of ``with tracer.start_active_span('x'): pass``, ours against PyPI's opentracing 2.4.0.

What is measured
    One statement, ``with tracer.start_active_span('x'): pass``, for seven lines:

    * ``bare f()``        -- a call of an empty function ``f()``: the baseline;
    * ``noop Tracer``     -- the no-op ``opentracing.Tracer()``;
    * ``Mock+ThreadLocal``, ``Mock+Asyncio``, ``Mock+ContextVars``, ``Mock+Gevent`` and
      ``Mock+Tornado``    -- ``MockTracer`` with the named scope manager. The asyncio line runs
      inside a running asyncio task, the gevent line inside a spawned greenlet and the Tornado
      line inside a coroutine on a running ``IOLoop`` (within ``tracer_stack_context()``), so
      that each manager takes its real path rather than a thread-local fallback.

How
    As ``timeit`` does: the statement runs in a plain ``for`` loop over
    ``itertools.repeat(None, n)``, timed with ``time.perf_counter`` (the loop's own overhead is
    included, for the baseline too), with the garbage collector switched off during the batch
    as ``timeit`` does. ``n`` is calibrated per line so that one batch lasts
    about ``--batch-seconds``; each line then runs ``--repeat`` batches. Between batches, outside
    the timed part, ``tracer.reset()`` empties MockTracer's list of finished spans, so it does
    not grow without bound. The event loop or greenlet is entered outside the timed part too.
    A line's figure is the *minimum* time per call over all its batches (the least disturbed
    run), in nanoseconds, and its ratio to the ``bare f()`` line of the same column.

Side by side
    Each column is measured by this script running itself in a child process (``--child``).
    The "2.4.0" child gets ``PYTHONPATH`` pointing at a temporary folder into which
    ``pip install --no-deps --target`` has put ``opentracing==2.4.0`` and ``tornado==5.1.1``
    (2.4.0's TornadoScopeManager is built on ``tornado.stack_context``, gone in Tornado 6), so
    it imports them instead of this checkout and the venv's Tornado; each column header shows
    the ``opentracing.__file__`` and version that child really imported. The two children are
    run alternately ``--rounds`` times and the minimum over the rounds is kept, so a slow
    spell of the machine hits both columns alike. The last column is ours/2.4.0; lines where
    ours is slower (ratio above 1.00) are marked. A line that cannot run on one side prints
    "n/a" and the reason.

Usage
    python benchmarks/bench_opentracing.py              # full run, both columns
    python benchmarks/bench_opentracing.py --quick      # a short run (both columns)
    python benchmarks/bench_opentracing.py --quick --no-compare   # ours only, no pip
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import repeat
from typing import Any, Callable, Dict, List, Optional, Tuple

from _timing import apply_defaults, calibrate, error_text, exit_status, fmt, gc_paused
from _timing import nothing, pip_install_target, time_active_spans, time_bare, timing_parser

LINES = [
    ("bare", "bare f()"),
    ("noop", "noop Tracer"),
    ("threadlocal", "Mock+ThreadLocal"),
    ("asyncio", "Mock+Asyncio"),
    ("contextvars", "Mock+ContextVars"),
    ("gevent", "Mock+Gevent"),
    ("tornado", "Mock+Tornado"),
]

BASELINE_PACKAGES = ["opentracing==2.4.0"]
BASELINE_TORNADO = "tornado==5.1.1"


# --------------------------------------------------------------------------- measuring
# These run in the child process, against whichever opentracing it imports.


def _batches(
    timer: Callable[[int], float], reset: Callable[[], None], target: float, repeats: int
) -> List[float]:
    """Seconds per call of each of ``repeats`` calibrated batches."""
    with gc_paused():
        n = calibrate(timer, reset, target)
        result = []
        for _ in range(repeats):
            reset()
            result.append(timer(n) / n)
        reset()
    return result


def _run_sync(job: Callable[[], List[float]]) -> List[float]:
    return job()


def _run_in_asyncio_task(job: Callable[[], List[float]]) -> List[float]:
    import asyncio

    async def main() -> List[float]:
        assert asyncio.current_task() is not None
        return job()

    return asyncio.run(main())


def _run_in_greenlet(job: Callable[[], List[float]]) -> List[float]:
    import gevent

    return gevent.spawn(job).get()


def _run_in_ioloop(job: Callable[[], List[float]]) -> List[float]:
    from tornado.ioloop import IOLoop

    from opentracing.scope_managers.tornado import tracer_stack_context

    async def main() -> List[float]:
        with tracer_stack_context():
            return job()

    loop = IOLoop()
    try:
        return loop.run_sync(main)
    finally:
        loop.close()


def _make_case(key: str) -> Tuple[Any, Callable[[Callable[[], List[float]]], List[float]]]:
    """The tracer of one line (None for the baseline) and the runner that enters its world."""
    if key == "bare":
        return None, _run_sync
    import opentracing

    if key == "noop":
        return opentracing.Tracer(), _run_sync
    from opentracing.mocktracer import MockTracer

    if key == "threadlocal":
        from opentracing.scope_managers import ThreadLocalScopeManager

        return MockTracer(ThreadLocalScopeManager()), _run_sync
    if key == "asyncio":
        from opentracing.scope_managers.asyncio import AsyncioScopeManager

        return MockTracer(AsyncioScopeManager()), _run_in_asyncio_task
    if key == "contextvars":
        from opentracing.scope_managers.contextvars import ContextVarsScopeManager

        return MockTracer(ContextVarsScopeManager()), _run_sync
    if key == "gevent":
        from opentracing.scope_managers.gevent import GeventScopeManager

        return MockTracer(GeventScopeManager()), _run_in_greenlet
    if key == "tornado":
        from opentracing.scope_managers.tornado import TornadoScopeManager

        return MockTracer(TornadoScopeManager()), _run_in_ioloop
    raise ValueError(key)


def _check_active(tracer: Any) -> None:
    """Make sure the line really activates (guards against a silently broken manager)."""
    with tracer.start_active_span("check") as scope:
        if tracer.scope_manager.active is not scope:
            raise RuntimeError("the started scope is not the active one")


def measure_line(key: str, target: float, repeats: int) -> List[float]:
    tracer, runner = _make_case(key)
    if tracer is None:
        return runner(lambda: _batches(time_bare, nothing, target, repeats))
    reset = getattr(tracer, "reset", nothing)

    def job() -> List[float]:
        if key != "noop":
            _check_active(tracer)
        return _batches(lambda n: time_active_spans(tracer, n), reset, target, repeats)

    return runner(job)


def _describe_imports() -> Dict[str, Any]:
    import opentracing

    info: Dict[str, Any] = {"file": opentracing.__file__}
    try:
        from importlib.metadata import version

        info["version"] = version("opentracing")
    except Exception as exc:  # pragma: no cover - metadata missing
        info["version"] = f"? ({exc})"
    try:
        import tornado

        info["tornado"] = tornado.version
    except ImportError:
        info["tornado"] = None
    return info


def child_main(args: argparse.Namespace) -> int:
    """Measure every line in this process and print the results as one JSON object."""
    info = _describe_imports()
    if args.expect_prefix and not os.path.abspath(info["file"]).startswith(args.expect_prefix):
        print(json.dumps({"fatal": f"imported {info['file']}, not one under {args.expect_prefix}"}))
        return 1
    results: Dict[str, Optional[List[float]]] = {}
    errors: Dict[str, str] = {}
    for key, _label in LINES:
        try:
            results[key] = measure_line(key, args.batch_seconds, args.repeat)
        except Exception as exc:
            results[key] = None
            errors[key] = error_text(exc)
    print(json.dumps({"info": info, "results": results, "errors": errors}))
    return 0


# --------------------------------------------------------------------------- orchestrating


class Column:
    """The figures of one side (ours or 2.4.0), gathered over several child runs."""

    def __init__(self, name: str, env: Optional[Dict[str, str]] = None, expect_prefix: str = ""):
        self.name = name
        self.env = env
        self.expect_prefix = expect_prefix
        self.info: Dict[str, Any] = {}
        self.best: Dict[str, Optional[float]] = {key: None for key, _ in LINES}
        self.errors: Dict[str, str] = {}
        self.unavailable: Optional[str] = None

    def run_once(self, args: argparse.Namespace) -> None:
        if self.unavailable:
            return
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            "--repeat",
            str(args.repeat),
            "--batch-seconds",
            str(args.batch_seconds),
        ]
        if self.expect_prefix:
            cmd += ["--expect-prefix", self.expect_prefix]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True)
        try:
            data = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise SystemExit(
                f"{self.name}: the child process failed (exit {proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        if "fatal" in data:
            raise SystemExit(f"{self.name}: {data['fatal']}")
        self.info = data["info"]
        self.errors.update(data["errors"])
        for key, per_call in data["results"].items():
            if per_call:
                low = min(per_call) * 1e9
                old = self.best[key]
                self.best[key] = low if old is None else min(old, low)

    def cell(self, key: str) -> Optional[float]:
        return None if self.unavailable else self.best.get(key)

    def reason(self, key: str) -> str:
        return self.unavailable or self.errors.get(key, "no result")


def _our_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def _install_baseline(folder: str) -> Tuple[Optional[str], Optional[str]]:
    """Install 2.4.0 (and Tornado 5.1.1) into ``folder``: (error, tornado error)."""
    error = pip_install_target(folder, BASELINE_PACKAGES)
    if error:
        return error, None
    return None, pip_install_target(folder, [BASELINE_TORNADO])


def print_table(columns: List[Column]) -> None:
    for col in columns:
        if col.unavailable:
            print(f"[{col.name}] n/a: {col.unavailable}")
        else:
            print(f"[{col.name}] opentracing {col.info.get('version')} from "
                  f"{col.info.get('file')} (tornado {col.info.get('tornado')})")
    print()
    header = f"{'line':<18}"
    for col in columns:
        header += f" {col.name + ' ns':>12} {'x bare':>7}"
    if len(columns) == 2:
        header += f" {'ours/' + columns[1].name:>12}"
    print(header)
    print("-" * len(header))
    notes: List[str] = []
    for key, label in LINES:
        row = f"{label:<18}"
        for col in columns:
            value, bare = col.cell(key), col.cell("bare")
            ratio = value / bare if value is not None and bare else None
            row += f" {fmt(value, 12)} {fmt(ratio, 7, 2)}"
            if value is None:
                notes.append(f"{label} [{col.name}]: n/a: {col.reason(key)}")
        if len(columns) == 2:
            ours, theirs = columns[0].cell(key), columns[1].cell(key)
            if ours is not None and theirs is not None:
                ratio = ours / theirs
                row += f" {ratio:>12.2f}"
                if ratio > 1.0 and key != "bare":
                    row += "  <- ours slower"
            else:
                row += f" {'n/a':>12}"
        print(row)
    for note in notes:
        print(note)


def main(argv: Optional[List[str]] = None) -> int:
    parser = timing_parser(__doc__, no_compare_help="measure ours only (no pip)",
                           rounds_help="child runs per column", repeat_help="batches per line per run")
    parser.add_argument("--baseline-dir",
                        help="reuse (or fill) this folder for 2.4.0 instead of a temporary one")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--expect-prefix", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    apply_defaults(args)
    if args.child:
        return child_main(args)

    ours = Column("ours", _our_env())
    columns = [ours]
    cleanup: Optional[str] = None
    tornado_error: Optional[str] = None
    if not args.no_compare:
        folder = args.baseline_dir
        if folder is None:
            folder = cleanup = tempfile.mkdtemp(prefix="opentracing-2.4.0-")
        folder = os.path.abspath(folder)
        baseline = Column("2.4.0", expect_prefix=folder)
        if os.path.isdir(os.path.join(folder, "opentracing")):
            error, tornado_error = None, None
        else:
            print(f"installing opentracing 2.4.0 and {BASELINE_TORNADO} into {folder} ...",
                  flush=True)
            error, tornado_error = _install_baseline(folder)
        baseline.unavailable = error
        env = dict(os.environ)
        env["PYTHONPATH"] = folder
        baseline.env = env
        columns.append(baseline)
    try:
        for round_no in range(args.rounds):
            # Alternate the sides, so a slow spell of the machine hits both.
            order = columns if round_no % 2 == 0 else columns[::-1]
            for col in order:
                print(f"round {round_no + 1}/{args.rounds}: measuring {col.name} ...",
                      flush=True)
                col.run_once(args)
        if tornado_error:  # the reason that counts, not the child's failed import
            columns[1].errors["tornado"] = tornado_error
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
    print()
    print("with tracer.start_active_span('x'): pass  -- ns per call, minimum of "
          f"{args.rounds} x {args.repeat} batches of ~{args.batch_seconds}s")
    print_table(columns)
    return exit_status([label for key, label in LINES if ours.cell(key) is None], whose="our ")


if __name__ == "__main__":
    sys.exit(main())
