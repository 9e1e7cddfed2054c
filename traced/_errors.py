"""The error of a configuration value that cannot be used (public as
:class:`traced.config.ConfigError`)."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A configuration value that cannot be used; says where it came from and what would do.

    ``name`` is the environment variable (``OTEL_...``) or the argument of
    :func:`load_config`, ``value`` what it held, ``accepted`` the values that would do.
    """

    def __init__(self, name: str, value: object, problem: str, accepted: str) -> None:
        where = "environment variable" if name.startswith("OTEL_") else "argument"
        setting = "%s is unset" % name if value is None else "%s=%r" % (name, value)
        super().__init__("%s %s: %s; accepted: %s" % (where, setting, problem, accepted))
        self.name = name
        self.value = value
        self.accepted = accepted
