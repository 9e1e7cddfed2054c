"""Cost of ``traced`` (``@trace``, ``span()``) per call, tracing off and on.

What is measured
    (a) Tracing off (the default no-op global tracer): a bare call ``f()`` of an empty
        function; ``f`` behind a trivial ``functools.wraps`` pass-through wrapper; ``f`` under
        ``@trace`` (target: at most 1.5x the pass-through). The same for ``async def``: awaiting
        a bare coroutine function, an ``async`` pass-through wrapper and an ``@trace``\\ d
        ``async def`` (target: at most 1.5x the async pass-through); and, for information,
        iterating a one-item generator, untraced and under ``@trace``.
    (b) ``MockTracer`` as the global tracer, once with ``ThreadLocalScopeManager`` and once
        with ``ContextVarsScopeManager``: the hand-written
        ``with opentracing.global_tracer().start_active_span("x") as scope: scope.span; f()``
        against ``@trace("x")`` on ``f`` and ``with traced.span("x") as s: f()`` (target: at
        most the hand-written form + 10%).
    (c) Side by side, tracing off: our ``@trace`` against ``opentracing_utils.trace()``
        (PyPI ``opentracing-utils`` 0.23.0, run on *this* checkout's ``opentracing``) and
        OpenTelemetry's no-op ``tracer.start_as_current_span("x")`` used as a decorator (PyPI
        ``opentelemetry-api`` with no SDK configured). Target: ours at least 10x faster.

How
    As ``timeit`` does, and as ``bench_opentracing.py`` does: each statement runs in a plain
    ``for`` loop over ``itertools.repeat(None, n)`` timed with ``time.perf_counter`` (the loop's
    own overhead is included, for the baselines too), with the garbage collector off during a
    batch. ``n`` is calibrated once per line so a batch lasts about ``--batch-seconds``. Every
    line runs ``--repeat`` batches per round, for ``--rounds`` rounds, the lines taking turns
    within each round so a slow spell of the machine hits them alike. The async lines await
    ``n`` times inside one coroutine (run by ``asyncio.run``) and the clock is read inside it,
    so starting and stopping the event loop is not counted. Between batches, outside the timed
    part, ``tracer.reset()`` empties MockTracer's list of finished spans.

    A line's figure is the *minimum* time per call over all its batches (the least disturbed
    run), in nanoseconds; the median is shown next to it. ``x bare`` is the ratio to the
    ``bare f()`` line of the same process; ``vs ref`` the ratio to the line the target is
    about (named in the last column).

Side by side
    ``pip install --no-deps --target`` puts ``opentelemetry-api`` in one folder and
    ``opentracing-utils==0.23.0`` with ``future`` (its only other runtime need; ``opentracing``
    itself is never installed, so it imports this checkout's) in another, plus
    ``typing-extensions``/``setuptools`` only if this interpreter lacks them. A child process
    with ``PYTHONPATH`` set to those folders measures ``bare f()``, our ``@trace`` and the two
    others, and checks that ``opentracing.__file__`` is this checkout's. A package that cannot
    be installed or imported prints "n/a (<reason>)" on its line.

Usage
    python benchmarks/bench_traced.py                  # full run, with the side by side
    python benchmarks/bench_traced.py --quick          # a short run
    python benchmarks/bench_traced.py --quick --no-compare   # ours only, no pip
    python benchmarks/bench_traced.py --compare-dir .cache/bench_traced   # keep the installs
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import repeat
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from anywhere, against this checkout
    sys.path.insert(0, str(REPO))

import opentracing  # noqa: E402
import traced  # noqa: E402
from traced import trace  # noqa: E402

from _timing import apply_defaults, calibrate, error_text, exit_status, fmt, gc_paused  # noqa: E402
from _timing import nothing, pip_install_target, timing_parser  # noqa: E402

OTEL_PACKAGES = ["opentelemetry-api"]
OTU_PACKAGES = ["opentracing-utils==0.23.0", "future"]


# --------------------------------------------------------------------------- the code measured


def f() -> None:
    """The trivial function every line calls."""


def passthrough(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The cheapest honest decorator: what any wrapper costs at least."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


async def coro() -> None:
    """The trivial coroutine function."""


def async_passthrough(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await fn(*args, **kwargs)

    return wrapper


def gen() -> Any:
    """A generator of one item."""
    yield None


# --------------------------------------------------------------------------- timers
# Each returns the seconds ``n`` executions of its statement take.


def _time_call(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        fn()
    return time.perf_counter() - start


def _time_await(fn: Callable[[], Any], n: int) -> float:
    async def run() -> float:
        start = time.perf_counter()
        for _ in repeat(None, n):
            await fn()
        return time.perf_counter() - start

    return asyncio.run(run())


def _time_iterate(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        for _ in fn():
            pass
    return time.perf_counter() - start


def _time_handwritten(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        with opentracing.global_tracer().start_active_span("x") as scope:
            scope.span
            fn()
    return time.perf_counter() - start


def _time_span_cm(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        with traced.span("x") as s:  # noqa: F841 - the form users write
            fn()
    return time.perf_counter() - start


class Line:
    """One row of the table: a timer, the callable it runs, and what it is compared with."""

    def __init__(
        self,
        key: str,
        label: str,
        timer: Callable[[Callable[[], Any], int], float],
        fn: Callable[[], Any],
        ref: Optional[str] = None,
        target: Optional[float] = None,
        reset: Callable[[], None] = nothing,
    ) -> None:
        self.key = key
        self.label = label
        self.timer = timer
        self.fn = fn
        self.ref = ref
        self.target = target  # max ratio to ``ref``
        self.reset = reset
        self.n = 0
        self.per_call: List[float] = []  # seconds, one per batch
        self.error: Optional[str] = None

    def batch(self, n: int) -> float:
        return self.timer(self.fn, n)


def run_lines(lines: List[Line], args: argparse.Namespace, setup: Callable[[Line], None]) -> None:
    """Measure ``lines`` for ``args.rounds`` rounds of ``args.repeat`` batches, in turns.

    ``setup(line)`` installs what the line needs (its global tracer) before each turn."""
    with gc_paused():
        for _round in range(args.rounds):
            for line in lines:
                if line.error is not None:
                    continue
                try:
                    setup(line)
                    if not line.n:
                        line.n = calibrate(line.batch, line.reset, args.batch_seconds)
                    for _ in range(args.repeat):
                        line.reset()
                        line.per_call.append(line.batch(line.n) / line.n)
                    line.reset()
                except Exception as exc:
                    line.error = error_text(exc)
            gc.collect()


# --------------------------------------------------------------------------- (a) and (b)


def tracing_off_lines() -> List[Line]:
    return [
        Line("bare", "bare f()", _time_call, f),
        Line("wraps", "functools.wraps pass-through", _time_call, passthrough(f)),
        Line("trace", "@trace", _time_call, trace(f), ref="wraps", target=1.5),
        Line("abare", "await bare coroutine", _time_await, coro),
        Line("awraps", "await async pass-through", _time_await, async_passthrough(coro),
             ref="abare"),
        Line("atrace", "@trace async def", _time_await, trace(coro), ref="awraps", target=1.5),
        Line("gen", "generator (1 item), untraced", _time_iterate, gen),
        Line("gtrace", "@trace generator (1 item)", _time_iterate, trace(gen), ref="gen"),
    ]


def _mock_tracer(manager: str) -> Any:
    from opentracing.mocktracer import MockTracer

    if manager == "ThreadLocal":
        from opentracing.scope_managers import ThreadLocalScopeManager

        return MockTracer(ThreadLocalScopeManager())
    from opentracing.scope_managers.contextvars import ContextVarsScopeManager

    return MockTracer(ContextVarsScopeManager())


MANAGERS = ["ThreadLocal", "ContextVars"]


def mock_lines() -> Tuple[List[Line], Dict[str, Any]]:
    """The lines of (b) and the tracer each line must find installed globally."""
    lines: List[Line] = []
    tracers: Dict[str, Any] = {}
    for manager in MANAGERS:
        tracer = _mock_tracer(manager)
        hand = f"hand-{manager}"
        for key, label, timer, fn, ref, target in [
            (hand, "hand-written start_active_span", _time_handwritten, f, None, None),
            (f"trace-{manager}", "@trace('x')", _time_call, trace("x")(f), hand, 1.1),
            (f"span-{manager}", "with traced.span('x')", _time_span_cm, f, hand, 1.1),
        ]:
            lines.append(Line(key, f"{label} [{manager}]", timer, fn, ref, target, tracer.reset))
            tracers[key] = tracer
    return lines, tracers


def _check_mock_line(line: Line, tracer: Any) -> None:
    """One execution must finish exactly one span "x" that was active while ``f`` ran."""
    seen: List[Any] = []

    def probe() -> None:
        seen.append(tracer.active_span)

    tracer.reset()
    line.timer(trace("x")(probe) if line.key.startswith("trace-") else probe, 1)
    spans = tracer.finished_spans()
    tracer.reset()
    if len(spans) != 1 or spans[0].operation_name != "x" or seen != [spans[0]]:
        raise RuntimeError(f"{line.label}: expected one active span 'x', got {spans!r}")


def measure_ours(args: argparse.Namespace) -> List[Line]:
    off = tracing_off_lines()
    if opentracing.global_tracer().__class__ is not opentracing.Tracer:
        raise SystemExit("the global tracer is not the no-op Tracer")
    mock, tracers = mock_lines()
    for line in mock:
        try:
            opentracing.set_global_tracer(tracers[line.key])
            _check_mock_line(line, tracers[line.key])
        except Exception as exc:
            line.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
    opentracing._reset_global_tracer()

    def install(line: Line) -> None:
        if line.key in tracers:
            opentracing.set_global_tracer(tracers[line.key])
        else:
            opentracing._reset_global_tracer()

    try:
        run_lines(off + mock, args, install)
    finally:
        opentracing._reset_global_tracer()
    return off + mock


# --------------------------------------------------------------------------- (c) side by side

COMPARE_LINES = [
    ("bare", "bare f()"),
    ("ours", "ours: @trace"),
    ("otu", "opentracing_utils @trace()"),
    ("otel", "OTel @start_as_current_span"),
]


def _otu_traced() -> Callable[[], Any]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pkg_resources' deprecation notice
        import opentracing_utils
    ours = os.path.join(str(REPO), "opentracing", "__init__.py")
    if os.path.abspath(opentracing.__file__) != ours:
        raise RuntimeError(f"opentracing_utils would use {opentracing.__file__}, not {ours}")
    if opentracing_utils.trace.__module__ != "opentracing_utils.decorators":
        raise RuntimeError("opentracing_utils.trace is not its decorator")
    return opentracing_utils.trace()(f)  # type: ignore[no-any-return]


def _otel_traced() -> Callable[[], Any]:
    from opentelemetry import trace as otel_trace

    tracer = otel_trace.get_tracer(__name__)
    traced_f = tracer.start_as_current_span("x")(f)
    span = [None]

    def probe() -> None:
        span[0] = otel_trace.get_current_span()

    tracer.start_as_current_span("x")(probe)()
    if span[0] is None or span[0].is_recording():
        raise RuntimeError(f"OpenTelemetry is not the no-op: span {span[0]!r}")
    return traced_f  # type: ignore[no-any-return]


def _version(dist: str) -> str:
    from importlib.metadata import version

    try:
        return version(dist)
    except Exception:
        return "?"


def compare_child_main(args: argparse.Namespace) -> int:
    """Measure the (c) lines in this process (PYTHONPATH set by the parent); print JSON."""
    lines = [Line("bare", "bare f()", _time_call, f), Line("ours", "ours", _time_call, trace(f))]
    errors: Dict[str, str] = {}
    for key, make in (("otu", _otu_traced), ("otel", _otel_traced)):
        try:
            lines.append(Line(key, key, _time_call, make()))
        except Exception as exc:
            errors[key] = error_text(exc)
    if opentracing.global_tracer().__class__ is not opentracing.Tracer:
        errors["ours"] = "the global tracer is not the no-op Tracer"
    run_lines(lines, args, lambda line: None)
    info = {
        "opentracing": opentracing.__file__,
        "opentracing-utils": _version("opentracing-utils"),
        "opentelemetry-api": _version("opentelemetry-api"),
    }
    results = {line.key: line.per_call for line in lines if line.error is None}
    errors.update({line.key: line.error for line in lines if line.error is not None})
    print(json.dumps({"info": info, "results": results, "errors": errors}))
    return 0


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _pip_target(folder: Path, packages: List[str]) -> Optional[str]:
    """Install ``packages`` into ``folder`` unless done before: None, or why it failed."""
    done = folder / ".complete"
    if done.exists():
        return None
    error = pip_install_target(str(folder), packages)
    if error:
        return error
    if (folder / "opentracing").exists():
        return "pip put a copy of opentracing there; refusing to use it"
    done.write_text(" ".join(packages) + "\n")
    return None


def run_compare(args: argparse.Namespace) -> Tuple[Dict[str, Any], Dict[str, float], Dict[str, str]]:
    """(info, best ns per line key, reason per line key without a figure)."""
    errors: Dict[str, str] = {}
    cleanup: Optional[str] = None
    root = args.compare_dir
    if root is None:
        root = cleanup = tempfile.mkdtemp(prefix="bench-traced-")
    root_path = Path(root).resolve()
    try:
        otel_pkgs = list(OTEL_PACKAGES)
        if not _importable("typing_extensions"):
            otel_pkgs.append("typing-extensions>=4.5")
        otu_pkgs = list(OTU_PACKAGES)
        if not _importable("pkg_resources"):
            otu_pkgs.append("setuptools<81")  # opentracing_utils/__init__ imports pkg_resources
        paths = []
        for key, folder, packages in (("otel", "otel", otel_pkgs), ("otu", "otu", otu_pkgs)):
            target = root_path / folder
            target.mkdir(parents=True, exist_ok=True)
            if not (target / ".complete").exists():
                print(f"installing {' '.join(packages)} into {target} ...", flush=True)
            error = _pip_target(target, packages)
            if error:
                errors[key] = error
            else:
                paths.append(str(target))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(paths)
        cmd = [sys.executable, os.path.abspath(__file__), "--child-compare",
               "--rounds", str(args.rounds), "--repeat", str(args.repeat),
               "--batch-seconds", str(args.batch_seconds)]
        print("measuring the side by side in a child process ...", flush=True)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(REPO))
        try:
            data = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            reason = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            return {}, {}, {key: f"child failed: {reason}" for key, _ in COMPARE_LINES}
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
    best = {key: min(per_call) * 1e9 for key, per_call in data["results"].items() if per_call}
    for key, reason in data["errors"].items():
        errors.setdefault(key, reason)
    return data["info"], best, errors


# --------------------------------------------------------------------------- printing


LABEL_WIDTH = 48


def print_ours(lines: List[Line]) -> None:
    by_key = {line.key: line for line in lines}
    bare = min(by_key["bare"].per_call) * 1e9 if by_key["bare"].per_call else None
    header = (f"{'line':<{LABEL_WIDTH}} {'ns':>8} {'median':>8} {'x bare':>7} {'vs ref':>7}"
              "  target")
    sections = {
        "bare": "(a) tracing off: the no-op global tracer",
        f"hand-{MANAGERS[0]}": f"(b) MockTracer({MANAGERS[0]}ScopeManager()) as the global tracer",
        f"hand-{MANAGERS[1]}": f"(b) MockTracer({MANAGERS[1]}ScopeManager()) as the global tracer",
    }
    print(header)
    print("-" * len(header))
    for line in lines:
        if line.key in sections:
            print(sections[line.key])
        label = f"  {line.label}"
        if not line.per_call:
            print(f"{label:<{LABEL_WIDTH}} n/a ({line.error or 'no result'})")
            continue
        low = min(line.per_call) * 1e9
        median = statistics.median(line.per_call) * 1e9
        row = f"{label:<{LABEL_WIDTH}} {low:>8.1f} {median:>8.1f} {fmt(low / bare if bare else None, 7, 2)}"
        ref = by_key.get(line.ref) if line.ref else None
        if ref is not None and ref.per_call:
            ratio = low / (min(ref.per_call) * 1e9)
            row += f" {ratio:>7.2f}  vs {ref.label.split(' [')[0]}"
            if line.target is not None:
                verdict = "ok" if ratio <= line.target else "MISSED"
                row += f": <= {line.target:.2f} {verdict}"
        print(row)


def print_compare(info: Dict[str, Any], best: Dict[str, float], errors: Dict[str, str],
                  skipped: Optional[str]) -> None:
    print("(c) side by side, tracing off (child process)")
    if info:
        print(f"    opentracing from {info.get('opentracing')}; opentracing-utils "
              f"{info.get('opentracing-utils')}, opentelemetry-api {info.get('opentelemetry-api')}")
    ours = best.get("ours")
    bare = best.get("bare")
    for key, label in COMPARE_LINES:
        label = f"  {label}"
        if skipped:
            print(f"{label:<{LABEL_WIDTH}} skipped ({skipped})")
            continue
        value = best.get(key)
        if value is None:
            print(f"{label:<{LABEL_WIDTH}} n/a ({errors.get(key, 'no result')})")
            continue
        row = f"{label:<{LABEL_WIDTH}} {value:>8.1f} {'':>8} {fmt(value / bare if bare else None, 7, 2)}"
        if key in ("otu", "otel") and ours:
            factor = value / ours
            verdict = "ok" if factor >= 10 else "MISSED"
            row += f"  ours {factor:.1f}x faster: >= 10 {verdict}"
        print(row)


# --------------------------------------------------------------------------- main


def main(argv: Optional[List[str]] = None) -> int:
    parser = timing_parser(__doc__, no_compare_help="skip the side by side (no pip)",
                           rounds_help="rounds over all lines", repeat_help="batches per line per round")
    parser.add_argument("--compare-dir",
                        help="reuse (or fill) this folder for the side-by-side packages "
                             "instead of a temporary one")
    parser.add_argument("--child-compare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    apply_defaults(args)
    if args.child_compare:
        return compare_child_main(args)

    print("measuring ours ...", flush=True)
    lines = measure_ours(args)
    info: Dict[str, Any] = {}
    best: Dict[str, float] = {}
    errors: Dict[str, str] = {}
    skipped = "--no-compare" if args.no_compare else None
    if not skipped:
        info, best, errors = run_compare(args)
    print()
    print(f"ns per call, minimum (and median) of {args.rounds} x {args.repeat} batches of "
          f"~{args.batch_seconds}s; Python {sys.version.split()[0]}")
    print_ours(lines)
    print_compare(info, best, errors, skipped)
    return exit_status([line.label for line in lines if not line.per_call])


if __name__ == "__main__":
    sys.exit(main())
