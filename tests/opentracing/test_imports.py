"""What importing opentracing pulls in, and the error when a framework extra is missing.
Each check runs in a fresh interpreter so that this process's imports do not interfere."""

import subprocess
import sys
import textwrap

import pytest

HEAVY = [
    "opentracing.scope_managers.asyncio",
    "opentracing.scope_managers.gevent",
    "opentracing.scope_managers.tornado",
    "opentracing.scope_managers.contextvars",
    "gevent",
    "tornado",
]


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True
    )


def test_import_opentracing_stays_light():
    """import opentracing (and its mocktracer) loads no framework-specific manager."""
    result = _run(
        f"""
        import sys
        import opentracing, opentracing.mocktracer, opentracing.scope_managers
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("framework", ["gevent", "tornado"])
def test_missing_framework_names_the_extra(framework):
    """Without the framework, importing its manager raises ImportError naming the extra."""
    result = _run(
        f"""
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == {framework!r} or name.startswith({framework!r} + "."):
                    raise ImportError("blocked " + name)

        sys.meta_path.insert(0, Block())
        try:
            import opentracing.scope_managers.{framework}
        except ImportError as exc:
            print(exc)
        else:
            print("imported")
        """
    )
    assert result.returncode == 0, result.stderr
    assert f"pip install 'opentracing[{framework}]'" in result.stdout
