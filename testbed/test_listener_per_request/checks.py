"""The listener and the assertions shared by every runtime of the listener-per-request
scenario.

For each request the client starts a ``send`` span (span.kind=client, ``request.id``) and
hands it to a fresh :class:`ResponseListener`; whatever delivers the response calls
:meth:`ResponseListener.on_response`, which tags the span with the response and finishes
it. The span is never activated: it travels inside the listener. How the response is
delivered (thread, task, greenlet, loop callback) is up to each runtime's test file.
"""

from __future__ import annotations

from typing import Any, List, Optional

from opentracing import Span, Tracer
from opentracing import tags as ot_tags
from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan

from ..utils import get_one_by_tag

REQUEST_ID = "request.id"


def response_for(request_id: int) -> str:
    """The response the server sends to request ``request_id``."""
    return f"answer-{request_id}"


class ResponseListener:
    """Finishes the span of one request when its response arrives. It records how often it
    was called and which span was active then; ``done``, when given (an asyncio or Tornado
    future), gets the response once the span is finished."""

    def __init__(self, span: Span, done: Any = None) -> None:
        self.span = span
        self.calls = 0
        self.active_at_response: Any = "unset"
        self.done = done

    def on_response(self, response: str) -> None:
        self.calls += 1
        self.active_at_response = self.span.tracer.active_span
        self.span.set_tag("response", response)
        self.span.finish()
        if self.done is not None:
            self.done.set_result(response)


def start_request(tracer: Tracer, request_id: int, done: Any = None) -> ResponseListener:
    """Start the (not activated) span of request ``request_id`` and return its listener."""
    span = tracer.start_span(
        "send",
        tags={ot_tags.SPAN_KIND: ot_tags.SPAN_KIND_RPC_CLIENT, REQUEST_ID: request_id},
    )
    return ResponseListener(span, done)


def _check_request_spans(
    tracer: MockTracer, listeners: List[ResponseListener], active_at_response: Optional[Span]
) -> List[MockSpan]:
    """One finished span per listener, in the order sent, with exactly its request's tags;
    each listener called once, with ``active_at_response`` the active span at the time."""
    spans = [s for s in tracer.finished_spans() if s.operation_name == "send"]
    assert len(spans) == len(listeners)
    assert len({s.context.span_id for s in spans}) == len(listeners)
    for i, listener in enumerate(listeners):
        span = get_one_by_tag(spans, REQUEST_ID, i)
        assert span is listener.span
        assert span.tags == {
            ot_tags.SPAN_KIND: ot_tags.SPAN_KIND_RPC_CLIENT,
            REQUEST_ID: i,
            "response": response_for(i),
        }
        assert listener.calls == 1
        assert listener.active_at_response is active_at_response
    return spans


def check_root_spans(tracer: MockTracer, listeners: List[ResponseListener]) -> None:
    """Sent with no active span: each request has its own root span and trace, and no span
    was active when the responses arrived."""
    spans = _check_request_spans(tracer, listeners, active_at_response=None)
    assert len(tracer.finished_spans()) == len(listeners)
    assert all(s.parent_id is None for s in spans)
    assert len({s.context.trace_id for s in spans}) == len(listeners)
    assert tracer.active_span is None


def check_children_of_batch(
    tracer: MockTracer, listeners: List[ResponseListener], batch_active_at_response: bool
) -> None:
    """Sent under an active ``batch`` span: the request spans are its children, in its
    trace, and it finished last. ``batch_active_at_response`` says whether the code that
    delivered the responses saw ``batch`` as active (inherited) or saw no active span."""
    *_, batch = tracer.finished_spans()
    assert batch.operation_name == "batch" and batch.parent_id is None
    assert len(tracer.finished_spans()) == len(listeners) + 1
    active = batch if batch_active_at_response else None
    spans = _check_request_spans(tracer, listeners, active_at_response=active)
    assert all(s.parent_id == batch.context.span_id for s in spans)
    assert all(s.context.trace_id == batch.context.trace_id for s in spans)
    assert tracer.active_span is None
