"""The step tag and the assertions shared by every runtime of the nested-callbacks scenario.

One ``one`` span goes down a pipeline of ``STEPS`` steps, each scheduled by the previous
one; step ``n`` adds the tag ``key<n>`` = n and the last step finishes the span. How the
span gets from one step to the next is up to each runtime's test file.
"""

from __future__ import annotations

from opentracing import Span
from opentracing.mocktracer import MockTracer

from ..utils import get_tags_count

STEPS = 4


def tag_step(span: Span, number: int) -> None:
    """What step ``number`` does with the span: add its own tag."""
    span.set_tag(f"key{number}", number)


def check_span(tracer: MockTracer, span: Span) -> None:
    """``span`` is the only span recorded, with one tag per step in pipeline order, and
    nothing is left active."""
    spans = tracer.finished_spans()
    assert len(spans) == 1
    assert spans[0] is span and span.operation_name == "one"
    assert get_tags_count(span, "key") == STEPS
    assert list(span.tags.items()) == [(f"key{n}", n) for n in range(1, STEPS + 1)]
    assert tracer.active_span is None
