"""``concurrent.futures``: a callable submitted to a ``ThreadPoolExecutor`` (also through
``map``, which submits, and ``asyncio``'s ``run_in_executor``) runs with the submitter's
active span active.

``ThreadPoolExecutor.submit`` is patched on the class, so executors made before
instrumenting and subclasses that do not override ``submit`` (or call the original) are
covered. ``ProcessPoolExecutor`` is not: a span cannot cross into another process this way.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from ..patching import Integration
from ._handoff import carry

__all__ = ["instrument", "is_instrumented", "uninstrument"]


def _submit(wrapped: Callable[..., Any], instance: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    if args:
        args = (carry(args[0], _integration),) + args[1:]
    return wrapped(*args, **kwargs)


_integration = Integration(
    "futures",
    module="concurrent.futures",
    patches=[("concurrent.futures.thread:ThreadPoolExecutor.submit", _submit)],
)
instrument = _integration.instrument
uninstrument = _integration.uninstrument
is_instrumented = _integration.is_instrumented
