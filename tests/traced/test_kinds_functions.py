"""@trace on every kind of synchronous callable: functions, methods, classmethods and
staticmethods (both decorator orders), callable objects, partials; the three ways of
calling ``trace``; default operation names; tags and ``tag_args``; rejected targets."""

from __future__ import annotations

import functools

import pytest

from traced import trace

from ._tools import by_name

MODULE = __name__


def test_plain_function_bare_decorator(tracer):
    """Bare @trace: the call returns the function's result inside one finished span named
    module.qualname."""

    @trace
    def work(x):
        assert tracer.active_span is not None
        return x + 1

    assert work(1) == 2
    [span] = tracer.finished_spans()
    assert span.operation_name == f"{MODULE}.test_plain_function_bare_decorator.<locals>.work"
    assert span.finished and span.parent_id is None and span.tags == {}


def test_trace_with_empty_parentheses_is_the_same_as_bare(tracer):
    """@trace() gives the same default name as @trace."""

    @trace()
    def work():
        return "ok"

    assert work() == "ok"
    [span] = tracer.finished_spans()
    assert span.operation_name.endswith("test_trace_with_empty_parentheses_is_the_same_as_bare.<locals>.work")
    assert span.operation_name.startswith(MODULE + ".")


def test_trace_with_name_and_tags(tracer):
    """@trace("name", tags=...) names the span and sets the tags on every call."""

    @trace("load", tags={"component": "db", "shard": 3})
    def load():
        return 1

    load()
    load()
    spans = tracer.finished_spans()
    assert [s.operation_name for s in spans] == ["load", "load"]
    assert all(s.tags == {"component": "db", "shard": 3} for s in spans)


def test_tags_are_copied_at_decoration_and_per_call(tracer):
    """The tags mapping is copied when decorating (later changes to it do not leak in), and
    each span gets a dict of its own (a span changing its tags does not affect the next)."""
    tags = {"a": 1}

    @trace("t", tags=tags)
    def f():
        tracer.active_span.set_tag("a", 99)

    tags["b"] = 2
    f()
    f()
    first, second = tracer.finished_spans()
    assert first.tags == {"a": 99} and second.tags == {"a": 99}
    assert tags == {"a": 1, "b": 2}


def test_nested_traced_functions_are_parent_and_child(tracer):
    """A traced function called from another one gets a child span."""

    @trace("inner")
    def inner():
        return tracer.active_span

    @trace("outer")
    def outer():
        return inner()

    inner_span = outer()
    spans = by_name(tracer)
    assert inner_span is spans["inner"]
    assert spans["inner"].parent_id == spans["outer"].context.span_id
    assert tracer.active_span is None


def test_ignore_active_span_starts_a_root(tracer):
    """ignore_active_span=True gives a root span even inside another span."""

    @trace("root", ignore_active_span=True)
    def f():
        pass

    with tracer.start_active_span("outer"):
        f()
    assert by_name(tracer)["root"].parent_id is None


class Service:
    """A class with every kind of method, traced in both decorator orders."""

    factor = 10

    @trace
    def method(self, x):
        """Doc of method."""
        return self.factor * x

    @trace
    @classmethod
    def trace_over_classmethod(cls, x):
        return cls.factor + x

    @classmethod
    @trace
    def classmethod_over_trace(cls, x):
        return cls.factor - x

    @trace
    @staticmethod
    def trace_over_staticmethod(x):
        return -x

    @staticmethod
    @trace
    def staticmethod_over_trace(x):
        return x * x

    @trace("named.method", tag_args=("x",))
    def tagged(self, x, y=5):
        return x + y


class SubService(Service):
    factor = 100


def test_instance_method(tracer):
    """An instance method gets self and is named module.Class.method."""
    assert Service().method(2) == 20
    [span] = tracer.finished_spans()
    assert span.operation_name == f"{MODULE}.Service.method"


