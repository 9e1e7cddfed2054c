"""``@trace``: wraps any callable in a span, choosing the wrapper for its kind once, at
decoration time (plain function, coroutine, generator or async generator), so the
per-call path makes no such decision."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple, TypeVar, Union, overload

from opentracing import Tracer

from ._sync import TagsFactory, wrap_function, wrap_generator

__all__ = ["trace"]

F = TypeVar("F", bound=Callable[..., Any])

_TAG_TYPES = (str, bool, int, float)


@overload
def trace(operation_name: F) -> F: ...


@overload
def trace(
    operation_name: Optional[str] = None,
    *,
    tags: Optional[Mapping[str, Any]] = None,
    tracer: Optional[Tracer] = None,
    ignore_active_span: bool = False,
    tag_args: Iterable[str] = (),
) -> Callable[[F], F]: ...


def trace(
    operation_name: Union[str, Callable[..., Any], None] = None,
    *,
    tags: Optional[Mapping[str, Any]] = None,
    tracer: Optional[Tracer] = None,
    ignore_active_span: bool = False,
    tag_args: Iterable[str] = (),
) -> Any:
    """Trace every call of the decorated callable in a span of its own.

    Usable bare (``@trace``) or with arguments (``@trace("load", tags={...})``).

    :param operation_name: the span's name; by default ``module.qualname`` of the callable.
    :param tags: tags set on every span (copied at decoration time).
    :param tracer: the tracer to use; by default ``opentracing.global_tracer()``, looked up
        at each call so a tracer installed after decoration is used.
    :param ignore_active_span: start a root span instead of a child of the active span.
    :param tag_args: names of parameters whose argument values become tags of the span (a
        single name may be given as a string). Values other than ``str``, ``bool``, ``int``
        and ``float`` are tagged as their ``repr()``.
    :raises TypeError: the target is not callable, is a class, or ``tag_args`` names a
        parameter the callable does not have.

    Plain functions, methods, ``classmethod``/``staticmethod`` objects (in either order),
    callable objects, ``async def`` functions, generator and async generator functions are
    supported; the result keeps the target's name, docstring, signature and kind.
    """
    # classmethod objects are not callable, yet ``@trace`` may be stacked on one.
    if callable(operation_name) or isinstance(operation_name, (classmethod, staticmethod)):
        return _decorate(operation_name, None, tags, tracer, ignore_active_span, tag_args)
    if operation_name is not None and not isinstance(operation_name, str):
        raise TypeError(f"trace() takes an operation name string, not {operation_name!r}")

    def decorator(fn: F) -> F:
        return _decorate(fn, operation_name, tags, tracer, ignore_active_span, tag_args)  # type: ignore[no-any-return]

    return decorator


def _decorate(
    target: Any,
    name: Optional[str],
    tags: Optional[Mapping[str, Any]],
    tracer: Optional[Tracer],
    ignore_active_span: bool,
    tag_args: Iterable[str],
) -> Any:
    if isinstance(target, (classmethod, staticmethod)):
        inner = _decorate(target.__func__, name, tags, tracer, ignore_active_span, tag_args)
        return type(target)(inner)
    if inspect.isclass(target):
        raise TypeError(f"trace() cannot decorate the class {target.__qualname__}; decorate its methods")
    if not callable(target):
        raise TypeError(f"trace() needs a callable, not {target!r}")
    call_target = target if _is_plain_callable(target) else target.__call__
    span_name = name or _default_name(target)
    names = (tag_args,) if isinstance(tag_args, str) else tuple(tag_args)
    make_tags = _tags_factory(call_target, dict(tags or {}), names)
    wrapper = _wrapper_for(call_target)(target, span_name, make_tags, tracer, ignore_active_span)
    functools.update_wrapper(wrapper, target)
    return wrapper


def _is_plain_callable(target: Any) -> bool:
    return inspect.isroutine(target) or isinstance(target, functools.partial)


def _wrapper_for(fn: Any) -> Callable[..., Callable[..., Any]]:
    """The wrapper factory matching the kind of ``fn``."""
    if inspect.isasyncgenfunction(fn) or inspect.iscoroutinefunction(fn):
        from . import _async  # asyncio is imported only when an async callable is traced

        return _async.wrap_async_generator if inspect.isasyncgenfunction(fn) else _async.wrap_coroutine
    if inspect.isgeneratorfunction(fn):
        return wrap_generator
    return wrap_function


def _default_name(target: Any) -> str:
    owner = target if _is_plain_callable(target) else type(target)
    if isinstance(target, functools.partial):
        owner = target.func if _is_plain_callable(target.func) else type(target.func)
    module = getattr(owner, "__module__", None) or ""
    qualname = getattr(owner, "__qualname__", None) or getattr(owner, "__name__", None) or repr(owner)
    return f"{module}.{qualname}" if module else qualname


def _tags_factory(fn: Any, static: Dict[str, Any], names: Tuple[str, ...]) -> TagsFactory:
    """A function giving the tags for one call: a fresh copy of ``static`` (the tracer may
    keep the dict it is given) plus the values of the parameters named in ``names``."""
    if not names:
        if not static:
            return _no_tags
        return lambda args, kwargs: dict(static)
    positions = _parameter_positions(fn, names)

    def make_tags(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
        tags = dict(static)
        for param, index, default, by_keyword in positions:
            if by_keyword and param in kwargs:
                value = kwargs[param]
            elif index is not None and index < len(args):
                value = args[index]
            elif default is not inspect.Parameter.empty:
                value = default
            else:
                continue
            tags[param] = value if isinstance(value, _TAG_TYPES) else repr(value)
        return tags

    return make_tags


def _no_tags(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
    return None


def _parameter_positions(fn: Any, names: Tuple[str, ...]) -> Tuple[Tuple[str, Optional[int], Any, bool], ...]:
    """(name, positional index or None, default, can be passed by keyword) for each
    parameter in ``names`` (a positional-only one cannot: a keyword argument of the same
    name goes to ``**kwargs``).

    Resolved from the signature once, at decoration time. The index counts from the first
    argument the wrapper receives, so for a function defined in a class body it includes
    ``self``.
    """
    params = list(inspect.signature(fn).parameters.values())
    by_name = {p.name: (i, p) for i, p in enumerate(params)}
    resolved = []
    for param_name in names:
        if param_name not in by_name:
            raise TypeError(f"tag_args names {param_name!r}, which {fn!r} has no parameter for")
        index, param = by_name[param_name]
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tag_args cannot name the *args/**kwargs parameter {param_name!r}")
        positional = param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD)
        by_keyword = param.kind is not param.POSITIONAL_ONLY
        resolved.append((param_name, index if positional else None, param.default, by_keyword))
    return tuple(resolved)
