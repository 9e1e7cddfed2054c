"""The composite the tracer calls: inject every configured codec, extract with the first
that finds a context."""

from __future__ import annotations

from collections.abc import MutableMapping as _MutableMapping
from typing import Dict, Iterable, MutableMapping, Optional, Tuple

from opentracing import InvalidCarrierException, SpanContextCorruptedException

from ..tracer.context import DecisionContext, SpanContext
from ._base import Codec
from ._carrier import Carrier

__all__ = ["Propagator"]


class Propagator:
    """Codecs in a configured order, used as one.

    :meth:`inject` writes every codec's headers. :meth:`extract` asks the codecs that carry
    a span context, in order, and returns the first context found, with ``remote=True``;
    codecs whose headers are absent or malformed are passed over. The baggage of the
    baggage-only codecs (W3C ``baggage``) is merged into that context, on top of the
    baggage the winning codec carried itself (``uberctx-*``, ``ot-baggage-*``).

    A sampling decision without ids (``b3: 0``, a lone ``jaeger-debug-id``: a
    :class:`~traced.tracer.context.DecisionContext`) counts only when no codec finds a
    context with ids: ids keep the trace whole, and they carry a decision too. Among
    decisions, the first codec's wins. Injected, such a decision is written by the codecs
    that can express it without ids (``b3``, ``b3multi``, ``jaeger`` with a debug id) and
    by the baggage-only codecs; the others write nothing.

    No codec finding a context gives None, so the tracer starts a new trace; with
    ``strict=True``, when at least one codec's span context headers were present and all
    present ones were malformed, :meth:`extract` raises
    ``opentracing.SpanContextCorruptedException`` instead (an empty carrier, or one with
    baggage only, still gives None). A carrier that is not a mapping, a WSGI environ or a
    list of pairs raises ``opentracing.InvalidCarrierException``. Nothing else is raised.
    """

    __slots__ = (
        "codecs",
        "fields",
        "strict",
        "_injectors",
        "_decision_injectors",
        "_trace",
        "_baggage",
    )

    def __init__(self, codecs: Iterable[Codec], *, strict: bool = False) -> None:
        self.codecs: Tuple[Codec, ...] = tuple(codecs)
        #: every header name the codecs write, in order, once each
        self.fields: Tuple[str, ...] = tuple(
            dict.fromkeys(f for c in self.codecs for f in c.fields)
        )
        self.strict = strict
        self._injectors = tuple(codec.inject for codec in self.codecs)
        self._decision_injectors = tuple(
            codec.inject_decision if codec.carries_trace else codec.inject
            for codec in self.codecs
        )
        self._trace = tuple(codec for codec in self.codecs if codec.carries_trace)
        self._baggage = tuple(codec for codec in self.codecs if not codec.carries_trace)

    def inject(self, context: SpanContext, carrier: MutableMapping[str, str]) -> None:
        """Write ``context`` into ``carrier`` in every configured format."""
        if type(carrier) is not dict and (
            isinstance(carrier, (str, bytes, bytearray, list, tuple))
            or not (isinstance(carrier, _MutableMapping) or hasattr(carrier, "__setitem__"))
        ):  # a header object need not be a MutableMapping (Werkzeug's Headers is not)
            raise InvalidCarrierException(
                "carrier must be a mutable mapping, not %s" % type(carrier).__name__
            )
        if context.__class__ is DecisionContext:
            for inject_decision in self._decision_injectors:
                inject_decision(context, carrier)
            return
        for inject in self._injectors:
            inject(context, carrier)

    def extract(self, carrier: object) -> Optional[SpanContext]:
        """The span context in ``carrier`` (a mapping of headers in any case, a WSGI
        environ, or a list of pairs), or None; see the class docstring for when
        ``SpanContextCorruptedException`` is raised instead."""
        if not self._trace:  # "none", or baggage alone: never a context
            return None
        headers = Carrier.of(carrier)
        if not len(headers):
            return None
        decision: Optional[SpanContext] = None
        for codec in self._trace:
            context = codec.extract(headers)
            if context is not None:
                if context.__class__ is not DecisionContext:
                    break
                if decision is None:
                    decision = context
        else:
            context = decision
        if context is None:
            if self.strict:
                malformed = [codec.name for codec in self._trace if codec.present(headers)]
                if malformed:
                    raise SpanContextCorruptedException(
                        "malformed span context in the %s headers" % ", ".join(malformed)
                    )
            return None
        if self._baggage:
            extra: Dict[str, str] = {}
            for codec in self._baggage:
                extra.update(codec.extract_baggage(headers))
            if extra:
                # an item of the codec's own that differs only in case is the same item
                # (keys in header names arrive lowercased)
                lowered = {key.lower() for key in extra}
                own = {k: v for k, v in context.baggage.items() if k not in lowered}
                context = context._replace(baggage={**own, **extra})
        return context

    def __repr__(self) -> str:
        return "Propagator([%s]%s)" % (
            ", ".join(codec.name for codec in self.codecs),
            ", strict=True" if self.strict else "",
        )


