"""What the two B3 codecs share: reading ids and the sampling state, writing ids at the
width they arrived with."""

from __future__ import annotations

import re
from typing import Optional

_TRACE_ID = re.compile(r"[0-9a-fA-F]{16}|[0-9a-fA-F]{32}").fullmatch
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}").fullmatch


def trace_id(text: str) -> Optional[int]:
    """A B3 trace id: exactly 16 or 32 hex digits, not all zero."""
    return int(text, 16) or None if _TRACE_ID(text) is not None else None


def span_id(text: str) -> Optional[int]:
    """A B3 span id: exactly 16 hex digits, not all zero."""
    return int(text, 16) or None if _SPAN_ID(text) is not None else None
