"""Cost of a span of the recording tracer ``traced.Tracer``, against a minimal Python span,
the OpenTelemetry SDK, jaeger-client 4.8.0 and basictracer 3.2.0, and the targets of issue 9.

What is measured
    Every line is one statement, per execution, in nanoseconds and as a ratio to a bare call
    ``f()`` of an empty function measured in the same process:

    * ours, ``traced.Tracer()`` with its default ``MemoryRecorder`` (emptied between batches
      with ``tracer.recorder.clear()``) and default sampler (parent-based, always on):
      ``with tracer.start_active_span("x"): pass``, sampled; the same on
      ``traced.Tracer(sampler=ALWAYS_OFF)``, unsampled; with 8 tags given on start
      (``tags=TAGS``, a dict built once, so the line costs the tracer's handling of the tags
      and not the building of a dict literal); and, with the sampled tracer installed as the
      global tracer, the hand-written ``with opentracing.global_tracer().start_active_span("x"):
      f()`` against a call of ``f`` under ``@trace("x")`` (the same work: look the global
      tracer up, start and activate a span, call ``f``, close the scope);
    * the reference of the issue: a minimal Python span (a class with ``__slots__``, a 128-bit
      trace id and a 64-bit span id from ``random.getrandbits``, ``time.time_ns()`` at start
      and finish, appended to a list when finished; the list emptied between batches), used
      as ``with minimal_span("x"): pass``; and the same with contextvar activation
      (``ContextVar.set`` on enter, ``reset`` on exit, the parent read from the ContextVar);
    * OpenTelemetry SDK (the ``opentelemetry-sdk`` of this interpreter):
      ``with tracer.start_as_current_span("x"): pass`` on a ``TracerProvider`` with
      ``ParentBased(ALWAYS_ON)`` and one span processor that discards, and with
      ``ALWAYS_OFF``;
    * jaeger-client 4.8.0: ``with tracer.start_active_span("x"): pass`` on
      ``Config(...).create_tracer`` with a ``NullReporter`` and ``ConstSampler(True)`` /
      ``ConstSampler(False)`` (its default ``ThreadLocalScopeManager``, this checkout's);
    * basictracer 3.2.0: the same statement on ``BasicTracer`` with a recorder that discards
      (its default sampler samples every span, its default ``ThreadLocalScopeManager``).

    Each peer runs with its own default scope manager (ours and OpenTelemetry: contextvars).
    Before a line is measured, one execution is checked to do what the line says (the span
    active in the block, sampled or not, recorded or not); a line that fails the check, or
    whose package cannot be installed or imported, prints "n/a" and the reason.

How
    As the other ``bench_*.py`` do (``_timing.py`` offers no other clock): each statement runs
    in a plain ``for`` loop over ``itertools.repeat(None, n)`` timed with
    ``time.perf_counter`` (wall clock; the loop's own overhead is included, in the bare line
    too), the garbage collector off during a batch. ``n`` is calibrated per line so a batch
    lasts about ``--batch-seconds``; then the lines of a process take turns, one batch each,
    ``--repeat`` times (so a slow spell of the machine hits them alike). A line's figure is
    the *minimum* time per execution over all its batches of all rounds (the least disturbed
    run); the median is shown next to it. The issue's orientation figures were thread CPU
    time; wall-clock minima of short batches on an idle core come out close to it.

Side by side, in the same run
    Two child processes of this script measure: "main" (this checkout's ``traced`` and
    ``opentracing``, the reference spans and the interpreter's OpenTelemetry SDK) and
    "peers" (jaeger-client and basictracer). ``pip install --no-deps --target`` puts
    jaeger-client 4.8.0 with ``tornado==5.1.1`` (it needs Tornado < 6), threadloop, thrift
    and six in one folder and basictracer 3.2.0 with ``protobuf==3.20.3`` and six in another;
    ``opentracing`` is never installed, so both run on this checkout's, which the child
    checks. The peers child gets ``PYTHONPATH`` = those folders, then
    ``tests/compat/plugins/old_tornado`` (a ``sitecustomize`` putting the container ABCs back
    on ``collections`` for Tornado 5.1 on Python 3.10+), then this checkout. The two
    children run alternately ``--rounds`` times, so a slow spell of the machine hits both;
    figures of different children are compared in nanoseconds.

Targets (issue 9, "Speed"), in the last column and summed up at the end
    * sampled ``with start_active_span``: at most 2x the minimal activated span;
    * at least 8x cheaper than OpenTelemetry's sampled span, 4x than jaeger-client's;
    * unsampled: at least 15x cheaper than OpenTelemetry's ``ALWAYS_OFF``;
    * ``@trace`` at most 1.10x the hand-written ``with``; 8 tags at most 1.5x none.
    Each verdict is "ok" or "MISSED"; the summary gives, for a missed one, by how much and
    the figure our line would need.

Usage
    python benchmarks/bench_tracer.py                 # full run, every peer
    python benchmarks/bench_tracer.py --quick         # a short run
    python benchmarks/bench_tracer.py --quick --no-compare   # no pip: no jaeger/basictracer
    python benchmarks/bench_tracer.py --compare-dir .cache/bench_tracer   # keep the installs
"""

