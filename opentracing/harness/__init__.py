"""Compatibility checks that tracer and scope manager implementations run in their own
test suites, by mixing :class:`~opentracing.harness.api_check.APICompatibilityCheckMixin`
or :class:`~opentracing.harness.scope_check.ScopeCompatibilityCheckMixin` into a
``unittest.TestCase`` (or a pytest test class) and implementing the hooks."""
