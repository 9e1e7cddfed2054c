"""Real OS threads and locks, even under gevent's ``monkey.patch_all()``.

The batch processor's worker must export while the application's greenlets are busy, so it
runs on a native thread; the locks it shares with the application are native locks, which
any thread or greenlet may release without a hub. Without gevent these are simply the
standard ``_thread`` primitives.
"""

from __future__ import annotations

import _thread
import sys
import threading
from typing import Any, Callable

__all__ = ["Signal", "allocate_lock", "start_thread"]


def _original(module: str, name: str) -> Any:
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None:
        try:
            if monkey.is_module_patched(module):
                return monkey.get_original(module, name)
        except Exception:  # an unexpected gevent: fall back to what the module has now
            pass
    return getattr(_thread, name)


def allocate_lock() -> Any:
    """A native (unpatched) lock."""
    return _original("_thread", "allocate_lock")()


def _patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    try:
        return monkey is not None and bool(monkey.is_module_patched("threading"))
    except Exception:
        return False


def start_thread(target: Callable[[], None], name: str) -> None:
    """Run ``target`` on a new native daemon thread, which never keeps the interpreter
    alive: a :class:`threading.Thread` normally, the original ``_thread`` function when
    gevent has turned threads into greenlets. Raises RuntimeError when no thread can start
    (at interpreter shutdown)."""
    if _patched():
        start: Callable[..., int] = _original("_thread", "start_new_thread")
        start(target, ())
    else:
        threading.Thread(target=target, name=name, daemon=True).start()


class Signal:
    """An auto-resetting wake-up: :meth:`set` from any thread or greenlet, :meth:`wait` on
    one thread, which consumes it. Built on one native lock held while unsignalled."""

    def __init__(self) -> None:
        self._lock = allocate_lock()
        self._lock.acquire()

    def set(self) -> None:
        """Wake the waiter (or the next :meth:`wait`); setting twice is setting once."""
        try:
            self._lock.release()
        except RuntimeError:  # already set
            pass

    def wait(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for :meth:`set`; True when it was set."""
        if timeout <= 0:
            return bool(self._lock.acquire(False))
        return bool(self._lock.acquire(True, min(timeout, _thread.TIMEOUT_MAX)))
