"""A scope manager for Tornado applications, on Tornado 6 (and 5.1).

The original manager of this name was built on ``tornado.stack_context``, which Tornado 6
removed. Tornado now runs on asyncio, whose tasks and callbacks carry :mod:`contextvars`,
and that is what this manager uses: the active scope follows coroutines (native and
``@gen.coroutine``), callbacks added with ``IOLoop.add_callback`` and futures, as the
stack context did. The same code works on Tornado 5.1, which also runs on asyncio.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from types import TracebackType
from typing import Optional, Type

try:
    import tornado  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without tornado installed
    raise ImportError(
        "opentracing.scope_managers.tornado needs tornado: pip install 'opentracing[tornado]'"
    ) from exc

from ..scope import Scope
from .contextvars import _ContextVarScopeManager

__all__ = ["TornadoScopeManager", "tracer_stack_context"]

_SCOPE: ContextVar[Optional[Scope]] = ContextVar("opentracing_tornado_scope", default=None)


class TornadoScopeManager(_ContextVarScopeManager):
    """Keeps the active scope in a context variable of its own.

    Coroutines and callbacks started while a scope is active see it as active; a scope
    activated inside them is not seen by their caller. Wrapping the handling of a request
    in :func:`tracer_stack_context` gives it a fresh, empty stack, as before.
    """

    _var = _SCOPE


class _TracerStackContext:
    """A ``with`` block that runs with no active scope and restores the caller's after."""

    def __init__(self) -> None:
        self._token: Optional[Token[Optional[Scope]]] = None
        self._previous: Optional[Scope] = None

    def __enter__(self) -> "_TracerStackContext":
        self._previous = _SCOPE.get()
        self._token = _SCOPE.set(None)
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        try:
            _SCOPE.reset(token)
        except ValueError:  # left in another context than it was entered in
            _SCOPE.set(self._previous)


def tracer_stack_context() -> _TracerStackContext:
    """A context manager giving the code in its block a fresh, empty stack of scopes.

    Scopes activated inside the block, and in the coroutines and callbacks it starts, are
    not seen outside it::

        with tracer_stack_context():
            await handle_request(request)
    """
    return _TracerStackContext()
