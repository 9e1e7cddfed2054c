"""Run every ``benchmarks/bench_*.py`` in turn, each in a subprocess of its own.

Arguments are passed on to every benchmark (e.g. ``--quick``). Exits non-zero when any
benchmark fails, after running the rest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    if not scripts:
        print(f"no bench_*.py in {here}", file=sys.stderr)
        return 1
    failed = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        code = subprocess.call([sys.executable, str(script), *argv])
        if code != 0:
            print(f"=== {script.name} FAILED (exit {code})", flush=True)
            failed.append(script.name)
        print(flush=True)
    if failed:
        print(f"{len(failed)} of {len(scripts)} benchmark(s) failed: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    print(f"all {len(scripts)} benchmark(s) ran")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
