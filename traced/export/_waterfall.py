"""Drawing one trace as a text waterfall: a tree of span names beside time bars.

Pure functions of the spans (no I/O, no clock): :func:`render_trace` is what the console
exporter prints and what tests and other tools call directly. Every piece of text that
comes from a span goes through :func:`clean_text` first, so a tag value cannot move the
cursor, change colours or break a line, and every line is cut to the given display width.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..tracer.span import FinishedSpan

__all__ = ["clean_text", "display_width", "format_duration", "render_trace"]

#: Left-aligned blocks filling 1/8 to 7/8 of a cell, for the end of a bar.
_EIGHTHS = ("", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589")
_FULL = "\u2588"
_ELLIPSIS = "\u2026"

# Select Graphic Rendition codes.
_RESET = "\x1b[0m"
_BOLD = "1"
_GREY = "90"
_RED = "31"
_BOLD_RED = "1;31"
_PALETTE = ("36", "34", "35", "32", "33")  # bar colours, one per service in order of appearance

_DURATION_CELLS = 8
_VALUE_LIMIT = 200  # characters kept of any one value before it is cleaned and fitted
_STATEMENT_LIMIT = 60

Segment = Tuple[str, str]  # (text, SGR code or "")


def clean_text(value: Any, limit: int = _VALUE_LIMIT) -> str:
    """``str(value)`` made safe for one terminal line: at most ``limit`` characters,
    whitespace breaks as spaces, other control and format characters as visible escapes
    (``\\x1b``). An object whose ``str()`` fails gives a placeholder naming its type."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = str(value)
            if not isinstance(text, str):  # pragma: no cover - str() enforces it
                raise TypeError
        except Exception:
            return "<unprintable %s>" % _type_name(value)
    if len(text) > limit:
        text = text[:limit] + _ELLIPSIS
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch in "\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029" or ch == " ":
            out.append(" ")
        elif unicodedata.category(ch) == "Zs":  # printable to a terminal, not to isprintable
            out.append(" ")
        else:
            code = ord(ch)
            out.append("\\x%02x" % code if code < 0x100 else "\\u%04x" % code if code < 0x10000 else "\\U%08x" % code)
    return "".join(out)


def _type_name(value: Any) -> str:
    try:
        return clean_text(type(value).__name__, 60)
    except Exception:  # pragma: no cover - a type whose name is not a str
        return "object"


