"""``@trace`` on functions and methods: default and explicit names, fixed tags, arguments
recorded as tags with ``tag_args``, and an exception recorded on its span (error=True and
an error log) before it reaches the caller."""

import opentracing
from opentracing.mocktracer import MockTracer

from traced import trace


@trace  # bare: the span is named after the function, module.qualname
def parse(text):
    return text.split(",")


@trace("store.save", tags={"db": "orders"}, tag_args=["table"])
def save(table, rows):
    return len(rows)


class Shop:
    @trace("shop.order", tag_args=["customer"])
    def order(self, customer, text):
        return save("orders", parse(text))

    @trace("shop.refund")
    def refund(self, order_id):
        raise LookupError(f"no order {order_id}")


def main():
    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    shop = Shop()
    print("saved", shop.order("ada", "tea,cake"), "rows")
    try:
        shop.refund(7)
    except LookupError as exc:
        print("refund failed:", exc)
    for s in tracer.finished_spans():
        print(f"{s.operation_name:<16} span={s.context.span_id} parent={s.parent_id} tags={s.tags}")
        for log in s.logs:  # the error log: event, error.kind, error.object, stack
            fields = log.key_values
            print(f"{'':<16} log event={fields['event']} error.kind={fields['error.kind'].__name__}")


if __name__ == "__main__":
    main()
