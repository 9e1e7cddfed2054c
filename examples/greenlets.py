"""Tracing gevent greenlets with ``GeventScopeManager``: a spawned greenlet starts with no
active span, so ``traced.propagate`` carries the spawning span into it; its spans become
children of that span. (No monkey patching is needed for this.)"""

import gevent

import opentracing
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.gevent import GeventScopeManager

from traced import propagate, span, trace


@trace("download", tag_args=["name"])
def download(name):
    gevent.sleep(0.01)  # other greenlets run meanwhile
    return f"{name}.bin"


def main():
    tracer = MockTracer(GeventScopeManager())
    opentracing.set_global_tracer(tracer)
    with span("sync-files"):
        jobs = [gevent.spawn(propagate(download), n) for n in ("a", "b", "c")]
        gevent.joinall(jobs, timeout=10, raise_error=True)
    # without propagate the greenlet's span is a root of its own trace
    gevent.spawn(download, "orphan").join(timeout=10)
    print([job.value for job in jobs])
    for s in tracer.finished_spans():
        print(f"{s.operation_name:<10} span={s.context.span_id} parent={s.parent_id} tags={s.tags}")


if __name__ == "__main__":
    main()
