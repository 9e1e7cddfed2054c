"""A test-only shim for old Tornado on new Python; nothing to do with opentracing.

Tornado 4.5 and 5.1 import the container ABCs (``MutableMapping``, ...) from
``collections``, where Python 3.10 removed them, so ``tornado.web`` and ``tornado.httputil``
fail to import on Python 3.10+. This folder is put on ``PYTHONPATH`` only for the
subprocesses that run a library on Tornado 5.1 (``shims=("old_tornado",)`` in
``tests/compat/conftest.py``); Python imports this module at start-up, and it puts the
removed names back on ``collections`` as aliases of those in ``collections.abc``.
"""

import collections
import collections.abc

for _name in collections.abc.__all__:
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
del _name
