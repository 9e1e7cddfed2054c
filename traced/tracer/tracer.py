"""``traced.Tracer``: the recording OpenTracing tracer.

Starting a span: find the parent (``child_of``, else the first reference, else the active
span unless ``ignore_active_span``); take the trace id, baggage and sampling decision from
a local parent, ask the sampler at the root of a trace or under a remote parent; give the
span a new random id; a sampled span records, an unsampled one only carries its ids. A
caller's sampling decision that came without ids (a ``DecisionContext``) starts a new
trace that follows that decision.
Finishing a sampled span hands its frozen snapshot to the recorder.
"""

from __future__ import annotations

import os
import socket
import time
import weakref
from types import MappingProxyType
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import opentracing
from opentracing import (
    Format,
    InvalidCarrierException,
    Reference,
    ReferenceType,
    Scope,
    ScopeManager,
    UnsupportedFormatException,
)
from opentracing.scope_managers import StackScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from .._report import report_tracer_error
from ..counters import Counters
from ._ids import random_bits as _random_bits
from .binary import extract_binary, inject_binary
from .context import DecisionContext, SpanContext
from .recorder import MemoryRecorder, Recorder
from .sampling import ALWAYS_OFF, ALWAYS_ON, DEFAULT_SAMPLER, ParentBased, Sampler, decide
from .span import FinishedSpan, NonRecordingSpan, RecordingSpan, SpanLimits, SpanReference

__all__ = ["Tracer"]

_TEXT_FORMATS = (Format.TEXT_MAP, Format.HTTP_HEADERS)
_CHILD_OF = ReferenceType.CHILD_OF
_new_span = object.__new__
_time = time.time
_NO_BAGGAGE: Dict[str, str] = {}
#: the tag that keeps a Jaeger debug id on the root span it forced (jaeger-client's name)
_DEBUG_ID = "jaeger-debug-id"

# Every live tracer, so that a forked child can correct the pid in their process tags.
_tracers: "weakref.WeakSet[Tracer]" = weakref.WeakSet()


def _library_version() -> str:
    try:
        from importlib.metadata import version

        return version("opentracing")
    except Exception:  # not installed as a distribution (a source checkout)
        return "unknown"


