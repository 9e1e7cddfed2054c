"""Reporting a tracer's own failures: logged once, never raised into the application."""

from __future__ import annotations

import logging
from typing import Set, Tuple, Type

__all__ = ["report_tracer_error"]

_log = logging.getLogger("traced")
_reported: Set[Tuple[str, Type[BaseException]]] = set()


def report_tracer_error(where: str, exc: BaseException) -> None:
    """Log that the tracer raised ``exc`` in ``where``; the traced code carries on untouched.

    The first failure of each kind (place and exception type) is logged at WARNING with its
    traceback; repeats go to DEBUG, so a broken tracer cannot flood the application's log.
    """
    key = (where, type(exc))
    if key in _reported:
        _log.debug("tracer failed again in %s: %r", where, exc)
        return
    _reported.add(key)
    _log.warning(
        "tracer failed in %s; the traced code ran untouched (repeats are logged at DEBUG)",
        where,
        exc_info=(type(exc), exc, exc.__traceback__),
    )


def _reset_reported() -> None:
    """Forget which failures were logged, so the next one is logged again; for tests."""
    _reported.clear()
