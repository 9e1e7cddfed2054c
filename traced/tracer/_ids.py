"""Random trace and span ids that a forked child never repeats.

One ``random.Random`` per process, seeded from ``os.urandom``; ``os.register_at_fork``
reseeds it in every child, so a pre-fork server's workers do not hand out their parent's
(or each other's) ids. ``getrandbits`` is a single C call, atomic under the GIL.
"""

from __future__ import annotations

import os
import random

__all__ = ["random_bits", "reseed"]

_random = random.Random()  # seeded from os.urandom when created

#: ``random_bits(n)``: n random bits, for a 128-bit trace id or a 64-bit span id (0 is
#: possible, and invalid as an id: callers use ``random_bits(64) or 1``). Reseeding changes
#: this same generator, so the bound method stays right after fork.
random_bits = _random.getrandbits


def reseed() -> None:
    """Seed the generator afresh from the operating system's entropy."""
    _random.seed(os.urandom(32))


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork()
    os.register_at_fork(after_in_child=reseed)
