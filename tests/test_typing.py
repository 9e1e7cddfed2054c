"""The package type-checks: mypy, configured in setup.cfg, reports no errors."""

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
