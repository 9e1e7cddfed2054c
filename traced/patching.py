"""Tracing code you do not own, without editing it: :func:`patch` one function or method
by name, :func:`patch_all` of a module or class, :func:`unpatch` to undo; and
:class:`Integration`, the building block of every module in :mod:`traced.integrations`.

Patching is lazy (a target whose module is not imported yet is patched when it is
imported; nothing is imported early), idempotent (patching twice is patching once),
reversible (undoing puts back the very original objects) and safe (a patch failing while
the user's module is imported is logged once, never raised into that import).
Requires ``wrapt`` (the ``instrument`` extra).
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.metadata
import importlib.util
import re
import sys
import threading
from types import ModuleType
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import opentracing as _ot
from opentracing import Tracer

from . import _hooks, _patches
from ._report import report_tracer_error
from .decorator import trace

__all__ = ["Integration", "Target", "Wrapper", "is_patched", "patch", "patch_all", "unpatch"]

#: A wrapt wrapper: called as ``wrapper(wrapped, instance, args, kwargs)`` in place of
#: ``wrapped(*args, **kwargs)``, with ``instance`` the object the method was bound to.
Wrapper = Callable[[Callable[..., Any], Any, Tuple[Any, ...], Dict[str, Any]], Any]

#: What :func:`patch` takes: ``"package.module:Class.method"`` or ``(owner, "attribute")``.
Target = Union[str, Tuple[Any, str]]

_lock = threading.RLock()
_applied: Dict[Tuple[int, str], _patches.Applied] = {}
_waiting: Dict[Tuple[str, str], _hooks.Hook] = {}


def patch(
    target: Target,
    name: Optional[str] = None,
    *,
    tags: Optional[Mapping[str, Any]] = None,
    tag_args: Iterable[str] = (),
    tracer: Optional[Tracer] = None,
) -> None:
    """Trace every call of ``target`` as ``@trace`` would (same span name by default,
    ``module.qualname``; same ``tags``, ``tag_args`` and ``tracer``).

    ``target`` is ``"package.module:Class.method"`` (or ``"package.module:function"``) or
    an ``(owner, "attribute")`` pair, the owner a module, class or object. A method patched
    on its class is traced for subclasses that inherit it and for instances made before.
    When the module is not imported yet it is patched as soon as it is; patching what is
    already patched does nothing.

    :raises ValueError: a string target without ``":"``.
    :raises AttributeError: the owner exists and has no such attribute.
    :raises TypeError: the attribute is not callable, or is a class.
    """
    kwargs = {"tags": dict(tags) if tags else None, "tag_args": tuple(tag_args), "tracer": tracer}
    with _lock:
        if isinstance(target, str):
            module_name, path = _split(target)
            module = sys.modules.get(module_name)
            if module is None:
                key = (module_name, path)
                if key not in _waiting:
                    _waiting[key] = _hooks.when_imported(
                        module_name, lambda mod: _patch_later(key, mod, name, kwargs))
                return
            owner, attribute = _walk(module, path, target)
        else:
            owner, attribute = _walk(target[0], target[1], target)
        _patch_now(owner, attribute, name, kwargs)


def _patch_later(key: Tuple[str, str], module: ModuleType, name: Optional[str], kwargs: Dict[str, Any]) -> None:
    with _lock:
        if _waiting.pop(key, None) is None:
            return  # unpatched meanwhile
        owner, attribute = _walk(module, key[1], f"{key[0]}:{key[1]}")
        _patch_now(owner, attribute, name, kwargs)


def _patch_now(owner: Any, attribute: str, name: Optional[str], kwargs: Dict[str, Any]) -> None:
    key = (id(owner), attribute)
    previous = _applied.get(key)
    if previous is not None and previous.owner is owner and _holds(
        _current(owner, attribute), previous.replacement
    ):
        return  # still in place, perhaps under a layer added since: patching twice is once
    original, _ = _patches.lookup(owner, attribute)
    _check_callable(owner, attribute, original)
    decorate = trace(name, **kwargs)
    _applied[key] = _patches.apply(owner, attribute, decorate)


def _holds(current: Any, replacement: Any) -> bool:
    """Whether ``replacement`` is ``current`` or under it in its ``__wrapped__`` chain."""
    for _ in range(64):  # a chain that long, or a cycle, is not ours
        if current is replacement:
            return True
        current = getattr(current, "__wrapped__", None)
        if current is None:
            return False
    return False


def unpatch(target: Target) -> bool:
    """Undo :func:`patch`: put the original object back (the same object), or cancel the
    patch still waiting for the module's import. False when ``target`` was not patched."""
    with _lock:
        undone = False
        if isinstance(target, str):
            module_name, path = _split(target)
            hook = _waiting.pop((module_name, path), None)
            if hook is not None:
                hook.cancel()
                undone = True
            module = sys.modules.get(module_name)
            if module is None:
                return undone
            owner_attribute = _try_walk(module, path)
        else:
            owner_attribute = _try_walk(target[0], target[1])
        if owner_attribute is None:
            return undone
        applied = _applied.pop((id(owner_attribute[0]), owner_attribute[1]), None)
        if applied is None or applied.owner is not owner_attribute[0]:
            return undone
        if not _patches.restore(applied):
            report_tracer_error(f"unpatch {applied!r}: wrapped again since, left in place", RuntimeError())
        return True


