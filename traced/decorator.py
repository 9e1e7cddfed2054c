"""``@trace``: wraps any callable in a span, choosing the wrapper for its kind once, at
decoration time (plain function, coroutine, generator, generator-based coroutine or async
generator), so the per-call path makes no such decision."""

from __future__ import annotations

import functools
import inspect
import types
from typing import Any, Callable, Dict, Iterable, Literal, Mapping, Optional, Tuple, TypeVar, Union, overload

from opentracing import Tracer

from ._sync import TagsFactory, wrap_function, wrap_generator

__all__ = ["trace"]

F = TypeVar("F", bound=Callable[..., Any])

#: The kinds of callable that get different wrappers (see :func:`callable_kind`).
Kind = Literal["function", "coroutine", "generator", "iterable_coroutine", "async_generator"]

# ``cls.__name__`` read through ``type``'s own descriptor, so a metaclass cannot run code.
_type_name: Callable[[type], str] = type.__dict__["__name__"].__get__


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
        single name may be given as a string). ``str``, ``bool``, ``int`` and ``float``
        values are tagged as such (an instance of a subclass as its plain value), any other
        value as its ``repr()``, or as ``<unrepresentable T>`` when that ``repr()`` raises.
    :raises TypeError: the target is not callable, is a class, or ``tag_args`` names a
        parameter the callable does not have.

    Plain functions, methods, ``classmethod``/``staticmethod`` objects (in either order),
    callable objects, ``async def`` functions, generator functions, generator-based
    coroutines (``@types.coroutine``) and async generator functions are supported; the
    result keeps the target's name, docstring, signature and kind.
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
    copy_metadata(wrapper, target)
    return wrapper


def _is_plain_callable(target: Any) -> bool:
    return inspect.isroutine(target) or isinstance(target, functools.partial)


def callable_kind(fn: Any) -> Kind:
    """What calling ``fn`` (a function, method or partial) gives: a plain result, a
    coroutine, a generator, a generator-based coroutine (a generator function marked by
    ``types.coroutine``, whose generators can be awaited) or an async generator."""
    try:
        if inspect.isasyncgenfunction(fn):
            return "async_generator"
        if inspect.iscoroutinefunction(fn):
            return "coroutine"
        if inspect.isgeneratorfunction(fn):
            return "iterable_coroutine" if _code_flags(fn) & inspect.CO_ITERABLE_COROUTINE else "generator"
    except Exception:
        # ``inspect`` reads attributes of objects that are not functions (``__code__``,
        # ``__name__``...); one that raises there is not a function with a code object.
        pass
    return "function"


def _code_flags(fn: Any) -> int:
    """The flags of the code object behind ``fn``, through bound methods and partials."""
    while inspect.ismethod(fn) or isinstance(fn, functools.partial):
        fn = fn.__func__ if inspect.ismethod(fn) else fn.func
    code = getattr(fn, "__code__", None)
    return code.co_flags if isinstance(code, types.CodeType) else 0


def _wrapper_for(fn: Any) -> Callable[..., Callable[..., Any]]:
    """The wrapper factory matching the kind of ``fn``."""
    kind = callable_kind(fn)
    if kind == "coroutine" or kind == "async_generator":
        from . import _async  # asyncio is imported only when an async callable is traced

        return _async.wrap_async_generator if kind == "async_generator" else _async.wrap_coroutine
    if kind == "generator":
        return wrap_generator
    if kind == "iterable_coroutine":
        return _wrap_iterable_coroutine
    return wrap_function


def _wrap_iterable_coroutine(
    fn: Callable[..., Any],
    name: str,
    make_tags: TagsFactory,
    fixed_tracer: Optional[Tracer],
    ignore_active_span: bool,
) -> Callable[..., Any]:
    """A generator-based coroutine (``@types.coroutine``) is traced as a generator: its span
    opens when it is first sent a value (the start of the awaited run), covers the whole run
    and is active during its steps only; as for ``async def``, asyncio's ``CancelledError``
    ending it is recorded as a cancellation, not an error. The wrapper is marked by
    ``types.coroutine`` as ``fn`` is, so its generators can be awaited and still be used
    with ``yield from``."""
    import asyncio  # only when such a coroutine is traced, as for ``async def`` (see _wrapper_for)

    wrapper = wrap_generator(fn, name, make_tags, fixed_tracer, ignore_active_span, asyncio.CancelledError)
    return types.coroutine(wrapper)


def copy_metadata(wrapper: Callable[..., Any], target: Any) -> None:
    """``functools.update_wrapper(wrapper, target)``, except that an attribute the target
    fails to give (a property raising) or the wrapper refuses is left out instead of
    failing the decoration: instrumentation must never break the user's import."""
    for attr in functools.WRAPPER_ASSIGNMENTS:
        try:
            setattr(wrapper, attr, getattr(target, attr))
        except Exception:
            pass
    for updated in functools.WRAPPER_UPDATES:
        try:
            getattr(wrapper, updated).update(getattr(target, updated, {}))
        except Exception:
            pass
    wrapper.__wrapped__ = target  # type: ignore[attr-defined]


def _default_name(target: Any) -> str:
    """``module.qualname`` of the callable (of its class for a callable object); an
    attribute that is missing, not a string, or raises is done without."""
    owner = target if _is_plain_callable(target) else type(target)
    if isinstance(target, functools.partial):
        owner = target.func if _is_plain_callable(target.func) else type(target.func)
    module = _str_attribute(owner, "__module__")
    qualname = _str_attribute(owner, "__qualname__") or _str_attribute(owner, "__name__") or safe_repr(owner)
    return f"{module}.{qualname}" if module else qualname


def _str_attribute(obj: Any, attr: str) -> str:
    """``obj.attr`` when it is a string, else ``""`` (also when reading it raises)."""
    try:
        value = getattr(obj, attr, None)
    except Exception:
        return ""
    return str.__str__(value) if issubclass(type(value), str) else ""


def safe_repr(value: Any) -> str:
    """``repr(value)``, or ``<unrepresentable T>`` naming its type when that raises."""
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {_type_name(type(value))}>"


def tag_value(value: Any) -> Any:
    """``value`` as a tag the tracer can take without running any of the value's code: a
    ``str``, ``bool``, ``int`` or ``float`` as itself (an instance of a subclass as its
    plain value, read by the base type), anything else as :func:`safe_repr`. The type is
    ``type(value)``, never ``value.__class__``, which an object may fake or make raise."""
    cls = type(value)
    if cls is str or cls is int or cls is float or cls is bool:
        return value
    if issubclass(cls, str):
        return str.__str__(value)
    if issubclass(cls, int):
        return int.__int__(value)
    if issubclass(cls, float):
        return float.__float__(value)
    return safe_repr(value)


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
            tags[param] = tag_value(value)
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
