"""Module-level traced callables, importable by a child process (pickling tests)."""

from traced import trace


@trace
def double(x):
    """Return twice ``x``."""
    return 2 * x


@trace("picklable.named", tags={"kind": "test"})
def add(a, b=1):
    return a + b