@functools.lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    if ch < "\u0300":
        return 1
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """How many terminal cells ``text`` (already cleaned, without escapes) takes."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


def _cut(text: str, cells: int) -> Tuple[str, int]:
    """The longest start of ``text`` within ``cells`` cells, and its width."""
    if text.isascii():
        part = text[:cells]
        return part, len(part)
    used = 0
    for i, ch in enumerate(text):
        w = _char_width(ch)
        if used + w > cells:
            return text[:i], used
        used += w
    return text, used


def format_duration(seconds: float) -> str:
    """A duration in readable units with about three significant digits: ``412 µs``,
    ``1.25 ms``, ``41.0 ms``, ``3.20 s``, ``2m05s``."""
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
        return "?"
    if seconds < 0.9995e-6:
        return "%.0f ns" % (seconds * 1e9)
    if seconds < 0.9995e-3:
        return _three(seconds * 1e6) + " \u00b5s"
    if seconds < 0.9995:
        return _three(seconds * 1e3) + " ms"
    if seconds < 59.95:
        return _three(seconds) + " s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return "%dm%02ds" % (minutes, secs)
    return "%dh%02dm" % divmod(minutes, 60)


def _three(value: float) -> str:
    if value < 9.995:
        return "%.2f" % value
    if value < 99.95:
        return "%.1f" % value
    return "%.0f" % value


def _fit(segments: Iterable[Segment], cells: int, color: bool, pad: bool) -> str:
    """``segments`` joined within ``cells`` cells (an ellipsis marks a cut), coloured when
    ``color``, padded with spaces to exactly ``cells`` when ``pad``."""
    segs = [(text, sgr, display_width(text)) for text, sgr in segments if text]
    cut = sum(w for _, _, w in segs) > cells
    budget = cells - 1 if cut else cells
    parts: List[str] = []
    used = 0
    for text, sgr, width in segs:
        if cut and used + width >= budget:
            text, width = _cut(text, budget - used)
            text += _ELLIPSIS if cells > 0 else ""
            width += 1 if cells > 0 else 0
            parts.append("\x1b[%sm%s%s" % (sgr, text, _RESET) if color and sgr else text)
            used += width
            break
        parts.append("\x1b[%sm%s%s" % (sgr, text, _RESET) if color and sgr else text)
        used += width
    if pad and used < cells:
        parts.append(" " * (cells - used))
    return "".join(parts)


def _bar(start: float, finish: float, t0: float, total: float, cells: int, ascii_only: bool) -> str:
    """The time bar of one span: ``cells`` cells for the trace's ``total`` seconds from
    ``t0``; the bar starts at the nearest cell, ends to the eighth of a cell (or to the
    cell in ASCII) and is never shorter than one eighth (one cell in ASCII)."""
    a = _ratio(start, t0, total) * cells
    b = _ratio(finish, t0, total) * cells
    first = min(int(round(a)), cells - 1)
    if ascii_only:
        length = max(int(round(b)) - first, 1)
        length = min(length, cells - first)
        return " " * first + "#" * length + " " * (cells - first - length)
    end8 = min(max(int(round(b * 8)), first * 8 + 1), cells * 8)
    full, rem = divmod(end8 - first * 8, 8)
    bar = " " * first + _FULL * full + _EIGHTHS[rem]
    return bar + " " * (cells - first - full - (1 if rem else 0))


def _ratio(t: float, t0: float, total: float) -> float:
    r = (t - t0) / total if math.isfinite(t) else 0.0
    return min(max(r, 0.0), 1.0)


def _is_error(span: FinishedSpan) -> bool:
    tags = span.tags
    error = tags.get("error")
    status = tags.get("otel.status_code")
    return error is True or (type(error) is str and error.lower() == "true") or (
        type(status) is str and status == "ERROR"
    )


def _error_message(span: FinishedSpan) -> Optional[str]:
    """What went wrong, from the span's ``error`` log (``Kind: message``), if it says."""
    for record in span.logs:
        fields = record.fields
        event = fields.get("event")
        if type(event) is not str or event != "error":
            continue
        kind = fields.get("error.kind")
        message = fields.get("message", fields.get("error.object"))
        kind_name = kind.__name__ if isinstance(kind, type) else kind
        text = "" if message is None else clean_text(message)
        if kind_name is not None:
            return clean_text(kind_name, 60) + (": " + text if text else "")
        if text:
            return text
    for key in ("error.message", "otel.status_description"):
        if key in span.tags:
            return clean_text(span.tags[key])
    return None


def _details(span: FinishedSpan, name: str, error: bool) -> List[Segment]:
    """The few tags worth a glance, as segments after the span's ``name`` (cleaned)."""
    tags = span.tags
    items: List[str] = []
    if "span.kind" in tags:
        items.append(clean_text(tags["span.kind"], 20))
    request = " ".join(clean_text(tags[k]) for k in ("http.method", "http.url") if k in tags)
    if request and request not in name:  # a server span is often named after its request
        items.append(request)
    if "http.status_code" in tags:
        items.append(clean_text(tags["http.status_code"], 10))
    if "db.statement" in tags:
        statement = " ".join(clean_text(tags["db.statement"], 4 * _STATEMENT_LIMIT).split())
        if len(statement) > _STATEMENT_LIMIT:
            statement = statement[: _STATEMENT_LIMIT - 1] + _ELLIPSIS
        items.append(statement)
    if "component" in tags:
        items.append(clean_text(tags["component"], 40))
    if "peer.service" in tags:
        items.append("peer=" + clean_text(tags["peer.service"], 40))
    if tags.get("cancelled") is True:
        items.append("cancelled")
    segments: List[Segment] = [("  " + (_error_message(span) or "error"), _RED)] if error else []
    if items:
        segments.append(("  " + "  ".join(items), _GREY))
    return segments


