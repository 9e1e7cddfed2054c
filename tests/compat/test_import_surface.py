"""Names that OpenTracing 2.4 made importable from its submodules and that libraries on
PyPI import from there (found by running them: jaeger-client does
``from opentracing.scope_managers import ThreadLocalScopeManager, ScopeManager``).
No network is needed for these."""

import opentracing


def test_scope_managers_reexports_scope_and_scope_manager() -> None:
    from opentracing.scope_managers import Scope, ScopeManager, ThreadLocalScopeManager

    assert ScopeManager is opentracing.ScopeManager
    assert Scope is opentracing.Scope
    assert issubclass(ThreadLocalScopeManager, ScopeManager)


def test_submodule_names_used_by_libraries() -> None:
    from opentracing.propagation import Format, InvalidCarrierException
    from opentracing.scope_manager import ScopeManager
    from opentracing.span import Span, SpanContext
    from opentracing.tracer import Reference, ReferenceType, Tracer

    assert Format is opentracing.Format
    assert InvalidCarrierException is opentracing.InvalidCarrierException
    assert (Span, SpanContext, ScopeManager) == (
        opentracing.Span,
        opentracing.SpanContext,
        opentracing.ScopeManager,
    )
    assert (Tracer, Reference, ReferenceType) == (
        opentracing.Tracer,
        opentracing.Reference,
        opentracing.ReferenceType,
    )
