"""A scope manager for Tornado applications: Tornado 4.5 and 5.x, and Tornado 6.

The module offers the names of OpenTracing 2.x's ``opentracing.scope_managers.tornado``
on every Tornado version: :class:`TornadoScopeManager`, :func:`tracer_stack_context`,
:class:`ThreadSafeStackContext`, and the request context behind them. How the active scope
travels depends on whether the installed Tornado still has ``tornado.stack_context``.

**Tornado 4.5 and 5.x** (``tornado.stack_context`` present): the behaviour of
OpenTracing 2.4. :func:`tracer_stack_context` is a real Tornado ``StackContext`` that
installs a request context; inside it the active scope is kept in that request context,
which Tornado re-installs around every callback, future callback and ``@gen.coroutine``
step it wraps, so the scope follows ``yield``, ``IOLoop.add_callback`` and
``spawn_callback``. Everything started inside one ``tracer_stack_context()`` shares one
request context: coroutines running side by side in it see each other's activations.
Outside any ``tracer_stack_context()`` the manager keeps the scope in thread-local
storage, exactly like :class:`~opentracing.scope_managers.ThreadLocalScopeManager` (so a
scope activated in one callback can be closed in another, as with 2.4). As with any
Tornado ``StackContext``, do not ``yield`` inside a ``with tracer_stack_context():`` block
of a ``@gen.coroutine`` (Tornado raises ``StackContextInconsistentError``); enter it around
the code that starts the work instead::

    with tracer_stack_context():
        IOLoop.current().spawn_callback(handle_request, request)

**Tornado 6** (no ``tornado.stack_context``): Tornado runs on asyncio, whose tasks and
callbacks carry :mod:`contextvars`, and the active scope is kept in a context variable.
Coroutines (native and ``@gen.coroutine``), callbacks and futures started while a scope is
active see it; a scope activated inside them is not seen by their caller or siblings.
:func:`tracer_stack_context` gives the block a fresh, empty stack of scopes, which the
coroutines and callbacks started in it inherit, and restores the caller's stack when the
block ends; unlike on older Tornado, awaiting inside the block is allowed.
:class:`ThreadSafeStackContext` enters the context manager its factory returns for the
duration of the block, as on older Tornado, but nothing re-enters it around callbacks
scheduled in the block: a library context kept in thread-local storage is set only while
the block runs.
"""

from __future__ import annotations

import importlib
import threading
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, Callable, ContextManager, List, Literal, Optional, Type

try:
    import tornado  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without tornado installed
    raise ImportError(
        "opentracing.scope_managers.tornado needs tornado: pip install 'opentracing[tornado]'"
    ) from exc

from ..scope import Scope
from ..span import Span
from . import StackScope, ThreadLocalScopeManager

# Scope and ThreadLocalScopeManager are importable from here too, as in OpenTracing 2.4.
__all__ = [
    "ThreadSafeStackContext",
    "TornadoScopeManager",
    "tracer_stack_context",
]


def _load_stack_context() -> Any:
    """``tornado.stack_context`` (Tornado < 6), or None when this Tornado has none."""
    try:
        return importlib.import_module("tornado.stack_context")
    except ImportError:
        return None


_stack_context: Any = _load_stack_context()

#: Decided once at import: which of the two implementations below is in use.
_USES_STACK_CONTEXT = _stack_context is not None

# Tornado 6 only: the active scope of the running task, and the request context entered.
_SCOPE: ContextVar[Optional[Scope]] = ContextVar("opentracing_tornado_scope", default=None)
_REQUEST: "ContextVar[Optional[_TracerRequestContext]]" = ContextVar(
    "opentracing_tornado_request", default=None
)


class _TracerRequestContext:
    """The state of one :func:`tracer_stack_context`: its ``active`` scope.

    On Tornado < 6 the active scope of the request is stored here, shared by everything
    that runs under the stack context. On Tornado 6 each task keeps its own stack in a
    context variable, and this object only marks the request (``active`` stays unused).
    """

    __slots__ = ("active",)

    def __init__(self, active: Optional[Scope] = None) -> None:
        self.active = active


class _TracerRequestContextManager:
    """Makes a :class:`_TracerRequestContext` the current one while entered.

    This is the context manager a :func:`tracer_stack_context` re-enters around each
    callback (Tornado < 6). On Tornado 6 entering it also starts a fresh, empty stack of
    scopes, and leaving it restores the caller's.
    """

    #: Tornado < 6: the current request context of each thread, in ``_state.context``.
    _state = threading.local()

    def __init__(self, context: _TracerRequestContext) -> None:
        self._context = context
        self._prev_context: Optional[_TracerRequestContext] = None
        self._prev_scope: Optional[Scope] = None
        self._tokens: "Optional[tuple[Token[Optional[_TracerRequestContext]], Token[Optional[Scope]]]]" = None  # noqa: E501

    if _USES_STACK_CONTEXT:

        @classmethod
        def current_context(cls) -> Optional[_TracerRequestContext]:
            """The request context entered in this thread, or None outside any."""
            context: Optional[_TracerRequestContext] = getattr(cls._state, "context", None)
            return context

        def __enter__(self) -> _TracerRequestContext:
            self._prev_context = self.current_context()
            type(self)._state.context = self._context
            return self._context

        def __exit__(self, *_: Any) -> "Literal[False]":
            type(self)._state.context = self._prev_context
            self._prev_context = None
            return False

    else:

        @classmethod
        def current_context(cls) -> Optional[_TracerRequestContext]:
            """The request context entered in the running task, or None outside any."""
            return _REQUEST.get()

        def __enter__(self) -> _TracerRequestContext:
            self._prev_context, self._prev_scope = _REQUEST.get(), _SCOPE.get()
            self._tokens = (_REQUEST.set(self._context), _SCOPE.set(None))
            return self._context

        def __exit__(self, *_: Any) -> "Literal[False]":
            tokens, self._tokens = self._tokens, None
            if tokens is not None:
                try:
                    _REQUEST.reset(tokens[0])
                    _SCOPE.reset(tokens[1])
                except ValueError:  # left in another context than the one it entered
                    _REQUEST.set(self._prev_context)
                    _SCOPE.set(self._prev_scope)
            self._prev_context = self._prev_scope = None
            return False


