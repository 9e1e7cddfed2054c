"""Deprecated home of the standard tags; kept so that ``opentracing.ext.tags`` imports."""
