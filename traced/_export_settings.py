"""The export half of the configuration: which exporters, where they send, how they batch.

Read from the same ``OTEL_*`` variables as OpenTelemetry's SDK (endpoints, headers,
compression and timeouts of the OTLP and Zipkin exporters, the batch processor's sizes
and delays), then overridden by the keyword arguments of ``traced.init``. Every value is
checked here, once; :func:`build_recorder` in :mod:`traced.export._build` only assembles.
"""

from __future__ import annotations

import math
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import unquote, urlsplit

from ._errors import ConfigError

__all__ = ["EXPORT_VARIABLES", "ExportSettings", "default_exporters", "load_export_settings"]

#: The variables :func:`load_export_settings` reads.
EXPORT_VARIABLES: Tuple[str, ...] = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
    "OTEL_EXPORTER_ZIPKIN_TIMEOUT",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
)

_OTLP = "OTEL_EXPORTER_OTLP_"
OTLP_DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces"
ZIPKIN_DEFAULT_ENDPOINT = "http://localhost:9411/api/v2/spans"
DEFAULT_JSONL_PATH = "traces.jsonl"

# keyword arguments of traced.init -> the exporters that take them
_OPTION_OWNERS: Dict[str, Tuple[str, ...]] = {
    "endpoint": ("otlp", "zipkin"),
    "headers": ("otlp", "zipkin"),
    "compression": ("otlp", "zipkin"),
    "timeout": ("otlp", "zipkin"),
    "path": ("jsonl",),
    "stream": ("console", "jsonl"),
    "color": ("console",),
    "width": ("console",),
    "max_queue_size": ("otlp", "zipkin", "jsonl"),
    "max_batch_size": ("otlp", "zipkin", "jsonl"),
    "schedule_delay": ("otlp", "zipkin", "jsonl"),
    "export_timeout": ("otlp", "zipkin", "jsonl"),
}
_EMPTY: Mapping[str, str] = types.MappingProxyType({})


def _no_headers() -> Mapping[str, str]:
    return _EMPTY


@dataclass(frozen=True)
class ExportSettings:
    """Where and how spans are exported; times in seconds, resolved and checked.

    ``otlp_endpoint`` is the full ``/v1/traces`` URL; the batch settings apply to every
    exporter that sends in batches (``otlp``, ``zipkin``, ``jsonl``). ``console`` gets its
    ``stream``, ``color`` and ``width`` from ``console_options``.
    """

    otlp_endpoint: str = OTLP_DEFAULT_ENDPOINT
    otlp_headers: Mapping[str, str] = field(default_factory=_no_headers, hash=False)
    otlp_compression: str = "none"
    otlp_timeout: float = 10.0
    zipkin_endpoint: str = ZIPKIN_DEFAULT_ENDPOINT
    zipkin_headers: Mapping[str, str] = field(default_factory=_no_headers, hash=False)
    zipkin_compression: str = "none"
    zipkin_timeout: float = 10.0
    jsonl_path: Any = DEFAULT_JSONL_PATH
    console_options: Mapping[str, Any] = field(default_factory=_no_headers, hash=False)
    schedule_delay: float = 5.0
    export_timeout: float = 30.0
    max_queue_size: int = 2048
    max_batch_size: int = 512


def load_export_settings(
    exporters: Tuple[str, ...], options: Mapping[str, Any], env: Mapping[str, Optional[str]]
) -> ExportSettings:
    """The settings for ``exporters`` from ``options`` (``traced.init``'s extra keyword
    arguments), then ``env`` (the variables above, blank ones as None), then defaults.

    Raises :class:`~traced.config.ConfigError` for an option none of the chosen exporters
    takes, an option that would be ambiguous (``endpoint`` with both ``otlp`` and
    ``zipkin``), and any value it cannot use.
    """
    for name in options:
        owners = [e for e in _OPTION_OWNERS.get(name, ()) if e in exporters]
        if not owners:
            takes = sorted(o for o, e in _OPTION_OWNERS.items() if set(e) & set(exporters))
            raise ConfigError(
                name,
                options[name],
                "not an option of the exporter(s) %s" % ", ".join(exporters),
                ", ".join(takes) or "no extra keyword arguments",
            )
        if name in ("endpoint", "headers", "compression", "timeout") and len(owners) > 1:
            raise ConfigError(
                name, options[name], "ambiguous with both otlp and zipkin exporters",
                "one network exporter per init() call when this option is given",
            )

    def pick(option: Optional[str], *variables: str) -> Tuple[str, Any]:
        """The argument ``option``, else the first of ``variables`` set, with its name."""
        if option is not None and option in options:
            return option, options[option]
        for variable in variables:
            if env.get(variable) is not None:
                return variable, env[variable]
        return option or variables[0], None

    if "otlp" in exporters:
        name, protocol = pick(None, _OTLP + "TRACES_PROTOCOL", _OTLP + "PROTOCOL")
        if protocol is not None and protocol.strip() != "http/protobuf":
            raise ConfigError(name, protocol, "protocol not supported", "http/protobuf")

    settings: Dict[str, Any] = {}
    if "otlp" in exporters:
        name, value = pick("endpoint", _OTLP + "TRACES_ENDPOINT")
        if value is None and env.get(_OTLP + "ENDPOINT") is not None:
            name, value = _OTLP + "ENDPOINT", env[_OTLP + "ENDPOINT"]
            value = _url(name, value).rstrip("/") + "/v1/traces"
        if value is not None:
            settings["otlp_endpoint"] = _url(name, value)
        settings.update(_transport("otlp", pick, (_OTLP + "TRACES_", _OTLP)))
    if "zipkin" in exporters:
        name, value = pick("endpoint", "OTEL_EXPORTER_ZIPKIN_ENDPOINT")
        if value is not None:
            settings["zipkin_endpoint"] = _url(name, value)
        settings.update(_transport("zipkin", pick, ("OTEL_EXPORTER_ZIPKIN_",), timeout_only=True))
    if "jsonl" in exporters:
        if "path" in options:
            settings["jsonl_path"] = options["path"]
        elif "stream" in options:
            settings["jsonl_path"] = options["stream"]
    if "console" in exporters:
        settings["console_options"] = types.MappingProxyType(
            {k: options[k] for k in ("stream", "color", "width") if k in options}
        )
    for option, variable, kind in (
        ("schedule_delay", "OTEL_BSP_SCHEDULE_DELAY", "ms"),
        ("export_timeout", "OTEL_BSP_EXPORT_TIMEOUT", "ms"),
        ("max_queue_size", "OTEL_BSP_MAX_QUEUE_SIZE", "count"),
        ("max_batch_size", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "count"),
    ):
        name, value = pick(option, variable)
        if value is not None:
            settings[option] = _number(name, value, kind)
    return ExportSettings(**settings)


