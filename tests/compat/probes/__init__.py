"""Scripts that the fidelity tests run in a subprocess, once with PyPI's opentracing 2.4.0
and once with this repository's package on ``sys.path``; each prints one JSON document."""