class _PerThreadContexts(threading.local):
    """A stack of entered context managers, one per thread."""

    def __init__(self) -> None:
        super().__init__()
        self._items: List[ContextManager[Any]] = []

    def append(self, item: ContextManager[Any]) -> None:
        self._items.append(item)

    def pop(self) -> ContextManager[Any]:
        return self._items.pop()


_StackContextBase: Any = _stack_context.StackContext if _USES_STACK_CONTEXT else object


class ThreadSafeStackContext(_StackContextBase):  # type: ignore[misc]
    """A Tornado ``StackContext`` whose entered context managers are kept per thread.

    Tornado's ``StackContext`` keeps the context managers made by its factory in one list
    on the instance, so two threads entering and leaving the same instance can exit each
    other's. This version keeps one list per thread. Use it as Tornado's, with a factory of
    context managers; each time it is entered it enters a new one::

        with ThreadSafeStackContext(lambda: MyRequestContext(request)):
            IOLoop.current().spawn_callback(handle, request)

    On Tornado 6, which has no stack contexts, it is a plain context manager doing the
    same on entry and exit; its ``__enter__`` still returns the deactivation callable.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The arguments of Tornado's StackContext: one factory of context managers.
        if _USES_STACK_CONTEXT:
            super().__init__(*args, **kwargs)
        else:
            self._init_plain(*args, **kwargs)
        self.contexts = _PerThreadContexts()

    if not _USES_STACK_CONTEXT:

        def _init_plain(self, context_factory: Callable[[], ContextManager[Any]]) -> None:
            self.context_factory = context_factory
            self.active = True

        def _deactivate(self) -> None:
            self.active = False

        def enter(self) -> None:
            context = self.context_factory()
            self.contexts.append(context)
            context.__enter__()

        def exit(
            self,
            type: Optional[Type[BaseException]],
            value: Optional[BaseException],
            traceback: Optional[TracebackType],
        ) -> None:
            self.contexts.pop().__exit__(type, value, traceback)

        def __enter__(self) -> Callable[[], None]:
            self.enter()
            return self._deactivate

        def __exit__(
            self,
            exc_type: Optional[Type[BaseException]],
            exc_val: Optional[BaseException],
            exc_tb: Optional[TracebackType],
        ) -> None:
            self.exit(exc_type, exc_val, exc_tb)


class TornadoScopeManager(ThreadLocalScopeManager):
    """The scope manager for Tornado; see the module docstring for how scopes travel.

    On Tornado < 6, inside :func:`tracer_stack_context` the active scope lives in its
    request context and follows callbacks and ``@gen.coroutine`` steps; outside, it lives
    in thread-local storage. On Tornado 6 it lives in a context variable and follows
    tasks and callbacks; :func:`tracer_stack_context` starts a fresh stack.
    """

    def _get_context(self) -> Optional[_TracerRequestContext]:
        """The current :func:`tracer_stack_context`'s request context, or None."""
        return _TracerRequestContextManager.current_context()

    if _USES_STACK_CONTEXT:

        def activate(self, span: Span, finish_on_close: bool) -> Scope:
            context = self._get_context()
            if context is None:
                return super().activate(span, finish_on_close)
            scope = _TornadoScope(self, span, finish_on_close)
            context.active = scope
            return scope

        def set_active(self, scope: Optional[Scope]) -> None:
            context = self._get_context()
            if context is None:
                super().set_active(scope)
            else:
                context.active = scope

        @property
        def active(self) -> Optional[Scope]:
            context = self._get_context()
            if context is None:
                return super().active
            scope: Optional[Scope] = context.active
            return scope

    else:

        def activate(self, span: Span, finish_on_close: bool) -> Scope:
            scope = _TornadoScope(self, span, finish_on_close)
            _SCOPE.set(scope)
            return scope

        def set_active(self, scope: Optional[Scope]) -> None:
            _SCOPE.set(scope)

        @property
        def active(self) -> Optional[Scope]:
            return _SCOPE.get()


class _TornadoScope(StackScope):
    """A scope of :class:`TornadoScopeManager` activated in a request context (Tornado < 6)
    or in the context variable (Tornado 6); it restores the scope it replaced there."""


def tracer_stack_context() -> ThreadSafeStackContext:
    """A stack context holding a new request context, in which spans are tracked.

    Enter it where the handling of a request starts; scopes activated inside it, and in
    the callbacks and coroutines started in it, are kept in its request context (on
    Tornado 6: in a fresh stack those callbacks and coroutines inherit), not seen outside::

        with tracer_stack_context():
            IOLoop.current().spawn_callback(handle_request, request)
    """
    context = _TracerRequestContext()
    return ThreadSafeStackContext(lambda: _TracerRequestContextManager(context))