def _after_fork_in_child() -> None:
    for tracer in list(_tracers):
        tracer._set_process_tags()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Tracer(opentracing.Tracer):
    """An OpenTracing tracer that records spans with real ids and propagates them.

    :param service_name: the name of this service, on every span's process tags.
    :param recorder: where finished, sampled spans go (default: a :class:`MemoryRecorder`).
    :param sampler: decides at the root of each trace (default: parent-based, always on).
    :param propagator: the codecs for ``TEXT_MAP`` and ``HTTP_HEADERS`` (default: W3C
        ``traceparent``/``tracestate`` and ``baggage``).
    :param scope_manager: default ``ContextVarsScopeManager``, right for threads and asyncio.
    :param tags: extra process tags (``deployment.environment``, ...).
    :param limits: how many tags and logs a span keeps (:class:`SpanLimits`).
    :param counters: where spans started and sampled are counted (:attr:`counters`); the
        export pipeline counts into the same object.
    """

    def __init__(
        self,
        service_name: str = "unknown_service",
        *,
        recorder: Optional[Recorder] = None,
        sampler: Optional[Sampler] = None,
        propagator: Any = None,
        scope_manager: Optional[ScopeManager] = None,
        tags: Optional[Mapping[str, Any]] = None,
        limits: Optional[SpanLimits] = None,
        counters: Optional[Counters] = None,
    ) -> None:
        super().__init__(ContextVarsScopeManager() if scope_manager is None else scope_manager)
        if not isinstance(service_name, str) or not service_name:
            raise ValueError("service_name must be a non-empty string, not %r" % (service_name,))
        if propagator is None:
            from ..propagation import DEFAULT_PROPAGATORS, composite

            propagator = composite(DEFAULT_PROPAGATORS)
        self.service_name = service_name
        self.recorder = MemoryRecorder() if recorder is None else recorder
        self.sampler = DEFAULT_SAMPLER if sampler is None else sampler
        self.propagator = propagator
        self._limits = SpanLimits() if limits is None else limits
        #: Spans started and sampled, and what the export pipeline did with them.
        self.counters = Counters() if counters is None else counters
        self._sampled_count = self.counters.count_sampled
        self._unsampled_count = self.counters.count_unsampled
        manager = self._scope_manager
        # read on every span without a given parent: the manager's fastest way, chosen here
        self._active_scope: Callable[[], Optional[Scope]] = (
            manager.active_getter()
            if isinstance(manager, StackScopeManager)
            else lambda: manager.active
        )
        self._extra_tags = dict(tags or {})
        self.process_tags: Mapping[str, Any] = MappingProxyType({})
        self._set_process_tags()
        _tracers.add(self)

    def _set_process_tags(self) -> None:
        tags: Dict[str, Any] = {
            "service.name": self.service_name,
            "host.name": socket.gethostname(),
            "process.pid": os.getpid(),
            "telemetry.sdk.name": "traced",
            "telemetry.sdk.language": "python",
            "telemetry.sdk.version": _library_version(),
        }
        tags.update(self._extra_tags)
        self.process_tags = MappingProxyType(tags)

    @property
    def recorder(self) -> Recorder:
        """Where finished, sampled spans go."""
        return self._recorder

    @recorder.setter
    def recorder(self, recorder: Recorder) -> None:
        self._recorder = recorder

    @property
    def sampler(self) -> Sampler:
        """Decides at the root of each trace and under a remote parent."""
        return self._sampler

    @sampler.setter
    def sampler(self, sampler: Sampler) -> None:
        self._sampler = sampler
        # decided here once: what a root span gets without asking (None: ask)
        self._root_decision = _fixed_root_decision(sampler)

    # -- starting spans ------------------------------------------------------------------

    def start_active_span(
        self,
        operation_name: str,
        child_of: Union[opentracing.Span, opentracing.SpanContext, None] = None,
        references: Optional[List[Reference]] = None,
        tags: Optional[Dict[str, Any]] = None,
        start_time: Optional[float] = None,
        ignore_active_span: bool = False,
        finish_on_close: bool = True,
    ) -> Scope:
        span = self.start_span(
            operation_name, child_of, references, tags, start_time, ignore_active_span
        )
        return self._scope_manager.activate(span, finish_on_close)

    def start_span(
        self,
        operation_name: Optional[str] = None,
        child_of: Union[opentracing.Span, opentracing.SpanContext, None] = None,
        references: Optional[List[Reference]] = None,
        tags: Optional[Dict[str, Any]] = None,
        start_time: Optional[float] = None,
        ignore_active_span: bool = False,
    ) -> opentracing.Span:
        parent: Any = None
        span_references: Optional[Tuple[SpanReference, ...]] = None
        if child_of is not None:
            parent = child_of.context if isinstance(child_of, opentracing.Span) else child_of
        elif references:
            span_references, parent = _references(references)
        if parent is None and not ignore_active_span:
            scope = self._active_scope()
            if scope is not None:
                parent = scope.span.context
        name = "" if operation_name is None else operation_name
        if parent.__class__ is SpanContext:
            if parent.remote:
                sampled = decide(self._sampler, parent.trace_id, parent, name)
            else:
                sampled = parent.sampled
            context = parent._child(_random_bits(64) or 1, sampled)
        else:  # a root span; a context of another tracer cannot be a parent
            trace_id = _random_bits(128) or 1
            if parent is not None and parent.__class__ is DecisionContext:
                # a caller's decision without ids: a new trace that follows it
                sampled = parent.sampled and decide(self._sampler, trace_id, parent, name)
                context = _decided_root(parent, trace_id, sampled)
                if sampled and parent.debug_id is not None:
                    tags = {**(tags or {}), _DEBUG_ID: parent.debug_id}
            else:
                fixed = self._root_decision
                sampled = decide(self._sampler, trace_id, None, name) if fixed is None else fixed
                # root_context(trace_id, new span id, sampled), written out
                context = _new_span(SpanContext)
                context.trace_id = trace_id
                context.span_id = _random_bits(64) or 1
                context.parent_id = None
                context.sampled = sampled
                context.debug = False
                context.trace_state = ()
                context.trace_id_bits = 128
                context.remote = False
                context._baggage = _NO_BAGGAGE
        if sampled:
            next(self._sampled_count)
            # RecordingSpan(self, context, name, start_time, tags, span_references), written
            # out: one call less for every sampled span
            recording = _new_span(RecordingSpan)
            recording._tracer = self
            recording._context = context
            recording.operation_name = name
            recording.start_time = _time() if start_time is None else start_time
            recording.finish_time = None
            recording._tags = recording._logs = recording._drops = None
            recording._references = span_references
            recording._unfinished = True
            if tags:
                recording._start_tags(tags)
            return recording
        next(self._unsampled_count)
        span = _new_span(NonRecordingSpan)  # NonRecordingSpan(self, context), written out
        span._tracer = self
        span._context = context
        return span

    # -- propagation -----------------------------------------------------------------------

    def inject(self, span_context: opentracing.SpanContext, format: str, carrier: Any) -> None:
        """Write ``span_context`` into ``carrier``: every configured codec for ``TEXT_MAP``
        and ``HTTP_HEADERS`` (a mutable mapping), this tracer's encoding for ``BINARY`` (a
        ``bytearray``; a decision without ids writes nothing there).

        :raises UnsupportedFormatException: any other format.
        :raises InvalidCarrierException: a carrier of the wrong type.
        :raises TypeError: ``span_context`` was not made by a ``traced.Tracer``.
        """
        if not isinstance(span_context, SpanContext):
            if format not in _TEXT_FORMATS and format != Format.BINARY:
                raise UnsupportedFormatException(format)
            raise TypeError(
                "traced.Tracer.inject needs a span context of a traced.Tracer, not %s"
                % type(span_context).__name__
            )
        if format in _TEXT_FORMATS:
            if not hasattr(carrier, "__setitem__") or isinstance(carrier, (list, bytearray)):
                raise InvalidCarrierException(
                    "a %s carrier must be a mutable mapping, not %s"
                    % (format, type(carrier).__name__)
                )
            self.propagator.inject(span_context, carrier)
        elif format == Format.BINARY:
            if not span_context.decision_only:  # it has no ids: nothing, extract gives None
                inject_binary(span_context, carrier)
        else:
            raise UnsupportedFormatException(format)

    def extract(self, format: str, carrier: Any) -> Optional[SpanContext]:
        """The span context in ``carrier``, or None when it holds none (see
        :mod:`traced.propagation` for when a malformed one raises
        :exc:`~opentracing.SpanContextCorruptedException`).

        :raises UnsupportedFormatException: a format other than the three standard ones.
        :raises InvalidCarrierException: a carrier of the wrong type.
        """
        if format in _TEXT_FORMATS:
            if not hasattr(carrier, "get") and not hasattr(carrier, "__getitem__"):
                raise InvalidCarrierException(
                    "a %s carrier must be a mapping, not %s" % (format, type(carrier).__name__)
                )
            context: Optional[SpanContext] = self.propagator.extract(carrier)
            return context
        if format == Format.BINARY:
            return extract_binary(carrier)
        raise UnsupportedFormatException(format)

    # -- recording ---------------------------------------------------------------------------

    def flush(self, timeout: float = 5.0) -> bool:
        """Hand every finished span to its destination; True when done within ``timeout``."""
        try:
            return self.recorder.flush(timeout)
        except Exception as exc:
            report_tracer_error("Recorder.flush", exc)
            return False

    def close(self, timeout: float = 5.0) -> bool:
        """Flush and close the recorder; True when done within ``timeout``."""
        try:
            return self.recorder.close(timeout)
        except Exception as exc:
            report_tracer_error("Recorder.close", exc)
            return False


