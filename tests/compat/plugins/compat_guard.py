"""pytest plugin loaded (``-p compat_guard``) into the subprocess that runs a library's own
test suite: it stops the run unless ``opentracing`` is this repository's package and the
library is the copy installed from PyPI, and it writes what it found to the JSON file
named by ``COMPAT_GUARD_REPORT`` so that the calling test can check it ran.
"""

import importlib
import json
import os

import pytest


def _real(path):
    return os.path.realpath(path)


def pytest_configure(config):
    import opentracing

    root = _real(os.environ["COMPAT_OPENTRACING_ROOT"])
    found = _real(opentracing.__file__)
    if not found.startswith(os.path.join(root, "opentracing") + os.sep):
        raise pytest.UsageError("opentracing comes from %s, not from %s" % (found, root))
    library = importlib.import_module(os.environ["COMPAT_LIBRARY_MODULE"])
    site = _real(os.environ["COMPAT_LIBRARY_SITE"])
    library_file = _real(library.__file__)
    if not library_file.startswith(site + os.sep):
        raise pytest.UsageError("%s comes from %s, not from %s" % (library, library_file, site))
    with open(os.environ["COMPAT_GUARD_REPORT"], "w", encoding="utf-8") as report:
        json.dump({"opentracing": found, "library": library_file}, report)
