"""The export pipeline: processors that take finished spans off the application's path and
exporters that deliver them (OTLP, Zipkin, JSON lines, the console waterfall)."""

from .base import Exporter

__all__ = ["Exporter"]
