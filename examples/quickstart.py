"""Quick start: trace a little work with MockTracer and print the spans it recorded."""

import opentracing
from opentracing.mocktracer import MockTracer


def main() -> None:
    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    with tracer.start_active_span("checkout") as scope:
        scope.span.set_tag("cart.items", 3)
        with tracer.start_active_span("charge-card"):
            pass
    for span in tracer.finished_spans():
        print(f"{span.operation_name:<12} span={span.context.span_id} "
              f"parent={span.parent_id} tags={span.tags}")


if __name__ == "__main__":
    main()
