"""The registry of integrations: :func:`instrument` the libraries a service calls,
:func:`uninstrument` them, and ask :func:`instrumented` what was done.

Each integration is the module ``traced.integrations.<file>`` with ``instrument()``,
``uninstrument()``, ``is_instrumented()`` and its :class:`~traced.patching.Integration` as
``_integration``. Importing one never imports its library; a library that is missing or of
an unsupported version is skipped, with a one-line reason.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import Dict, Optional, Tuple

from opentracing import Tracer

__all__ = ["INTEGRATIONS", "instrument", "instrumented", "uninstrument"]

#: Registry name -> module of the integration.
INTEGRATIONS: Dict[str, str] = {
    "http.client": "traced.integrations.http_client",
    "urllib3": "traced.integrations.urllib3",
    "requests": "traced.integrations.requests",
    "httpx": "traced.integrations.httpx",
    "aiohttp": "traced.integrations.aiohttp",
    "sqlite3": "traced.integrations.sqlite3",
    "psycopg": "traced.integrations.psycopg",
    "psycopg2": "traced.integrations.psycopg2",
    "redis": "traced.integrations.redis",
    "threading": "traced.integrations.threading",
    "futures": "traced.integrations.futures",
    "gevent": "traced.integrations.gevent",
    "logging": "traced.integrations.logging",
}

_lock = threading.RLock()
# Why an integration module itself could not be loaded, by registry name.
_broken: Dict[str, str] = {}


def instrument(*names: str, tracer: Optional[Tracer] = None) -> Dict[str, str]:
    """Instrument the named integrations (every one when no name is given), patching each
    library now if it is imported, else at its import. Returns :func:`instrumented` for
    those names.

    :raises KeyError: a name that is not in :data:`INTEGRATIONS`.
    """
    chosen = _names(names)
    with _lock:
        for name in chosen:
            module = _load(name)
            if module is not None:
                module.instrument(tracer)
        return {name: _status(name) for name in chosen}


def uninstrument(*names: str) -> None:
    """Undo :func:`instrument` for the named integrations (every one when none is named):
    the original objects are put back and patches waiting for an import are cancelled."""
    with _lock:
        for name in _names(names):
            module = _load(name, only_loaded=True)
            if module is not None:
                module.uninstrument()


def instrumented() -> Dict[str, str]:
    """The status of every integration: ``"instrumented"``, ``"pending (module not
    imported yet)"``, ``"skipped: <reason>"`` or ``"not instrumented"``."""
    with _lock:
        return {name: _status(name) for name in INTEGRATIONS}


def _names(names: Tuple[str, ...]) -> Tuple[str, ...]:
    for name in names:
        if name not in INTEGRATIONS:
            raise KeyError(f"no integration named {name!r}; known: {', '.join(INTEGRATIONS)}")
    return names or tuple(INTEGRATIONS)


def _load(name: str, only_loaded: bool = False) -> Optional[ModuleType]:

    module_name = INTEGRATIONS[name]
    if only_loaded:
        return sys.modules.get(module_name)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        _broken[name] = f"skipped: {type(exc).__name__}: {exc}".splitlines()[0]
        return None
    _broken.pop(name, None)
    return module


def _status(name: str) -> str:

    if name in _broken:
        return _broken[name]
    module = sys.modules.get(INTEGRATIONS[name])
    integration = getattr(module, "_integration", None)
    if integration is None:
        return "not instrumented"
    return str(integration.status)