def _fixed_root_decision(sampler: Sampler) -> Optional[bool]:
    """The decision ``sampler`` always takes for a root span, when it is fixed: always on
    and always off, alone or as a parent-based sampler's root (the default)."""
    root = sampler.root if isinstance(sampler, ParentBased) else sampler
    if root is ALWAYS_ON:
        return True
    if root is ALWAYS_OFF:
        return False
    return None


def _decided_root(decision: DecisionContext, trace_id: int, sampled: bool) -> SpanContext:
    """The context of the root span started under a caller's decision without ids: a new
    trace keeping the decision's debug flag and baggage."""
    return SpanContext(
        trace_id,
        _random_bits(64) or 1,
        sampled,
        decision.baggage,
        debug=decision.debug,
    )


def _references(
    references: List[Reference],
) -> Tuple[Optional[Tuple[SpanReference, ...]], Optional[SpanContext]]:
    """The typed references to contexts of this tracer, and the parent among them: the
    first ``child_of``, else the first reference (a trace continues through either kind),
    else the first caller's decision without ids (which no reference can name). None for
    the references when none of them counts (None contexts, other tracers', decisions), so
    that a parent found afterwards (the active span) is recorded as the span's parent."""
    kept: List[SpanReference] = []
    parent: Optional[SpanContext] = None
    first: Optional[SpanContext] = None
    decision: Optional[SpanContext] = None
    for reference in references:
        context = reference.referenced_context
        if isinstance(context, opentracing.Span):
            context = context.context
        if not isinstance(context, SpanContext):
            continue  # None (as extract may give) or a context of another tracer
        if context.__class__ is DecisionContext:
            # no ids to refer to: the parent only when nothing else is
            if decision is None:
                decision = context
            continue
        kept.append(SpanReference(reference.type, context.trace_id, context.span_id))
        if first is None:
            first = context
        if parent is None and reference.type == _CHILD_OF:
            parent = context
    if parent is None:
        parent = first if first is not None else decision
    return (tuple(kept) or None), parent