@pytest.mark.parametrize(
    "name, args, expected",
    [
        ("trace_over_classmethod", (1,), 11),
        ("classmethod_over_trace", (1,), 9),
        ("trace_over_staticmethod", (3,), -3),
        ("staticmethod_over_trace", (3,), 9),
    ],
)
def test_classmethod_and_staticmethod_in_both_orders(tracer, name, args, expected):
    """classmethod/staticmethod work whether @trace is above or below them: called on the
    class and on an instance, each call gives one span named module.Class.name."""
    assert getattr(Service, name)(*args) == expected
    assert getattr(Service(), name)(*args) == expected
    spans = tracer.finished_spans()
    assert [s.operation_name for s in spans] == [f"{MODULE}.Service.{name}"] * 2


def test_classmethod_receives_the_subclass(tracer):
    """A traced classmethod (either order) is bound to the class it is called on."""
    assert SubService.trace_over_classmethod(1) == 101
    assert SubService.classmethod_over_trace(1) == 99
    assert isinstance(Service.__dict__["trace_over_classmethod"], classmethod)
    assert isinstance(Service.__dict__["trace_over_staticmethod"], staticmethod)


class Adder:
    """A callable object."""

    def __init__(self, n):
        self.n = n

    def __call__(self, x, *, scale=1):
        return (self.n + x) * scale


def test_callable_object(tracer):
    """A callable instance is traced through its __call__, named after its class."""
    traced_adder = trace(Adder(2))
    assert traced_adder(3, scale=2) == 10
    [span] = tracer.finished_spans()
    assert span.operation_name == f"{MODULE}.Adder"


def test_callable_object_tag_args_do_not_count_self(tracer):
    """For a callable object, tag_args positions start after self (it is bound)."""
    traced_adder = trace("adder", tag_args=("x", "scale"))(Adder(2))
    traced_adder(3)
    traced_adder(4, scale=7)
    first, second = tracer.finished_spans()
    assert first.tags == {"x": 3, "scale": 1}
    assert second.tags == {"x": 4, "scale": 7}


def power(base, exp=2):
    return base**exp


def test_functools_partial(tracer):
    """A partial is traced, named after the function it wraps; tag_args refer to the
    partial's remaining parameters."""
    cube = trace(tag_args=("base",))(functools.partial(power, exp=3))
    assert cube(2) == 8
    [span] = tracer.finished_spans()
    assert span.operation_name == f"{MODULE}.power"
    assert span.tags == {"base": 2}


def test_partial_of_callable_object_is_named_after_its_class(tracer):
    """A partial of a callable object is named module.Class, like the object itself (not
    after the object's repr, which would differ per instance)."""
    traced_partial = trace(functools.partial(Adder(1), scale=2))
    assert traced_partial(1) == 4
    [span] = tracer.finished_spans()
    assert span.operation_name == f"{MODULE}.Adder"


def test_bound_method_and_builtin(tracer):
    """A bound method and a builtin can be traced too."""
    traced_len = trace(len)
    traced_method = trace(Service().method.__wrapped__.__get__(SubService()))
    assert traced_len([1, 2]) == 2
    assert traced_method(1) == 100
    names = [s.operation_name for s in tracer.finished_spans()]
    assert names == ["builtins.len", f"{MODULE}.Service.method"]


def test_tag_args_bound_by_signature_with_defaults_and_keywords(tracer):
    """tag_args takes values from positional args, keyword args, or the parameter's
    default when not passed; keyword-only parameters too; non-tag values are repr'd."""

    @trace("f", tag_args=("a", "b", "c", "d"))
    def f(a, b=2, *rest, c, d="dflt", **extra):
        return a

    f(1, c=[1])
    f(10, 20, 30, c=3, d=None)
    f(a="kw", c=True, b=2.5)
    first, second, third = tracer.finished_spans()
    assert first.tags == {"a": 1, "b": 2, "c": "[1]", "d": "dflt"}
    assert second.tags == {"a": 10, "b": 20, "c": 3, "d": "None"}
    assert third.tags == {"a": "kw", "b": 2.5, "c": True, "d": "dflt"}


