"""Logging that cannot flood: one line per kind of failure per interval.

An unreachable collector fails every batch; the application's log should say so once a
minute, with how many similar failures were not logged, rather than once per batch.
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from typing import Dict, List, Tuple

from .._native import allocate_lock

__all__ = ["RateLimitedLog"]


_instances: "weakref.WeakSet[RateLimitedLog]" = weakref.WeakSet()
_fork_hook: List[bool] = []


def _after_fork_in_child() -> None:
    # a lock another thread held at fork() stays held in the child, where that thread is gone
    for log in list(_instances):
        log._lock = allocate_lock()


class RateLimitedLog:
    """Logs a warning of a given ``kind`` at most once per ``interval`` seconds.

    The state lives in the instance (each processor or sender has its own), so tests and
    separate pipelines never share it.
    """

    def __init__(self, logger: logging.Logger, interval: float = 60.0) -> None:
        self.logger = logger
        self.interval = interval
        self._lock = allocate_lock()
        self._kinds: Dict[str, Tuple[float, int]] = {}  # kind -> (last logged, suppressed since)
        _instances.add(self)
        if not _fork_hook and hasattr(os, "register_at_fork"):
            _fork_hook.append(True)
            os.register_at_fork(after_in_child=_after_fork_in_child)

    def warning(self, kind: str, message: str, *args: object) -> bool:
        """Log ``message % args`` unless ``kind`` was logged less than ``interval`` ago;
        True when the line was written."""
        now = time.monotonic()
        with self._lock:
            last, suppressed = self._kinds.get(kind, (-1e18, 0))
            if now - last < self.interval:
                self._kinds[kind] = (last, suppressed + 1)
                return False
            self._kinds[kind] = (now, 0)
        if suppressed:
            message += " (%d similar line(s) suppressed in the last %.0f s)"
            args += (suppressed, self.interval)
        try:
            self.logger.warning(message, *args)
        except Exception:  # a broken handler must not break the export path
            pass
        return True