def _order(spans: Sequence[FinishedSpan]) -> List[Tuple[FinishedSpan, str, bool]]:
    """The spans in display order with their tree prefixes (and whether each is a local
    root): children under their parent by start time; spans whose parent is not in the
    trace (remote or missing) start trees of their own."""
    by_id: Dict[int, FinishedSpan] = {}
    for s in spans:
        by_id.setdefault(s.span_id, s)
    children: Dict[int, List[FinishedSpan]] = {}
    roots: List[FinishedSpan] = []
    for s in spans:
        if s.parent_id is not None and s.parent_id in by_id and by_id[s.parent_id] is not s:
            children.setdefault(s.parent_id, []).append(s)
        else:
            roots.append(s)
    key = _start_key
    out: List[Tuple[FinishedSpan, str, bool]] = []
    seen = set()
    pending = [(r, "", "", True) for r in sorted(roots, key=key, reverse=True)]
    while True:
        while pending:
            span, prefix, below, is_root = pending.pop()
            if id(span) in seen:
                continue
            seen.add(id(span))
            out.append((span, prefix, is_root))
            kids = sorted(children.get(span.span_id, ()), key=key)
            if by_id.get(span.span_id) is not span:
                kids = []  # a duplicate id: its children are drawn under the first
            for i in range(len(kids) - 1, -1, -1):
                last = i == len(kids) - 1
                pending.append(
                    (kids[i], below + ("\u2514\u2500 " if last else "\u251c\u2500 "), below + ("   " if last else "\u2502  "), False)
                )
        # spans in a parent cycle are reachable from no root: draw them as roots
        rest = [s for s in spans if id(s) not in seen]
        if not rest:
            return out
        pending = [(min(rest, key=key), "", "", True)]


def _start_key(span: FinishedSpan) -> Tuple[float, float]:
    start = span.start_time if math.isfinite(span.start_time) else math.inf
    finish = span.finish_time if math.isfinite(span.finish_time) else math.inf
    return (start, -finish)


def _services(spans: Sequence[FinishedSpan]) -> List[str]:
    names: List[str] = []
    for s in spans:
        try:
            name = s.process.get("service.name")
        except Exception:
            name = None
        if name is not None:
            text = clean_text(name, 60)
            if text not in names:
                names.append(text)
    return names


def _header(spans: Sequence[FinishedSpan], total: float, services: List[str], width: int, color: bool) -> str:
    trace_id = spans[0].trace_id
    hex_id = format(trace_id, "016x" if 0 <= trace_id < 2**64 else "032x") if trace_id >= 0 else "?"
    count = "%d span%s" % (len(spans), "" if len(spans) == 1 else "s")
    parts = ["trace " + hex_id, format_duration(total), count]
    if services:
        parts.append(", ".join(services))
    segments: List[Segment] = [(" \u00b7 ".join(parts), _BOLD)]
    if not any(s.parent_id is None for s in spans):
        segments.append(("  (partial: no root span)", _GREY))
    if any(_is_error(s) for s in spans):
        segments.append(("  \u2717 error", _BOLD_RED))
    return _fit(segments, width, color, pad=False)


