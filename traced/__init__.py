"""``traced``: one-line spans for any kind of Python code, on the OpenTracing API."""

__all__: "list[str]" = []
