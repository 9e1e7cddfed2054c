"""The package type-checks: mypy, configured in setup.cfg, reports no errors."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_passes():
    """python -m mypy (strict, files from setup.cfg) exits 0 with no errors."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


USER_CODE = '''
import opentracing
from traced import active_span, propagate, span, start_child_span, trace

@trace("load", tags={"db": "sql"}, tag_args=("key",))
def load(key: str) -> int:
    return len(key)

@trace
async def fetch(key: str) -> str:
    return key

n: int = load("k")
with span("block", tags={"a": 1}) as s:
    s.set_tag("b", 2)
child = start_child_span("child", s, tags={"c": 3})
current = active_span(opentracing.global_tracer())
run = propagate(load)
m: int = run("k")
span("block", tagz=1)
wrong: str = load("k")
'''


def test_public_api_types_for_users(tmp_path):
    """A user's strict mypy run sees the real signatures: correct calls pass, a misspelt
    span() option and a wrong return type are reported (and nothing else)."""
    user = tmp_path / "user_code.py"
    user.write_text(USER_CODE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(user)],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "MYPYPATH": str(ROOT)},
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, result.stdout
    assert 'Unexpected keyword argument "tagz" for "span"' in errors[0]
    assert "Incompatible types in assignment" in errors[1]