def is_patched(target: Target) -> bool:
    """True when ``target`` is patched by :func:`patch`, or waits to be at its import."""
    with _lock:
        if isinstance(target, str):
            module_name, path = _split(target)
            if (module_name, path) in _waiting:
                return True
            module = sys.modules.get(module_name)
            found = _try_walk(module, path) if module is not None else None
        else:
            found = _try_walk(target[0], target[1])
        if found is None:
            return False
        applied = _applied.get((id(found[0]), found[1]))
        return applied is not None and applied.owner is found[0] and _holds(
            _current(*found), applied.replacement
        )


def patch_all(
    owner: Any,
    include: Sequence[str] = ("*",),
    exclude: Sequence[str] = (),
    *,
    tags: Optional[Mapping[str, Any]] = None,
    tracer: Optional[Tracer] = None,
) -> List[str]:
    """:func:`patch` every function of a module (those defined in it, not imported into
    it) or every method of a class (its own: functions, classmethods, staticmethods) whose
    name matches an ``include`` pattern and no ``exclude`` pattern (:mod:`fnmatch`
    patterns). A name starting with ``_`` matches only patterns starting with ``_``, so
    ``"*"`` leaves private and dunder names alone. Returns the names patched."""
    if isinstance(owner, ModuleType):
        names = [n for n, v in vars(owner).items()
                 if callable(v) and not isinstance(v, type) and getattr(v, "__module__", None) == owner.__name__]
    elif isinstance(owner, type):
        names = [n for n, v in vars(owner).items()
                 if isinstance(v, (classmethod, staticmethod)) or (callable(v) and not isinstance(v, type))]
    else:
        raise TypeError(f"patch_all() takes a module or a class, not {owner!r}")
    chosen = [n for n in names if _matches(n, include) and not _matches(n, exclude)]
    for attribute in chosen:
        patch((owner, attribute), tags=tags, tracer=tracer)
    return chosen


def _matches(name: str, patterns: Sequence[str]) -> bool:
    private = name.startswith("_")
    return any(fnmatch.fnmatchcase(name, p) for p in patterns if p.startswith("_") == private)


def _split(target: str) -> Tuple[str, str]:
    module_name, sep, path = target.partition(":")
    if not sep or not module_name or not path:
        raise ValueError(f"a patch target is 'package.module:Class.method', not {target!r}")
    return module_name, path


def _walk(owner: Any, path: str, target: Any) -> Tuple[Any, str]:
    """The object holding the last attribute of the dotted ``path``, and that attribute."""
    *parents, attribute = path.split(".")
    for part in parents:
        try:
            owner = getattr(owner, part)
        except AttributeError:
            raise AttributeError(f"cannot patch {target!r}: {owner!r} has no attribute {part!r}") from None
    try:
        _patches.lookup(owner, attribute)
    except AttributeError as exc:
        raise AttributeError(f"cannot patch {target!r}: {exc}") from None
    return owner, attribute