from __future__ import annotations

import argparse
import contextvars
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
from random import getrandbits
from typing import Any, Callable, Dict, List, Optional, Tuple

from _timing import EIGHT_TAGS, apply_defaults, calibrate, error_text, exit_status, fmt, gc_paused
from _timing import empty, nothing, pip_install_target, time_active_spans, time_bare, timing_parser

REPO = Path(__file__).resolve().parent.parent
OLD_TORNADO_SHIM = REPO / "tests" / "compat" / "plugins" / "old_tornado"

JAEGER_PACKAGES = ["jaeger-client==4.8.0", "tornado==5.1.1", "threadloop==1.0.2",
                   "thrift==0.25.0", "six==1.17.0"]
BASIC_PACKAGES = ["basictracer==3.2.0", "protobuf==3.20.3", "six==1.17.0"]

# What a "max" target's cell calls the line it is judged against.
SHORT = {"ref_active": "minimal+contextvar", "ours_hand": "hand-written", "ours_sampled": "no tags"}

# (key, label, child): the rows of the table, in order; ``child`` is the process measuring it.
LINES: List[Tuple[str, str, str]] = [
    ("bare", "bare f()", "main"),
    ("ours_sampled", "ours sampled: with start_active_span", "main"),
    ("ours_unsampled", "ours unsampled (ALWAYS_OFF)", "main"),
    ("ours_tags", "ours sampled, 8 tags on start", "main"),
    ("ours_hand", "ours hand-written with global_tracer(): f()", "main"),
    ("ours_trace", "ours @trace('x') f()", "main"),
    ("ref_span", "minimal span (slots, time_ns, getrandbits)", "main"),
    ("ref_active", "minimal span + contextvar set/reset", "main"),
    ("otel_sampled", "OTel SDK sampled, discarding processor", "main"),
    ("otel_off", "OTel SDK ALWAYS_OFF", "main"),
    ("peers_bare", "bare f() [peers process]", "peers"),
    ("jaeger_sampled", "jaeger-client 4.8.0 const 1, NullReporter", "peers"),
    ("jaeger_unsampled", "jaeger-client 4.8.0 const 0, NullReporter", "peers"),
    ("basic", "basictracer 3.2.0, discarding recorder", "peers"),
]
LABELS = {key: label for key, label, _ in LINES}
OURS = [key for key, _, child in LINES if child == "main" and not key.startswith("otel")]
SECTIONS = {
    "bare": "baseline",
    "ours_sampled": "ours: traced.Tracer (contextvars, MemoryRecorder cleared between batches)",
    "ref_span": "reference (issue 9): a minimal Python span",
    "otel_sampled": "OpenTelemetry SDK: with tracer.start_as_current_span('x'): pass",
    "peers_bare": "peers (child process): with tracer.start_active_span('x'): pass",
}

