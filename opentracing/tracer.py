"""``Tracer`` (the no-op tracer), span references and ``start_child_span``."""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Union

from .propagation import Format, UnsupportedFormatException
from .scope import Scope
from .scope_manager import ScopeManager
from .span import Span, SpanContext

__all__ = [
    "Reference",
    "ReferenceType",
    "Tracer",
    "child_of",
    "follows_from",
    "start_child_span",
]


class Tracer:
    """Starts spans and moves span contexts across process boundaries.

    The base class is a working no-op tracer: every span it starts is one preallocated
    no-op :class:`~opentracing.Span`, so an application instrumented with OpenTracing and
    no tracer configured pays almost nothing.
    """

    _supported_formats = [Format.TEXT_MAP, Format.BINARY, Format.HTTP_HEADERS]

    def __init__(self, scope_manager: Optional[ScopeManager] = None) -> None:
        self._scope_manager = ScopeManager() if scope_manager is None else scope_manager
        self._noop_span_context = SpanContext()
        self._noop_span = Span(tracer=self, context=self._noop_span_context)
        self._noop_scope = Scope(self._scope_manager, self._noop_span)

    @property
    def scope_manager(self) -> ScopeManager:
        """The :class:`ScopeManager` that keeps this tracer's active span."""
        return self._scope_manager

    @property
    def active_span(self) -> Optional[Span]:
        """The span of the active scope, or None when no scope is active."""
        scope = self._scope_manager.active
        return None if scope is None else scope.span

    def start_active_span(
        self,
        operation_name: str,
        child_of: Union[Span, SpanContext, None] = None,
        references: Optional[List["Reference"]] = None,
        tags: Optional[Dict[str, Any]] = None,
        start_time: Optional[float] = None,
        ignore_active_span: bool = False,
        finish_on_close: bool = True,
    ) -> Scope:
        """Start a span and activate it in :attr:`scope_manager`; return its scope.

        The arguments are those of :meth:`start_span`. With ``finish_on_close`` (the
        default) closing the scope finishes the span. Meant for ``with``::

            with tracer.start_active_span('load') as scope:
                scope.span.set_tag('rows', 3)
        """
        return self._noop_scope

    def start_span(
        self,
        operation_name: Optional[str] = None,
        child_of: Union[Span, SpanContext, None] = None,
        references: Optional[List["Reference"]] = None,
        tags: Optional[Dict[str, Any]] = None,
        start_time: Optional[float] = None,
        ignore_active_span: bool = False,
    ) -> Span:
        """Start a span without activating it.

        The parent is ``child_of`` (a Span or SpanContext) when given, else the first of
        ``references``, else the active span unless ``ignore_active_span`` is true.
        ``start_time`` is seconds since the epoch; ``tags`` are set on the new span.
        """
        return self._noop_span

    def inject(self, span_context: SpanContext, format: str, carrier: Any) -> None:
        """Write ``span_context`` into ``carrier`` in the given :class:`Format`.

        :raises UnsupportedFormatException: the tracer does not know ``format``.
        :raises InvalidCarrierException: ``carrier`` is of the wrong type for ``format``.
        """
        if format not in Tracer._supported_formats:
            raise UnsupportedFormatException(format)

    def extract(self, format: str, carrier: Any) -> Optional[SpanContext]:
        """Read a SpanContext from ``carrier`` in the given :class:`Format`.

        :raises UnsupportedFormatException: the tracer does not know ``format``.
        :raises InvalidCarrierException: ``carrier`` is of the wrong type for ``format``.
        :raises SpanContextCorruptedException: the carrier's span data cannot be decoded.
        """
        if format not in Tracer._supported_formats:
            raise UnsupportedFormatException(format)
        return self._noop_span_context


class ReferenceType:
    """The kinds of relation a span can have to an earlier one."""

    CHILD_OF = "child_of"
    FOLLOWS_FROM = "follows_from"


class Reference(NamedTuple):
    """A typed link from a new span to the context of an earlier one.

    ``type`` is a :class:`ReferenceType` value, ``referenced_context`` a SpanContext.
    """

    type: str
    referenced_context: Optional[SpanContext]


def _context_of(referenced: Union[Span, SpanContext, None]) -> Optional[SpanContext]:
    return referenced.context if isinstance(referenced, Span) else referenced


def child_of(referenced_context: Union[Span, SpanContext, None] = None) -> Reference:
    """A CHILD_OF reference to ``referenced_context`` (a SpanContext, or a Span's context)."""
    return Reference(ReferenceType.CHILD_OF, _context_of(referenced_context))


def follows_from(referenced_context: Union[Span, SpanContext, None] = None) -> Reference:
    """A FOLLOWS_FROM reference: the new span is caused by, not awaited by, the referenced one."""
    return Reference(ReferenceType.FOLLOWS_FROM, _context_of(referenced_context))


def start_child_span(
    parent_span: Span,
    operation_name: str,
    tags: Optional[Dict[str, Any]] = None,
    start_time: Optional[float] = None,
) -> Span:
    """Start (without activating) a child of ``parent_span`` on the parent's tracer."""
    return parent_span.tracer.start_span(
        operation_name=operation_name,
        child_of=parent_span,
        tags=tags,
        start_time=start_time,
    )
