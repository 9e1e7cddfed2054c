"""MockTracer: a tracer that records spans in memory so tests can assert on them.

For example::

    from opentracing.mocktracer import MockTracer

    tracer = MockTracer()
    with tracer.start_active_span('work'):
        pass
    assert tracer.finished_spans()[0].operation_name == 'work'
"""

from .propagator import Propagator
from .tracer import MockTracer

__all__ = ["MockTracer", "Propagator"]
