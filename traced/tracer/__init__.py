"""The recording tracer: real trace and span ids, sampling, propagation, a span sink."""

from .context import SpanContext
from .recorder import FanOutRecorder, MemoryRecorder, NoneRecorder, Recorder
from .span import FinishedSpan, LogRecord, NonRecordingSpan, RecordingSpan, SpanLimits, SpanReference
from .tracer import Tracer

__all__ = [
    "FanOutRecorder",
    "FinishedSpan",
    "LogRecord",
    "MemoryRecorder",
    "NonRecordingSpan",
    "NoneRecorder",
    "Recorder",
    "RecordingSpan",
    "SpanContext",
    "SpanLimits",
    "SpanReference",
    "Tracer",
]
