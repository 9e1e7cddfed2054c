"""Random trace and span ids that a forked child never repeats.

One ``random.Random`` per process, seeded from ``os.urandom``; ``os.register_at_fork``
reseeds it in every child, so a pre-fork server's workers do not hand out their parent's
(or each other's) ids. ``getrandbits`` is a single C call, atomic under the GIL.
"""

from __future__ import annotations

import os
import random

__all__ = ["new_span_id", "new_trace_id", "random_bits", "reseed"]

_random = random.Random()  # seeded from os.urandom when created
#: ``random_bits(n)``: n random bits (0 possible: use ``random_bits(64) or 1``). Reseeding
#: changes this same generator, so the bound method stays right after fork.
random_bits = _random.getrandbits


def reseed() -> None:
    """Seed the generator afresh from the operating system's entropy."""
    _random.seed(os.urandom(32))


def new_trace_id() -> int:
    """A random non-zero 128-bit trace id."""
    value = _random.getrandbits(128)
    while not value:  # pragma: no cover - one chance in 2**128
        value = _random.getrandbits(128)
    return value


def new_span_id() -> int:
    """A random non-zero 64-bit span id."""
    value = _random.getrandbits(64)
    while not value:  # pragma: no cover - one chance in 2**64
        value = _random.getrandbits(64)
    return value


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork()
    os.register_at_fork(after_in_child=reseed)
