"""The request handler shared by every request, and the scenario's assertions.

One :class:`RequestHandler` instance serves all requests at once, so it keeps nothing
per request on itself: ``before_request`` starts and activates the request's span and
puts the scope in the request's own ``context`` dict, ``after_request`` takes it back,
tags the response and closes it.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional

from opentracing import Tracer
from opentracing import tags as ot_tags
from opentracing.mocktracer.span import MockSpan

from ..utils import get_one_by_tag, get_tags_count

REQUEST_ID = "request.id"


class Request(NamedTuple):
    id: int
    path: str


def make_request(request_id: int) -> Request:
    """Request ``request_id`` for the path ``/item/<request_id>``."""
    return Request(request_id, f"/item/{request_id}")


class RequestHandler:
    """Hooks run around each request, in the thread, task or greenlet handling it."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def before_request(self, request: Request, context: Dict[str, Any]) -> None:
        """Start the request's span. Its parent is ``context['parent']`` when the runtime
        hands the sender's span over explicitly, else the span active here (inherited)."""
        explicit = "parent" in context
        context["scope"] = self.tracer.start_active_span(
            "request",
            child_of=context.get("parent"),
            ignore_active_span=explicit,
            tags={
                ot_tags.SPAN_KIND: ot_tags.SPAN_KIND_RPC_CLIENT,
                ot_tags.HTTP_URL: request.path,
                REQUEST_ID: request.id,
            },
        )

    def after_request(self, request: Request, context: Dict[str, Any]) -> None:
        """Tag the response on the request's span and finish it."""
        scope = context.pop("scope")
        assert self.tracer.active_span is scope.span, "another request's span is active"
        scope.span.set_tag(ot_tags.HTTP_STATUS_CODE, context["status"])
        scope.close()


def check_spans(spans: List[MockSpan], parents: Dict[int, Optional[MockSpan]]) -> None:
    """One span per request id in ``parents``, each a child of the span mapped to it
    (or a root in a trace of its own when mapped to None)."""
    requests = [s for s in spans if REQUEST_ID in s.tags]
    assert len(requests) == len(parents)
    for request_id, parent in parents.items():
        span = get_one_by_tag(requests, REQUEST_ID, request_id)
        assert span is not None, f"no span for request {request_id}"
        assert span.operation_name == "request"
        assert span.tags[ot_tags.HTTP_URL] == f"/item/{request_id}"
        assert span.tags[ot_tags.HTTP_STATUS_CODE] == 200
        assert get_tags_count(span, "http.") == 2
        if parent is None:
            assert span.parent_id is None
            assert sum(s.context.trace_id == span.context.trace_id for s in spans) == 1
        else:
            assert span.parent_id == parent.context.span_id
            assert span.context.trace_id == parent.context.trace_id
            assert spans.index(span) < spans.index(parent), "parent finished first"
