"""Deprecated alias of :mod:`opentracing.tags`, kept for code written against OpenTracing 1.x."""

from ..tags import *  # noqa: F401,F403
from ..tags import __all__  # noqa: F401