def _try_walk(owner: Any, path: str) -> Optional[Tuple[Any, str]]:
    try:
        return _walk(owner, path, path)
    except AttributeError:
        return None


def _check_callable(owner: Any, attribute: str, value: Any) -> None:
    if isinstance(value, type):
        raise TypeError(f"cannot patch {attribute!r} of {owner!r}: it is a class; patch its methods")
    if not (callable(value) or isinstance(value, (classmethod, staticmethod))):
        raise TypeError(f"cannot patch {attribute!r} of {owner!r}: {type(value).__name__} is not callable")


def _current(owner: Any, attribute: str) -> Any:
    try:
        return _patches.lookup(owner, attribute)[0]
    except AttributeError:
        return None


# -- integrations -----------------------------------------------------------------------

#: Undoes what an :class:`Integration`'s ``install`` function did.
Undo = Callable[[], None]


class Integration:
    """One library's instrumentation: which attributes to wrap, with which wrappers, for
    which versions of it.

    :param name: the name in the registry (``"requests"``).
    :param module: the library's import name; its import triggers patching, and it is
        never imported by the integration itself.
    :param patches: ``("package.module:Owner.attribute", wrapper)`` pairs; each wrapper
        is a wrapt wrapper (see :data:`Wrapper`). The module of each target is imported
        when ``module`` is (it is part of the library).
    :param distribution: the distribution whose installed version is checked, else the
        module's ``__version__``; an unknown version is not checked.
    :param min_version: the oldest supported version (inclusive).
    :param max_version: the first unsupported version (exclusive).
    :param install: for what is not an attribute to wrap: called when patching, returns a
        function undoing it.
    """

    def __init__(
        self,
        name: str,
        *,
        module: str,
        patches: Sequence[Tuple[str, Wrapper]],
        distribution: Optional[str] = None,
        min_version: Optional[str] = None,
        max_version: Optional[str] = None,
        install: Optional[Callable[[], Undo]] = None,
    ) -> None:
        for target, _ in patches:
            _split(target)
        self.name = name
        self.module = module
        self.patches = tuple(patches)
        self.distribution = distribution
        self.min_version = min_version
        self.max_version = max_version
        self._install = install
        self._lock = threading.RLock()
        self._state = "not instrumented"
        self._generation = 0
        self._tracer: Optional[Tracer] = None
        self._hook: Optional[_hooks.Hook] = None
        self._applied: List[_patches.Applied] = []
        self._undo: Optional[Undo] = None

    @property
    def tracer(self) -> Tracer:
        """The tracer given to :meth:`instrument`, else the global tracer (read each time)."""
        return self._tracer or _ot.tracer

    @property
    def status(self) -> str:
        """``"instrumented"``, ``"pending (module not imported yet)"``, ``"skipped:
        <reason>"`` or ``"not instrumented"``."""
        return self._state

    @property
    def targets(self) -> List[Tuple[Any, str, Any]]:
        """``(owner, attribute, original)`` for each attribute replaced now."""
        with self._lock:
            return [(a.owner, a.attribute, a.original) for a in self._applied]

    def is_instrumented(self) -> bool:
        """True when instrumented, or waiting for the library's import to be."""
        return self._state == "instrumented" or self._state.startswith("pending")

    def instrument(self, tracer: Optional[Tracer] = None) -> None:
        """Patch the library now if it is imported, else when it is; a second call only
        changes the tracer. A library that is not installed is skipped (see :attr:`status`)."""
        with self._lock:
            self._tracer = tracer
            if self.is_instrumented():
                return
            if not _installed(self.module):
                self._state = f"skipped: {self.module} is not installed"
                return
            self._generation += 1
            self._state = "pending (module not imported yet)"
            generation = self._generation
            self._hook = _hooks.when_imported(self.module, lambda module: self._on_import(generation))

    def uninstrument(self) -> None:
        """Put back every original object and cancel a patch waiting for the import."""
        with self._lock:
            self._generation += 1
            if self._hook is not None:
                self._hook.cancel()
                self._hook = None
            undo, self._undo = self._undo, None
            applied, self._applied = self._applied, []
            self._state = "not instrumented"
            for each in reversed(applied):
                try:
                    if not _patches.restore(each):
                        report_tracer_error(f"uninstrument {self.name}: {each!r} wrapped again since", RuntimeError())
                except Exception as exc:
                    report_tracer_error(f"uninstrument {self.name}", exc)
            if undo is not None:
                try:
                    undo()
                except Exception as exc:
                    report_tracer_error(f"uninstrument {self.name}", exc)

    def _on_import(self, generation: int) -> None:
        try:
            # Importing the targets' modules may wait for another thread's import: not under the lock.
            owners = [_walk(importlib.import_module(_split(t)[0]), _split(t)[1], t) + (w,) for t, w in self.patches]
        except Exception as exc:
            self._skip(generation, f"{type(exc).__name__}: {exc}")
            return
        with self._lock:
            if generation != self._generation:
                return
            unsupported = self._check_version()
            if unsupported:
                self._state = f"skipped: {unsupported}"
                return
            try:
                for owner, attribute, wrapper in owners:
                    self._applied.append(_patches.apply(owner, attribute, *_function_wrapper(wrapper)))
                if self._install is not None:
                    self._undo = self._install()
            except Exception as exc:
                self.uninstrument()
                self._state = f"skipped: patching failed: {type(exc).__name__}: {exc}"
                report_tracer_error(f"instrument {self.name}", exc)
                return
            self._state = "instrumented"

    def _skip(self, generation: int, reason: str) -> None:
        with self._lock:
            if generation == self._generation:
                self._state = f"skipped: {reason}"

    def _check_version(self) -> str:
        if self.min_version is None and self.max_version is None:
            return ""
        installed = _version_of(self.distribution, self.module)
        if installed is None:
            return ""
        found = _parse_version(installed)
        low = self.min_version is None or found >= _parse_version(self.min_version)
        high = self.max_version is None or found < _parse_version(self.max_version)
        if low and high:
            return ""
        wanted = ", ".join(filter(None, [self.min_version and f">={self.min_version}",
                                         self.max_version and f"<{self.max_version}"]))
        return f"{self.distribution or self.module} {installed} is not supported (needs {wanted})"

    def __repr__(self) -> str:
        return f"<Integration {self.name}: {self._state}>"


