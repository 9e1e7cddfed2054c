"""Instructions per call of the traced hot paths, counted by ``valgrind --tool=callgrind``.

Timings on a shared machine drift by 10% and more from run to run; instruction counts do
not. Each line runs in its own process under callgrind twice, with 0 and with N calls,
and the difference divided by N is its cost; ratios are printed against a bare call, a
``functools.wraps`` pass-through and the hand-written ``start_active_span`` block.

    python benchmarks/bench_instructions.py            # needs valgrind on PATH
    python benchmarks/bench_instructions.py --calls 2000
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]

# The program each line runs: SETUP defines ``call``; the driver calls it N times.
SETUP = {
    "bare f()": "def call():\n    pass\n",
    "functools.wraps pass-through": (
        "import functools\n"
        "def f():\n    pass\n"
        "def deco(fn):\n"
        "    @functools.wraps(fn)\n"
        "    def wrapper(*args, **kwargs):\n"
        "        return fn(*args, **kwargs)\n"
        "    return wrapper\n"
        "call = deco(f)\n"
    ),
    "@trace, tracing off": (
        "from traced import trace\n"
        "@trace\ndef call():\n    pass\n"
    ),
}
for _manager, _module in [
    ("ThreadLocal", "opentracing.scope_managers"),
    ("ContextVars", "opentracing.scope_managers.contextvars"),
]:
    _tracer = (
        "import opentracing\n"
        "from opentracing.mocktracer import MockTracer\n"
        "from %s import %sScopeManager as M\n"
        "tracer = MockTracer(M())\n"
        "opentracing.set_global_tracer(tracer)\n" % (_module, _manager)
    )
    SETUP["hand-written start_active_span [%s]" % _manager] = _tracer + (
        "def call():\n"
        "    with opentracing.global_tracer().start_active_span('x') as scope:\n"
        "        scope.span\n"
    )
    SETUP["@trace('x') [%s]" % _manager] = _tracer + (
        "from traced import trace\n"
        "@trace('x')\ndef call():\n    pass\n"
    )
    SETUP["with span('x') [%s]" % _manager] = _tracer + (
        "from traced import span\n"
        "def call():\n"
        "    with span('x'):\n"
        "        pass\n"
    )

DRIVER = (
    "import sys\n"
    "{setup}"
    "for _ in range(200):\n    call()\n"  # warm up: caches, specialised bytecode
    "tracer = globals().get('tracer')\n"
    "if tracer is not None:\n    tracer.reset()\n"
    "for _ in range(int(sys.argv[1])):\n    call()\n"
)


def _instructions(program: Path, calls: int, workdir: Path) -> int:
    out = workdir / "callgrind.out"
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONHASHSEED="0")
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s" % out,
         sys.executable, str(program), str(calls)],
        capture_output=True, text=True, env=env, timeout=900,
    )
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or match is None:
        raise RuntimeError("callgrind failed:\n" + proc.stderr[-2000:])
    return int(match.group(1))


def measure(calls: int, only: str = "", untraced_only: bool = False) -> Dict[str, float]:
    results: Dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name, setup in SETUP.items():
            if only not in name or (untraced_only and "[" in name):
                continue
            program = workdir / "line.py"
            program.write_text(DRIVER.format(setup=setup), encoding="utf-8")
            empty = _instructions(program, 0, workdir)
            full = _instructions(program, calls, workdir)
            results[name] = (full - empty) / calls
            print("  measured %-45s %9.0f instructions per call" % (name, results[name]),
                  flush=True)
    return results


def report(results: Dict[str, float]) -> None:
    bare = results.get("bare f()", 1.0)
    print()
    print("%-45s %12s %8s %8s" % ("line", "instr/call", "x bare", "vs ref"))
    print("-" * 77)
    refs = {"@trace, tracing off": "functools.wraps pass-through"}
    for name, value in results.items():
        ref: Optional[str] = refs.get(name)
        if ref is None and (name.startswith("@trace('x')") or name.startswith("with span")):
            ref = "hand-written start_active_span [%s]" % name.rsplit("[", 1)[1].rstrip("]")
        ratio = "%8.3f" % (value / results[ref]) if ref in results else ""
        print("%-45s %12.0f %8.2f %s" % (name, value, value / bare, ratio))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per line (3000)")
    parser.add_argument(
        "--quick", action="store_true", help="50 calls, and only the lines without a tracer"
    )
    parser.add_argument("--only", default="", help="measure only the lines containing this")
    parser.add_argument("--no-compare", action="store_true", help="accepted, ignored")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: instruction counts skipped")
        return 0
    calls = 50 if args.quick else args.calls
    print("instructions per call under callgrind, %d calls per line; Python %s"
          % (calls, sys.version.split()[0]))
    report(measure(calls, args.only, untraced_only=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
