"""Post-import hooks that can be cancelled: run a callback when a module is imported (at
once when it already is), and take it back before then.

Built on wrapt's post-import hooks, which cannot be withdrawn and let a hook's exception
fail the user's import: wrapt gets one dispatcher per module name, and the callbacks waiting
on it live here, where cancelling one removes it and a failing one is logged, never raised.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType
from typing import Callable, Dict, List, Set

from ._report import report_tracer_error

__all__ = ["Hook", "when_imported"]

_lock = threading.RLock()
_waiting: Dict[str, List["Hook"]] = {}
# Module names whose dispatcher is registered with wrapt and has not fired yet.
_armed: Set[str] = set()


class Hook:
    """One callback waiting for the import of ``module``; :meth:`cancel` withdraws it."""

    __slots__ = ("module", "callback", "cancelled")

    def __init__(self, module: str, callback: Callable[[ModuleType], None]) -> None:
        self.module = module
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Never run the callback (a no-op once it has run)."""
        with _lock:
            self.cancelled = True
            waiting = _waiting.get(self.module)
            if waiting is not None and self in waiting:
                waiting.remove(self)

    def __repr__(self) -> str:
        return f"<Hook for {self.module}{' (cancelled)' if self.cancelled else ''}>"


def when_imported(module: str, callback: Callable[[ModuleType], None]) -> Hook:
    """Run ``callback(module_object)`` once ``module`` is imported: now if it already is,
    else right after its import finishes. An exception in ``callback`` is logged once and
    never reaches the importer."""
    hook = Hook(module, callback)
    loaded = sys.modules.get(module)
    if loaded is not None:
        _run(hook, loaded)
        return hook
    with _lock:
        _waiting.setdefault(module, []).append(hook)
        arm = module not in _armed
        _armed.add(module)
    if arm:
        import wrapt  # only when something waits for an import

        # Runs the dispatcher at once when the module was imported since the check above.
        wrapt.register_post_import_hook(_dispatch, module)
    return hook


def _dispatch(module: ModuleType) -> None:
    """wrapt's hook for one module name: runs the callbacks still waiting for it."""
    try:
        name = module.__name__
        with _lock:
            hooks = _waiting.pop(name, [])
            _armed.discard(name)
        for hook in hooks:
            _run(hook, module)
    except Exception as exc:  # never fail the user's import
        report_tracer_error("post-import hook", exc)


def _run(hook: Hook, module: ModuleType) -> None:
    if hook.cancelled:
        return
    try:
        hook.callback(module)
    except Exception as exc:
        report_tracer_error(f"post-import hook for {hook.module}", exc)


def pending(module: str) -> int:
    """How many callbacks wait for ``module``; for tests."""
    with _lock:
        return len(_waiting.get(module, ()))
