"""A scope manager for Tornado applications, on Tornado 6 (and 5.1).

The original manager of this name was built on ``tornado.stack_context``, which Tornado 6
removed. Tornado now runs on asyncio, whose tasks and callbacks carry :mod:`contextvars`,
and that is what this manager uses: the active scope follows coroutines (native and
``@gen.coroutine``), callbacks added with ``IOLoop.add_callback`` and futures, as the
stack context did. The same code works on Tornado 5.1, which also runs on asyncio.

One difference on Tornado 5.1: ``@gen.coroutine`` runs up to its first ``yield`` in its
caller's context and the rest in copies of it, so a scope such a coroutine activates early
stays set in the caller's context after the coroutine closes it. There the manager skips
closed scopes when it reports the active one, falling back to the scope they replaced; the
caller sees the coroutine's scope only until the coroutine closes it. Start such coroutines
with ``IOLoop.spawn_callback`` (or ``yield`` them at once) to keep the caller undisturbed.
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
from ..span import Span
from ._stack import _StackScope
from .contextvars import _ContextVarScopeManager

__all__ = ["TornadoScopeManager", "tracer_stack_context"]

_SCOPE: ContextVar[Optional[Scope]] = ContextVar("opentracing_tornado_scope", default=None)

#: Tornado < 6 does not run ``@gen.coroutine`` in a context of its own (see above).
_SKIP_CLOSED = tuple(getattr(tornado, "version_info", (6,)))[:1] < (6,)


class _TornadoScope(_StackScope):
    """A stack scope that remembers whether it was closed in another context.

    Closed in the context that activated it, it resets the variable there, and callbacks
    scheduled while it was active still see it, as on Tornado 6. Only a scope closed in
    another context (a later step of a ``@gen.coroutine``) is marked ``closed``.
    """

    closed = False
    _token: "Optional[Token[Optional[Scope]]]" = None

    def close(self) -> None:
        manager: TornadoScopeManager = self._manager  # type: ignore[assignment]
        if manager.active is not self:
            return
        try:
            manager._var.reset(self._token)  # type: ignore[arg-type]
        except (ValueError, RuntimeError):  # not the context that activated it
            self.closed = True
            manager._set_active(self._to_restore)
        if self._finish_on_close:
            self._span.finish()


class TornadoScopeManager(_ContextVarScopeManager):
    """Keeps the active scope in a context variable of its own.

    Coroutines and callbacks started while a scope is active see it as active; a scope
    activated inside them is not seen by their caller. Wrapping the handling of a request
    in :func:`tracer_stack_context` gives it a fresh, empty stack, as before.
    """

    _var = _SCOPE

    if _SKIP_CLOSED:  # Tornado 5.1 only; on Tornado 6 the contextvars manager is used as is

        def activate(self, span: Span, finish_on_close: bool) -> Scope:
            scope = _TornadoScope(self, span, finish_on_close, self.active)
            scope._token = self._var.set(scope)
            return scope

        @property
        def active(self) -> Optional[Scope]:
            scope = self._var.get()
            while isinstance(scope, _TornadoScope) and scope.closed:
                scope = scope._to_restore
            return scope


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
