"""Standard log field names, for :meth:`opentracing.Span.log_kv`."""

__all__ = ["ERROR_KIND", "ERROR_OBJECT", "EVENT", "MESSAGE", "STACK"]

#: The type or "kind" of an error, e.g. the exception class.
ERROR_KIND = "error.kind"

#: The actual exception (or other error) object.
ERROR_OBJECT = "error.object"

#: A short, stable identifier of the moment in the span's life the log records.
EVENT = "event"

#: A concise, human-readable message about the event.
MESSAGE = "message"

#: A stack trace, for a log about an error (a traceback object or its text).
STACK = "stack"