def _transport(
    exporter: str,
    pick: Callable[..., Tuple[str, Any]],
    prefixes: Tuple[str, ...],
    timeout_only: bool = False,
) -> Dict[str, Any]:
    """Headers, compression and timeout of a network exporter, from its arguments and the
    ``<prefix>HEADERS``/``COMPRESSION``/``TIMEOUT`` variables (Zipkin has only a timeout
    variable: its headers and compression come from arguments alone)."""
    found: Dict[str, Any] = {}
    variable_prefixes = () if timeout_only else prefixes
    name, value = pick("headers", *(p + "HEADERS" for p in variable_prefixes))
    if value is not None:
        found[exporter + "_headers"] = _headers(name, value)
    name, value = pick("compression", *(p + "COMPRESSION" for p in variable_prefixes))
    if value is not None:
        if not isinstance(value, str) or value.strip().lower() not in ("gzip", "none"):
            raise ConfigError(name, value, "unknown compression", "gzip, none")
        found[exporter + "_compression"] = value.strip().lower()
    name, value = pick("timeout", *(p + "TIMEOUT" for p in prefixes))
    if value is not None:
        found[exporter + "_timeout"] = _number(name, value, "ms")
    return found


def _url(name: str, value: Any) -> str:
    accepted = "an http:// or https:// URL"
    if not isinstance(value, str):
        raise ConfigError(name, value, "not a URL", accepted)
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        raise ConfigError(name, value, "not a URL", accepted) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, value, "not an http(s) URL with a host", accepted)
    return text


def _headers(name: str, value: Any) -> Mapping[str, str]:
    """``key=value,...`` (values percent-encoded) from a variable, or a mapping argument."""
    accepted = "comma-separated key=value pairs (values percent-encoded), or a mapping"
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ConfigError(name, value, "not a mapping of strings", accepted)
        pairs = dict(value)
    elif isinstance(value, str):
        pairs = {}
        for item in value.split(","):
            if not item.strip():
                continue
            key, equals, text = item.partition("=")
            if not equals or not key.strip():
                raise ConfigError(name, value, "bad pair %r" % item, accepted)
            pairs[key.strip()] = unquote(text.strip())
    else:
        raise ConfigError(name, value, "not headers", accepted)
    for key, text in pairs.items():
        if any(c in key + text for c in "\r\n\0") or not key.isprintable():
            raise ConfigError(name, value, "a header with a control character", accepted)
    return types.MappingProxyType(pairs)


def _number(name: str, value: Any, kind: str) -> Any:
    """A duration (``ms``: milliseconds in a variable, seconds as an argument) or a count."""
    from_env = name.startswith("OTEL_")
    if kind == "count":
        accepted = "a whole number above 0"
        try:
            number = int(value.strip()) if isinstance(value, str) else value
        except ValueError:
            raise ConfigError(name, value, "not a whole number", accepted) from None
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ConfigError(name, value, "not a whole number above 0", accepted)
        return number
    accepted = "milliseconds above 0" if from_env else "seconds above 0"
    try:
        seconds = float(value.strip()) / 1000.0 if from_env else value
    except (ValueError, AttributeError):
        raise ConfigError(name, value, "not a number", accepted) from None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ConfigError(name, value, "not a number", accepted)
    if not 0 < seconds < math.inf:
        raise ConfigError(name, value, "out of range", accepted)
    return float(seconds)


def default_exporters() -> Tuple[str, ...]:
    """``console`` when standard output is a terminal (the first run shows a picture),
    else ``none``: an unattended process sends nothing anywhere unless configured."""
    try:
        return ("console",) if sys.stdout is not None and sys.stdout.isatty() else ("none",)
    except (AttributeError, ValueError):  # a replaced or closed stdout
        return ("none",)
