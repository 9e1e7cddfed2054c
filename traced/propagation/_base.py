"""The interface every propagation codec implements, and that the composite drives.

A codec turns a :class:`~traced.tracer.context.SpanContext` into the headers of one wire
format and back. It is a small stateless object, registered under its ``OTEL_PROPAGATORS``
name; the contract test in ``tests/traced/propagation`` runs against each of them.
"""

from __future__ import annotations

from typing import ClassVar, Dict, MutableMapping, Optional, Tuple

from ..tracer.context import DecisionContext, SpanContext
from ._carrier import Carrier

__all__ = ["Codec"]


class Codec:
    """One wire format.

    ``name`` is its ``OTEL_PROPAGATORS`` name; ``fields`` the header names it writes
    (lowercase; baggage headers under a prefix such as ``uberctx-`` are not listed);
    ``trace_fields`` the names whose presence means that a span context is there (what
    strict extraction checks). ``carries_trace`` is False for a codec that carries only
    baggage (W3C ``baggage``): its :meth:`extract` always returns None and the composite
    merges its :meth:`extract_baggage` into the context another codec found.
    """

    name: ClassVar[str] = ""
    fields: ClassVar[Tuple[str, ...]] = ()
    trace_fields: ClassVar[Tuple[str, ...]] = ()
    carries_trace: ClassVar[bool] = True

    def inject(self, context: SpanContext, carrier: MutableMapping[str, str]) -> None:
        """Write ``context`` (one with ids) into ``carrier``; never writes a value that is
        illegal in an HTTP header (baggage is percent-encoded)."""
        raise NotImplementedError

    def inject_decision(self, context: DecisionContext, carrier: MutableMapping[str, str]) -> None:
        """Write a sampling decision that has no ids (what the composite calls instead of
        :meth:`inject` for a :class:`~traced.tracer.context.DecisionContext`). The default
        writes nothing: most formats cannot say "sampled" without ids."""

    def extract(self, carrier: Carrier) -> Optional[SpanContext]:
        """The context in ``carrier`` (``remote=True``), or None when this format's
        headers are absent or not well-formed; a format that can carry a sampling
        decision without ids gives a :class:`~traced.tracer.context.DecisionContext` for
        one. Never raises."""
        return None

    def extract_baggage(self, carrier: Carrier) -> Dict[str, str]:
        """The baggage a baggage-only codec finds in ``carrier`` (trace codecs put theirs
        in the context :meth:`extract` returns)."""
        return {}

    def present(self, carrier: Carrier) -> bool:
        """Whether ``carrier`` holds this format's span context headers, well-formed or
        not."""
        return any(name in carrier for name in self.trace_fields)

    def __repr__(self) -> str:
        return "<%s codec>" % self.name