def _function_wrapper(wrapper: Wrapper) -> Tuple[Callable[[Any], Any], List[bool]]:
    import wrapt

    switch = [True]
    enabled: Any = switch  # wrapt reads a non-callable ``enabled`` by its truth

    def replace(original: Any) -> Any:
        return wrapt.FunctionWrapper(original, wrapper, enabled=enabled)

    return replace, switch


def _installed(module: str) -> bool:
    """Whether the top-level package of ``module`` can be imported, without importing it."""
    top = module.partition(".")[0]
    if top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _version_of(distribution: Optional[str], module: str) -> Optional[str]:
    if distribution is not None:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            pass
    version = getattr(sys.modules.get(module), "__version__", None)
    return version if isinstance(version, str) else None


def _parse_version(text: str) -> Tuple[int, ...]:
    """The leading release numbers of a version (``"2.31.0rc1"`` -> ``(2, 31, 0)``), padded
    so that ``"3"`` and ``"3.0.0"`` compare equal."""
    match = re.match(r"\d+(?:\.\d+)*", text.strip().lstrip("v"))
    numbers = tuple(int(n) for n in match.group(0).split(".")) if match else (0,)
    return numbers + (0,) * (4 - len(numbers))


def _undo_all() -> None:
    """Undo every :func:`patch`, applied or waiting; for tests."""
    with _lock:
        for hook in _waiting.values():
            hook.cancel()
        _waiting.clear()
        for applied in reversed(list(_applied.values())):
            _patches.restore(applied)
        _applied.clear()
