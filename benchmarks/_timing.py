"""What the ``bench_*.py`` scripts share: batch calibration, the garbage collector switched
off while timing, the common command line, ``pip install --target`` and table cells.

Not a benchmark itself (``run_all.py`` runs only ``bench_*.py``). It imports nothing from
``opentracing`` or ``traced``, so a child process measuring another ``opentracing`` (found
through ``PYTHONPATH``) can use it without importing this checkout's.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
from contextlib import contextmanager
from itertools import repeat
from typing import Any, Callable, Dict, Iterator, List, Optional

#: The 8 tags of every "span with 8 tags" line, in every benchmark: what a server span of
#: a web request typically carries, of str, int, bool and float values.
EIGHT_TAGS: Dict[str, Any] = {
    "component": "bench",
    "span.kind": "server",
    "http.method": "GET",
    "http.url": "https://example.com/items/42",
    "http.status_code": 200,
    "peer.port": 8080,
    "error": False,
    "sampling.priority": 1.0,
}


def nothing() -> None:
    """The reset of a line that has nothing to reset."""


def empty() -> None:
    """The empty function of the bare-call line every benchmark measures against."""


def time_bare(n: int) -> float:
    """Seconds for ``n`` calls of :func:`empty`."""
    fn = empty
    start = time.perf_counter()
    for _ in repeat(None, n):
        fn()
    return time.perf_counter() - start


def time_active_spans(tracer: Any, n: int) -> float:
    """Seconds for ``n`` blocks of ``with tracer.start_active_span("x"): pass``."""
    start = time.perf_counter()
    for _ in repeat(None, n):
        with tracer.start_active_span("x"):
            pass
    return time.perf_counter() - start


def calibrate(batch: Callable[[int], float], reset: Callable[[], None], target: float) -> int:
    """The smallest ``n`` of 1, 2, 5, 10, 20, 50, ... whose ``batch(n)`` lasts ``target``
    seconds; ``reset()`` runs before each try, outside the timed part."""
    n = 1
    while True:
        for step in (1, 2, 5):
            reset()
            if batch(n * step) >= target:
                return n * step
        n *= 10


@contextmanager
def gc_paused() -> Iterator[None]:
    """The garbage collector off for the block, as ``timeit`` does (a collection is not part
    of the statement's cost); afterwards back on if it was, and a collection."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc_was_enabled:
            gc.enable()
        gc.collect()


def error_text(exc: BaseException) -> str:
    """An exception as a short one-line reason for a table."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:120]


def fmt(value: Optional[float], width: int, digits: int = 1) -> str:
    """A right-aligned figure of a table cell, or "n/a" where there is none."""
    return f"{value:>{width}.{digits}f}" if value is not None else f"{'n/a':>{width}}"


def exit_status(missing: List[str], whose: str = "") -> int:
    """A benchmark's exit status: 1, said on stderr, when the lines ``missing`` got no
    figure; else 0."""
    if missing:
        print(f"error: no figure for {whose}{', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


def pip_install_target(folder: str, packages: List[str]) -> Optional[str]:
    """``pip install --no-deps --target folder packages``: None, or why it failed."""
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "--no-deps", "--target", folder, *packages]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if "ERROR" in ln]
    return "pip install failed: " + (lines[-1] if lines else f"exit {proc.returncode}")


def timing_parser(doc: str, no_compare_help: str, rounds_help: str,
                  repeat_help: str) -> argparse.ArgumentParser:
    """A parser described by the first line of ``doc``, with the options every benchmark
    takes: --quick, --no-compare, --rounds, --repeat and --batch-seconds (the defaults are
    filled in by ``apply_defaults``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run, e.g. for a smoke test")
    parser.add_argument("--no-compare", action="store_true", help=no_compare_help)
    parser.add_argument("--rounds", type=int, help=f"{rounds_help} (default 3, quick 1)")
    parser.add_argument("--repeat", type=int, help=f"{repeat_help} (default 5, quick 2)")
    parser.add_argument("--batch-seconds", type=float,
                        help="length of one batch (default 0.1, quick 0.002)")
    return parser


def apply_defaults(args: argparse.Namespace) -> None:
    """Fill in the --rounds, --repeat and --batch-seconds left out, shorter with --quick."""
    if args.repeat is None:
        args.repeat = 2 if args.quick else 5
    if args.batch_seconds is None:
        args.batch_seconds = 0.002 if args.quick else 0.1
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