def test_tag_args_single_name_as_string(tracer):
    """A single parameter name given as a string is that name, not its characters."""

    @trace("f", tag_args="user")
    def f(user, u=1):
        return user

    f("ann")
    assert tracer.finished_spans()[0].tags == {"user": "ann"}


def test_tag_args_missing_argument_without_default_is_skipped(tracer):
    """A named parameter that was not passed and has no default gives no tag; the call's
    own TypeError is recorded and raised."""

    @trace("f", tag_args=("a", "b"))
    def f(a, b):
        return a

    with pytest.raises(TypeError):
        f(1)
    [span] = tracer.finished_spans()
    assert span.tags["a"] == 1 and "b" not in span.tags
    assert span.tags["error"] is True


def test_tag_args_on_methods_count_self(tracer):
    """For a method defined in a class body, the positions include self, so the right
    arguments are tagged whether the method is called on an instance or the class."""
    service = Service()
    service.tagged(1)
    Service.tagged(service, 2, y=3)
    first, second = tracer.finished_spans()
    assert first.tags == {"x": 1} and second.tags == {"x": 2}


def test_tag_args_on_classmethod_in_both_orders(tracer):
    """tag_args see through classmethod in either order (cls is counted, then bound)."""

    class C:
        @trace("over", tag_args=("x",))
        @classmethod
        def over(cls, x):
            return x

        @classmethod
        @trace("under", tag_args=("x",))
        def under(cls, x):
            return x

    C.over(4)
    C.under(x=5)
    spans = by_name(tracer)
    assert spans["over"].tags == {"x": 4}
    assert spans["under"].tags == {"x": 5}


def test_tag_args_positional_only_is_not_confused_with_kwargs(tracer):
    """A positional-only parameter is tagged with its positional value (or its default),
    not with a **kwargs entry of the same name."""

    @trace("f", tag_args=("a", "b"))
    def f(a, /, b=0, **kwargs):
        return kwargs

    assert f(1, a=2) == {"a": 2}
    [span] = tracer.finished_spans()
    assert span.tags == {"a": 1, "b": 0}


@pytest.mark.parametrize("bad", ["nope", "args", "kwargs"])
def test_tag_args_unknown_or_variadic_names_raise_type_error(bad):
    """tag_args naming a parameter that does not exist, or *args/**kwargs, fails at
    decoration time with TypeError naming it."""

    def f(a, *args, **kwargs):
        pass

    with pytest.raises(TypeError, match=bad):
        trace(tag_args=(bad,))(f)


@pytest.mark.parametrize("target", [None, 42, "name-but-called-as-target", object()])
def test_decorating_a_non_callable_raises_type_error(target):
    """trace()(x) with a non-callable x raises TypeError."""
    with pytest.raises(TypeError):
        trace()(target)


@pytest.mark.parametrize("bad", [42, object(), b"bytes"])
def test_trace_with_a_non_string_non_callable_raises_type_error(bad):
    """trace(x) where x is neither a name nor a callable raises TypeError."""
    with pytest.raises(TypeError):
        trace(bad)


def test_decorating_a_class_raises_type_error():
    """A class is callable but cannot be traced as such: TypeError, bare or with args."""

    class Widget:
        pass

    with pytest.raises(TypeError, match="Widget"):
        trace(Widget)
    with pytest.raises(TypeError, match="Widget"):
        trace("name")(Widget)


def test_explicit_tracer_is_used_instead_of_global(tracer):
    """tracer= sends the spans to that tracer, not the global one."""
    from opentracing.mocktracer import MockTracer

    own = MockTracer()

    @trace("mine", tracer=own)
    def f():
        return own.active_span

    assert f() is not None
    assert [s.operation_name for s in own.finished_spans()] == ["mine"]
    assert tracer.finished_spans() == []