# (our line, the line it is judged against, kind, bound, text):
#   "max":     ours / other <= bound;   "cheaper": other / ours >= bound.
TARGETS: List[Tuple[str, str, str, float, str]] = [
    ("ours_sampled", "ref_active", "max", 2.0, "sampled <= 2x minimal activated span"),
    ("ours_sampled", "otel_sampled", "cheaper", 8.0, "sampled >= 8x cheaper than OTel sampled"),
    ("ours_sampled", "jaeger_sampled", "cheaper", 4.0,
     "sampled >= 4x cheaper than jaeger-client sampled"),
    ("ours_unsampled", "otel_off", "cheaper", 15.0,
     "unsampled >= 15x cheaper than OTel ALWAYS_OFF"),
    ("ours_trace", "ours_hand", "max", 1.10, "@trace <= 1.10x hand-written with"),
    ("ours_tags", "ours_sampled", "max", 1.5, "8 tags <= 1.5x no tags"),
]

TAGS = EIGHT_TAGS


# --------------------------------------------------------------------------- the statements


def _time_tagged_span(tracer: Any, n: int) -> float:
    tags = TAGS
    start = time.perf_counter()
    for _ in repeat(None, n):
        with tracer.start_active_span("x", tags=tags):
            pass
    return time.perf_counter() - start


def _time_hand_written(n: int) -> float:
    import opentracing

    fn = empty
    start = time.perf_counter()
    for _ in repeat(None, n):
        with opentracing.global_tracer().start_active_span("x"):
            fn()
    return time.perf_counter() - start