def render_trace(
    spans: Sequence[FinishedSpan], *, width: int = 100, color: bool = False, unicode: bool = True
) -> str:
    """The spans of one trace drawn as a waterfall, one line per span under a header line,
    each line at most ``width`` display cells, ending with a newline.

    Each line holds the span's place in the tree, its name and the tags worth a glance
    (kind, HTTP method, URL and status, shortened SQL, component, peer service, the error),
    its duration, and a bar whose position and length are the span's start and duration on
    the trace's time axis. Errors are marked with ``✗`` (and red when ``color``: ANSI
    colours). ``unicode=False`` draws with ASCII only, for streams that cannot encode
    block characters. Spans whose parent is not among ``spans`` start trees of their own.
    """
    if not spans:
        return ""
    width = max(int(width), 24)
    try:
        return _render(spans, width, color, unicode)
    except Exception:  # spans too odd to draw (not made by the tracer): their names only
        lines = ["trace of %d spans (could not be drawn)" % len(spans)]
        lines.extend(clean_text(getattr(s, "operation_name", "?"), 120) for s in spans)
        return "\n".join(_fit([(line, "")], width, False, pad=False) for line in lines) + "\n"


def _render(spans: Sequence[FinishedSpan], width: int, color: bool, unicode: bool) -> str:
    services = _services(spans)
    t0 = min((s.start_time for s in spans if math.isfinite(s.start_time)), default=0.0)
    t1 = max((s.finish_time for s in spans if math.isfinite(s.finish_time)), default=t0)
    total = max(t1 - t0, 0.0)
    scale = total if total > 0 else 1.0
    bar_cells = max(8, width * 2 // 5)
    name_cells = width - bar_cells - _DURATION_CELLS - 4
    if name_cells < 12:
        bar_cells = max(bar_cells - (12 - name_cells), 4)
        name_cells = width - bar_cells - _DURATION_CELLS - 4
    edge = "\u2502" if unicode else "|"
    lines = [_header(spans, total, services, width, color)]
    for span, prefix, is_root in _order(spans):
        try:
            lines.append(
                _row(span, prefix, is_root, t0, scale, services, name_cells, bar_cells, edge, color, unicode)
            )
        except Exception:  # a span too odd to draw keeps its place with what is known
            lines.append(_fit([("<span could not be drawn>", _GREY)], width, color, pad=False))
    return "\n".join(lines) + "\n"


def _row(
    span: FinishedSpan,
    prefix: str,
    is_root: bool,
    t0: float,
    scale: float,
    services: List[str],
    name_cells: int,
    bar_cells: int,
    edge: str,
    color: bool,
    unicode: bool,
) -> str:
    error = _is_error(span)
    if not unicode:
        prefix = prefix.replace("\u2514\u2500", "`-").replace("\u251c\u2500", "|-").replace("\u2502", "|")
    if display_width(prefix) > name_cells // 2:
        prefix = _ELLIPSIS + prefix[len(prefix) - name_cells // 2 + 1 :]
    name = clean_text(span.operation_name, 120) or "<unnamed>"
    segments: List[Segment] = [(prefix, _GREY)]
    if error:
        segments.append((("\u2717 " if unicode else "x ") + name, _BOLD_RED))
    else:
        segments.append((name, _BOLD if is_root else ""))
    segments.extend(_details(span, name, error))
    left = _fit(segments, name_cells, color, pad=True)
    duration = format_duration(span.finish_time - span.start_time)
    duration = " " * max(_DURATION_CELLS - len(duration), 0) + duration[:_DURATION_CELLS]
    bar = _bar(span.start_time, span.finish_time, t0, scale, bar_cells, not unicode)
    if color:
        service = _service_of(span)
        tint = _RED if error else _PALETTE[services.index(service) % len(_PALETTE)] if service in services else _PALETTE[0]
        body = bar.strip(" ")
        lead = len(bar) - len(bar.lstrip(" "))
        bar = "%s\x1b[%sm%s%s%s" % (bar[:lead], tint, body, _RESET, bar[lead + len(body) :])
        edges = ("\x1b[%sm%s%s" % (_GREY, edge, _RESET),) * 2
    else:
        edges = (edge, edge)
    return "%s %s %s%s%s" % (left, duration, edges[0], bar, edges[1])


def _service_of(span: FinishedSpan) -> Optional[str]:
    try:
        name = span.process.get("service.name")
    except Exception:
        return None
    return None if name is None else clean_text(name, 60)

