"""Sphinx configuration for the opentracing documentation.

Build with ``make docs`` (``python -m sphinx -W --keep-going -b html docs docs/_build/html``):
warnings are errors. No extension here needs the network; intersphinx is deliberately off.
"""

import os
import re
import sys
from importlib import metadata

# Document the checkout this file belongs to, even when it is not installed.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

project = "opentracing"
author = "The opentracing maintainers"
copyright = "the opentracing maintainers"
try:
    release = metadata.version("opentracing")
except metadata.PackageNotFoundError:  # building from a checkout that is not installed
    release = ""
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list = []

# autodoc: members in source order, type hints in the signature, and the framework
# modules (gevent, tornado) imported for real: they are installed with the docs extras.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {
    "show-inheritance": True,
}

pygments_style = "sphinx"
html_theme = "alabaster"
html_static_path: list = []
html_title = f"opentracing {release}".strip()
# Show ``SpanContext`` rather than ``opentracing.mocktracer.context.SpanContext`` in
# signatures whenever the name links somewhere.
python_use_unqualified_type_names = True


def _qualify_mock_span_context(app, what, name, obj, options, signature, return_annotation):
    """Point bare ``SpanContext`` annotations in opentracing.mocktracer at MockTracer's own.

    ``MockSpan.__init__`` names ``MockTracer``, which its module imports only for type
    checking, so autodoc cannot evaluate that signature and keeps each annotation as the bare
    written name; a bare ``SpanContext`` then matches both ``opentracing.SpanContext`` and
    ``opentracing.mocktracer.context.SpanContext`` and Sphinx warns about the ambiguity.
    """
    if signature and name.startswith("opentracing.mocktracer."):
        signature = re.sub(
            r"(?<![\w.])SpanContext\b", "opentracing.mocktracer.context.SpanContext", signature
        )
    elif name.startswith(("traced.tracer", "traced.propagation")):
        # the recording tracer's own classes, which these modules name as written
        signature, return_annotation = (
            _own_classes(text) if text else text for text in (signature, return_annotation)
        )
    elif signature and name.startswith("traced."):
        # traced's signatures are kept as written (postponed annotations): the API's classes.
        signature = re.sub(r"(?<![\w.])SpanContext\b", "opentracing.SpanContext", signature)
        signature = re.sub(r"(?<![\w.])Tracer\b", "opentracing.Tracer", signature)
    return signature, return_annotation


def _own_classes(text):
    text = re.sub(r"(?<![\w.])Tracer\b", "traced.tracer.tracer.Tracer", text)
    return re.sub(r"(?<![\w.])SpanContext\b", "traced.tracer.context.SpanContext", text)


def setup(app):
    app.connect("autodoc-process-signature", _qualify_mock_span_context)