def _time_call(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        fn()
    return time.perf_counter() - start


def _time_current_span(tracer: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        with tracer.start_as_current_span("x"):
            pass
    return time.perf_counter() - start


def _time_minimal(make: Callable[[str], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        with make("x"):
            pass
    return time.perf_counter() - start


# --------------------------------------------------------------------------- the reference span

FINISHED: List[Any] = []
_CURRENT: contextvars.ContextVar[Any] = contextvars.ContextVar("minimal_span", default=None)


class MinimalSpan:
    """The least a span can be in Python: ids, a name, two timestamps, a list to land in."""

    __slots__ = ("name", "trace_id", "span_id", "parent_id", "start_ns", "end_ns", "token")

    def __init__(self, name: str, trace_id: int, parent_id: Optional[int]) -> None:
        self.name = name
        self.trace_id = trace_id
        self.span_id = getrandbits(64)
        self.parent_id = parent_id
        self.start_ns = time.time_ns()
        self.end_ns = 0
        self.token: Any = None

    def finish(self) -> None:
        self.end_ns = time.time_ns()
        FINISHED.append(self)

    def __enter__(self) -> "MinimalSpan":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.finish()


class ActiveMinimalSpan(MinimalSpan):
    """The minimal span, made the current one in a ContextVar while its block runs."""

    __slots__ = ()

    def __enter__(self) -> "ActiveMinimalSpan":
        self.token = _CURRENT.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _CURRENT.reset(self.token)
        self.finish()


def minimal_span(name: str) -> MinimalSpan:
    return MinimalSpan(name, getrandbits(128), None)


def minimal_active_span(name: str) -> ActiveMinimalSpan:
    parent = _CURRENT.get()
    if parent is None:
        return ActiveMinimalSpan(name, getrandbits(128), None)
    return ActiveMinimalSpan(name, parent.trace_id, parent.span_id)


# --------------------------------------------------------------------------- lines of "main"


class Case:
    """How to measure one line: its timer of ``n`` executions and the reset between batches."""

    def __init__(self, timer: Callable[[int], float], reset: Callable[[], None] = nothing,
                 check: Callable[[], None] = nothing) -> None:
        self.timer = timer
        self.reset = reset
        self.check = check


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise RuntimeError(what)


def _ours_cases() -> Dict[str, Case]:
    sys.path.insert(0, str(REPO))  # this checkout's traced and opentracing
    import opentracing
    import traced
    from traced.tracer.sampling import ALWAYS_OFF

    sampled: Any = traced.Tracer()  # recorder: the default MemoryRecorder
    unsampled: Any = traced.Tracer(sampler=ALWAYS_OFF)

    def check_one(tracer: Any, tags: Optional[Dict[str, Any]], recorded: bool) -> None:
        tracer.recorder.clear()
        with tracer.start_active_span("x", tags=tags) as scope:
            _require(tracer.active_span is scope.span, "the span is not the active one")
            _require(bool(scope.span.context.sampled) is recorded,
                     f"sampled is {scope.span.context.sampled}, expected {recorded}")
        spans = tracer.recorder.spans
        tracer.recorder.clear()
        _require(len(spans) == (1 if recorded else 0),
                 f"{len(spans)} span(s) recorded, expected {1 if recorded else 0}")
        if recorded:
            _require(spans[0].operation_name == "x", "the recorded span is not 'x'")
            if tags:
                _require(dict(spans[0].tags) == tags,
                         f"recorded tags {dict(spans[0].tags)!r}, expected the 8 given")

    traced_f = traced.trace("x")(empty)

    def check_trace() -> None:
        seen: List[Any] = []
        probe = traced.trace("x")(lambda: seen.append(opentracing.global_tracer().active_span))
        sampled.recorder.clear()
        probe()
        spans = sampled.recorder.spans
        sampled.recorder.clear()
        _require(len(spans) == 1 and spans[0].operation_name == "x" and len(seen) == 1
                 and seen[0] is not None and seen[0].context.span_id == spans[0].span_id,
                 "@trace did not record one active span 'x' on the global tracer")

    def check_hand() -> None:
        _require(opentracing.global_tracer() is sampled, "the sampled tracer is not global")
        check_one(sampled, None, True)

    opentracing.set_global_tracer(sampled)  # for the hand-written and @trace lines
    clear = sampled.recorder.clear
    return {
        "ours_sampled": Case(lambda n: time_active_spans(sampled, n), clear,
                             lambda: check_one(sampled, None, True)),
        "ours_unsampled": Case(lambda n: time_active_spans(unsampled, n),
                               unsampled.recorder.clear,
                               lambda: check_one(unsampled, None, False)),
        "ours_tags": Case(lambda n: _time_tagged_span(sampled, n), clear,
                          lambda: check_one(sampled, TAGS, True)),
        "ours_hand": Case(_time_hand_written, clear, check_hand),
        "ours_trace": Case(lambda n: _time_call(traced_f, n), clear, check_trace),
    }


def _reference_cases() -> Dict[str, Case]:
    def check(make: Callable[[str], Any], active: bool) -> None:
        FINISHED.clear()
        with make("x") as span:
            _require((_CURRENT.get() is span) is active, "activation is not as expected")
        _require(len(FINISHED) == 1 and FINISHED[0] is span, "the span did not land in the list")
        _require(_CURRENT.get() is None, "the ContextVar was not reset")
        FINISHED.clear()

    return {
        "ref_span": Case(lambda n: _time_minimal(minimal_span, n), FINISHED.clear,
                         lambda: check(minimal_span, False)),
        "ref_active": Case(lambda n: _time_minimal(minimal_active_span, n), FINISHED.clear,
                           lambda: check(minimal_active_span, True)),
    }


def _otel_case(sampled: bool) -> Case:
    from opentelemetry import trace as otel_trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

    class Discard(SpanProcessor):
        """A span processor that drops every span."""

        def on_start(self, span: Any, parent_context: Any = None) -> None:
            pass

        def on_end(self, span: Any) -> None:
            pass

    provider = TracerProvider(
        sampler=ParentBased(ALWAYS_ON) if sampled else ALWAYS_OFF,
        resource=Resource.create({"service.name": "bench"}),
    )
    provider.add_span_processor(Discard())
    tracer = provider.get_tracer("bench_tracer")

    def check() -> None:
        with tracer.start_as_current_span("x") as span:
            _require(otel_trace.get_current_span() is span, "the span is not the current one")
            _require(span.is_recording() is sampled, f"is_recording() is {span.is_recording()}")
            _require(span.get_span_context().is_valid, "the span has no valid ids")
        _require(otel_trace.get_current_span() is not span, "the span stayed current")

    return Case(lambda n: _time_current_span(tracer, n), nothing, check)


def main_cases() -> Tuple[Dict[str, Case], Dict[str, str], Dict[str, Any]]:
    cases: Dict[str, Case] = {"bare": Case(time_bare)}
    errors: Dict[str, str] = {}
    for keys, make in (
        (["ours_sampled", "ours_unsampled", "ours_tags", "ours_hand", "ours_trace"], _ours_cases),
        (["ref_span", "ref_active"], _reference_cases),
        (["otel_sampled"], lambda: {"otel_sampled": _otel_case(True)}),
        (["otel_off"], lambda: {"otel_off": _otel_case(False)}),
    ):
        try:
            cases.update(make())
        except Exception as exc:
            errors.update({key: error_text(exc) for key in keys})
    import opentracing

    info = {
        "python": sys.version.split()[0],
        "opentracing": opentracing.__file__,
        "opentelemetry-sdk": _version("opentelemetry-sdk"),
    }
    return cases, errors, info


# --------------------------------------------------------------------------- lines of "peers"


def _check_opentracing_is_ours() -> None:
    import opentracing

    ours = REPO / "opentracing" / "__init__.py"
    if Path(opentracing.__file__).resolve() != ours:
        raise RuntimeError(f"opentracing is {opentracing.__file__}, not {ours}")


def _check_ot_span(tracer: Any, sampled: bool, is_sampled: Callable[[Any], bool]) -> None:
    with tracer.start_active_span("x") as scope:
        _require(tracer.active_span is scope.span, "the span is not the active one")
        _require(is_sampled(scope.span) is sampled, f"sampled is not {sampled}")
    _require(tracer.active_span is not scope.span, "the span stayed active")


def _jaeger_case(sampled: bool) -> Case:
    _check_opentracing_is_ours()
    from jaeger_client import Config, ConstSampler
    from jaeger_client.reporter import NullReporter

    config = Config(config={"sampler": {"type": "const", "param": 1 if sampled else 0}},
                    service_name="bench", validate=True)
    tracer = config.create_tracer(reporter=NullReporter(), sampler=ConstSampler(sampled))

    def check() -> None:
        _check_ot_span(tracer, sampled, lambda span: bool(span.is_sampled()))

    return Case(lambda n: time_active_spans(tracer, n), nothing, check)


def _basic_case() -> Case:
    _check_opentracing_is_ours()
    from basictracer import BasicTracer
    from basictracer.recorder import SpanRecorder

    class Discard(SpanRecorder):
        """A recorder that drops every span."""

        def record_span(self, span: Any) -> None:
            pass

    tracer = BasicTracer(recorder=Discard())

    def check() -> None:
        _check_ot_span(tracer, True, lambda span: bool(span.context.sampled))

    return Case(lambda n: time_active_spans(tracer, n), nothing, check)


def peers_cases() -> Tuple[Dict[str, Case], Dict[str, str], Dict[str, Any]]:
    cases: Dict[str, Case] = {"peers_bare": Case(time_bare)}
    errors: Dict[str, str] = {}
    for key, make in (
        ("jaeger_sampled", lambda: _jaeger_case(True)),
        ("jaeger_unsampled", lambda: _jaeger_case(False)),
        ("basic", _basic_case),
    ):
        try:
            cases[key] = make()
        except Exception as exc:
            errors[key] = error_text(exc)
    info = {name: _version(name) for name in
            ("jaeger-client", "tornado", "thrift", "basictracer", "protobuf")}
    try:
        import opentracing

        info["opentracing"] = opentracing.__file__
    except ImportError as exc:
        info["opentracing"] = error_text(exc)
    return cases, errors, info


# --------------------------------------------------------------------------- a child process


def _version(dist: str) -> str:
    from importlib.metadata import version

    try:
        return version(dist)
    except Exception:
        return "n/a"


def measure(cases: Dict[str, Case], keys: List[str], target: float, repeats: int,
            errors: Dict[str, str]) -> Dict[str, List[float]]:
    """Seconds per execution of ``repeats`` calibrated batches of each line of ``keys``, the
    lines taking turns batch by batch, so a slow spell of the machine hits them alike."""
    sizes: Dict[str, int] = {}
    results: Dict[str, List[float]] = {}
    with gc_paused():
        for key in keys:
            case = cases[key]
            try:
                case.check()
                sizes[key] = calibrate(case.timer, case.reset, target)
            except Exception as exc:
                errors[key] = error_text(exc)
            case.reset()
        for _ in range(repeats):
            for key, n in sizes.items():
                if key in errors:
                    continue
                case = cases[key]
                try:
                    case.reset()
                    results.setdefault(key, []).append(case.timer(n) / n)
                    case.reset()
                except Exception as exc:
                    errors[key] = error_text(exc)
                    results.pop(key, None)
    return results


def child_main(args: argparse.Namespace) -> int:
    """Measure the lines of ``args.child`` in this process; print one JSON object."""
    cases, errors, info = (main_cases if args.child == "main" else peers_cases)()
    keys = [key for key, _label, child in LINES if child == args.child and key in cases]
    results = measure(cases, keys, args.batch_seconds, args.repeat, errors)
    print(json.dumps({"info": info, "results": results, "errors": errors}))
    return 0


# --------------------------------------------------------------------------- orchestrating


class Child:
    """One child process kind, run once per round; its figures gathered over the rounds."""

    def __init__(self, name: str, env: Dict[str, str]) -> None:
        self.name = name
        self.env = env
        self.info: Dict[str, Any] = {}
        self.per_call: Dict[str, List[float]] = {}
        self.errors: Dict[str, str] = {}

    def run_once(self, args: argparse.Namespace) -> None:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", self.name,
               "--repeat", str(args.repeat), "--batch-seconds", str(args.batch_seconds)]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, cwd=str(REPO))
        try:
            data = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            reason = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            for key, _label, child in LINES:
                if child == self.name:
                    self.errors.setdefault(key, f"child failed: {reason}")
            return
        self.info = data["info"]
        for key, reason in data["errors"].items():
            self.errors.setdefault(key, reason)
        for key, values in data["results"].items():
            self.per_call.setdefault(key, []).extend(values)


def _pip_target(folder: Path, packages: List[str]) -> Optional[str]:
    """Install ``packages`` into ``folder`` unless done before: None, or why it failed."""
    done = folder / ".complete"
    if done.exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    print(f"installing {' '.join(packages)} into {folder} ...", flush=True)
    error = pip_install_target(str(folder), packages)
    if error:
        return error
    if (folder / "opentracing").exists():
        return "pip put a copy of opentracing there; refusing to use it"
    done.write_text(" ".join(packages) + "\n")
    return None


def _env(pythonpath: List[str]) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    return env


# --------------------------------------------------------------------------- printing

LABEL_WIDTH = 46


class Table:
    """The best (minimum) and median ns of every line, and why a line has none."""

    def __init__(self, children: List[Child], skipped: Dict[str, str]) -> None:
        self.best: Dict[str, float] = {}
        self.median: Dict[str, float] = {}
        self.errors: Dict[str, str] = dict(skipped)
        for child in children:
            for key, values in child.per_call.items():
                self.best[key] = min(values) * 1e9
                self.median[key] = statistics.median(values) * 1e9
            for key, reason in child.errors.items():
                self.errors.setdefault(key, reason)

    def verdict(self, target: Tuple[str, str, str, float, str]) -> Optional[Tuple[float, bool, float]]:
        """(measured ratio, met, the ns our line would need), or None without figures."""
        ours, other, kind, bound, _text = target
        a, b = self.best.get(ours), self.best.get(other)
        if a is None or b is None:
            return None
        if kind == "max":
            return a / b, a / b <= bound, b * bound
        return b / a, b / a >= bound, b / bound

    def target_cell(self, key: str) -> str:
        """The target text of the row of ``key``: on our row for "max" targets, on the peer's
        row for "cheaper" ones."""
        cells = []
        for target in TARGETS:
            ours, other, kind, bound, _text = target
            row = ours if kind == "max" else other
            if row != key:
                continue
            result = self.verdict(target)
            if kind == "max":
                short = SHORT[other]
                what = f"x {short}"
                if result is None:
                    cells.append(f"vs {short}: <= {bound:.2f} n/a")
                    continue
                ratio, met, _need = result
                cells.append(f"{ratio:.2f}{what}: <= {bound:.2f} {'ok' if met else 'MISSED'}")
            else:
                whose = "ours unsampled" if ours == "ours_unsampled" else "ours sampled"
                if result is None:
                    cells.append(f"{whose} cheaper: >= {bound:.0f}x n/a")
                    continue
                ratio, met, _need = result
                cells.append(f"{whose} {ratio:.1f}x cheaper: >= {bound:.0f}x "
                             f"{'ok' if met else 'MISSED'}")
        return "; ".join(cells)


def print_report(children: List[Child], table: Table, args: argparse.Namespace) -> None:
    print()
    print(f"ns per span, minimum (and median) of {args.rounds} x {args.repeat} batches of "
          f"~{args.batch_seconds}s (time.perf_counter); Python {sys.version.split()[0]}")
    for child in children:
        info = ", ".join(f"{k} {v}" for k, v in child.info.items())
        print(f"[{child.name}] {info or 'no information (the child failed)'}")
    print()
    header = f"{'line':<{LABEL_WIDTH}} {'ns':>8} {'median':>8} {'x bare':>7}  target"
    print(header)
    print("-" * len(header))
    for key, label, where in LINES:
        if key in SECTIONS:
            print(SECTIONS[key])
        name = f"  {label}"
        value = table.best.get(key)
        if value is None:
            print(f"{name:<{LABEL_WIDTH}} n/a ({table.errors.get(key, 'no result')})")
            continue
        bare = table.best.get("bare" if where == "main" else "peers_bare")
        row = (f"{name:<{LABEL_WIDTH}} {value:>8.1f} {table.median[key]:>8.1f} "
               f"{fmt(value / bare if bare else None, 7, 2)}")
        cell = table.target_cell(key)
        if cell:
            row += f"  {cell}"
        print(row)
    print()
    print("targets (issue 9):")
    for target in TARGETS:
        ours, other, kind, bound, text = target
        result = table.verdict(target)
        line = f"  {text:<50}"
        if result is None:
            missing = [k for k in (ours, other) if k not in table.best]
            print(f"{line} n/a (no figure for {', '.join(LABELS[k] for k in missing)})")
            continue
        ratio, met, need = result
        got = table.best[ours]
        shown = f"{ratio:.2f}x" if kind == "max" else f"{ratio:.1f}x cheaper"
        if met:
            print(f"{line} ok      {shown}")
        else:
            print(f"{line} MISSED  {shown}: {LABELS[ours]} is {got:.0f} ns, needs <= "
                  f"{need:.0f} ns ({got / need - 1:.0%} over)")


# --------------------------------------------------------------------------- main


def main(argv: Optional[List[str]] = None) -> int:
    parser = timing_parser(__doc__, no_compare_help="skip jaeger-client and basictracer (no pip)",
                           rounds_help="child runs per process kind",
                           repeat_help="batches per line per run")
    parser.add_argument("--compare-dir",
                        help="reuse (or fill) this folder for jaeger-client and basictracer "
                             "instead of a temporary one")
    parser.add_argument("--child", choices=["main", "peers"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    apply_defaults(args)
    if args.child:
        return child_main(args)

    children = [Child("main", _env([]))]
    skipped: Dict[str, str] = {}
    peer_keys = [key for key, _label, child in LINES if child == "peers"]
    cleanup: Optional[str] = None
    try:
        if args.no_compare:
            skipped = {key: "skipped: --no-compare" for key in peer_keys}
        else:
            root = args.compare_dir
            if root is None:
                root = cleanup = tempfile.mkdtemp(prefix="bench-tracer-")
            root_path = Path(root).resolve()
            paths = []
            for keys, folder, packages in (
                (["jaeger_sampled", "jaeger_unsampled"], "jaeger", JAEGER_PACKAGES),
                (["basic"], "basictracer", BASIC_PACKAGES),
            ):
                error = _pip_target(root_path / folder, packages)
                if error:
                    skipped.update({key: error for key in keys})
                else:
                    paths.append(str(root_path / folder))
            children.append(Child("peers", _env(paths + [str(OLD_TORNADO_SHIM), str(REPO)])))
        for round_no in range(args.rounds):
            order = children if round_no % 2 == 0 else children[::-1]
            for child in order:
                print(f"round {round_no + 1}/{args.rounds}: measuring {child.name} ...",
                      flush=True)
                child.run_once(args)
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
    table = Table(children, skipped)
    print_report(children, table, args)
    return exit_status([LABELS[key] for key in OURS if key not in table.best], whose="our ")


if __name__ == "__main__":
    gc.collect()
    sys.exit(main())
