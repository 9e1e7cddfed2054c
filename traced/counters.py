"""What the tracing pipeline has done so far, in numbers the application can read.

One :class:`Counters` is shared by a tracer, its processor and its exporter (``traced.init``
wires them together; ``tracer.counters`` reads them). The tracer counts spans started and
sampled; the processor counts spans exported, dropped because its queue was full, and
failed (given up after the export's deadline or on an error that is not retried); the
exporter counts each retry of an export. With several exporters (``otlp,console``) they all
count into the tracer's one ``Counters``, so ``exported``, ``dropped`` and ``failed`` count a
span once for each exporter it went to. Counts only grow; :meth:`Counters.snapshot` reads
them all at once.
"""

from __future__ import annotations

import itertools
import os
import weakref
from typing import Dict, Iterator, List

from ._native import allocate_lock

__all__ = ["COUNTER_NAMES", "Counters"]

#: The counters, in the order :meth:`Counters.snapshot` lists them.
COUNTER_NAMES = ("started", "sampled", "exported", "dropped", "failed", "retried")


def _value(counter: "Iterator[int]") -> int:
    # an itertools.count shows its next value in its repr, "count(5)"; reading it does not
    # advance it (its __reduce__ is deprecated since Python 3.12 and gone in 3.14)
    text = repr(counter)
    return int(text[text.index("(") + 1 : -1])


_instances: "weakref.WeakSet[Counters]" = weakref.WeakSet()
_fork_hook: List[bool] = []


def _after_fork_in_child() -> None:
    # a lock another thread held at fork() stays held in the child, where that thread is gone
    for counters in list(_instances):
        counters._lock = allocate_lock()


class Counters:
    """Counts of spans started, sampled, exported, dropped (queue full) and failed (export),
    and of exports retried.

    The tracer bumps ``count_sampled`` or ``count_unsampled`` once per span with
    ``next()`` on an ``itertools.count`` (one C call, atomic under the GIL, no lock on the
    span's path); ``started`` is their sum. The others, bumped once per batch, go through
    :meth:`add`, under a native lock (also under gevent, where the export worker is a real
    thread), held for one addition and never across a switch.
    """

    def __init__(self) -> None:
        self._lock = allocate_lock()
        self.count_sampled: "Iterator[int]" = itertools.count()
        self.count_unsampled: "Iterator[int]" = itertools.count()
        self._totals: Dict[str, int] = {"exported": 0, "dropped": 0, "failed": 0, "retried": 0}
        _instances.add(self)
        if not _fork_hook and hasattr(os, "register_at_fork"):
            _fork_hook.append(True)
            os.register_at_fork(after_in_child=_after_fork_in_child)

    def add(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to counter ``name`` (``exported``, ``dropped``, ``failed`` or
        ``retried``)."""
        with self._lock:
            self._totals[name] += amount

    @property
    def started(self) -> int:
        """Spans started, sampled or not."""
        return _value(self.count_sampled) + _value(self.count_unsampled)

    @property
    def sampled(self) -> int:
        """Spans started sampled (recording)."""
        return _value(self.count_sampled)

    @property
    def exported(self) -> int:
        """Spans the exporter delivered."""
        return self._totals["exported"]

    @property
    def dropped(self) -> int:
        """Finished spans dropped because the processor's queue was full."""
        return self._totals["dropped"]

    @property
    def failed(self) -> int:
        """Spans whose export failed for good (deadline passed, or an error not retried)."""
        return self._totals["failed"]

    @property
    def retried(self) -> int:
        """Export attempts that were retried."""
        return self._totals["retried"]

    def snapshot(self) -> Dict[str, int]:
        """Every counter by name, read at one moment."""
        with self._lock:
            totals = dict(self._totals)
        return {"started": self.started, "sampled": self.sampled, **totals}

    def __repr__(self) -> str:
        return "Counters(%s)" % ", ".join("%s=%d" % item for item in self.snapshot().items())
