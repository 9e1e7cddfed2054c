"""Packaging for the ``opentracing`` distribution: the OpenTracing 2.x API and ``traced``."""

from setuptools import find_packages, setup

with open("README.rst", encoding="utf-8") as readme:
    long_description = readme.read()

setup(
    name="opentracing",
    version="2.5.0",
    description="The OpenTracing 2.x API for Python, maintained, plus the traced convenience layer",
    long_description=long_description,
    long_description_content_type="text/x-rst",
    license="Apache-2.0",
    python_requires=">=3.9",
    packages=find_packages(include=["opentracing", "opentracing.*", "traced", "traced.*"]),
    package_data={"opentracing": ["py.typed"], "traced": ["py.typed"]},
    zip_safe=False,
    install_requires=[],
    extras_require={
        "gevent": ["gevent>=21"],
        # traced.patch / traced.instrument: monkeypatching other people's code
        "instrument": ["wrapt>=1.14"],
        "tornado": ["tornado>=4.5"],
        "tests": [
            "pytest>=7",
            "wrapt>=1.14",
            "pytest-asyncio>=0.23",
            "gevent>=21",
            "tornado>=5.1",
            "mypy>=1.5",
            # OpenTelemetry's samplers and propagators, the peers of traced's: 1.45.1 (the
            # release tests/compat's OpenTracing shim is pinned to, so that the two agree),
            # 1.41.1 on Python 3.9, which newer releases dropped; likewise hypothesis
            *[
                "%s==%s; python_version %s" % (name, version, marker)
                for name in (
                    "opentelemetry-api",
                    "opentelemetry-sdk",
                    "opentelemetry-propagator-b3",
                    "opentelemetry-propagator-jaeger",
                    # the OTLP encoding is checked against the project's own protocol
                    # definitions, and the batch pipeline measured against its exporter
                    "opentelemetry-proto",
                    "opentelemetry-exporter-otlp-proto-http",
                )
                for version, marker in (("1.45.1", '>= "3.10"'), ("1.41.1", '< "3.10"'))
            ],
            "hypothesis==6.141.1",
            # the Zipkin v2 encoding is validated against ../shared/specs/zipkin2-api.yaml
            "jsonschema>=4",
            "pyyaml>=6",
            # the libraries traced.integrations instruments, and the frameworks the
            # middleware is tested under (real servers on 127.0.0.1)
            "requests>=2.20",
            "urllib3>=1.26",
            "httpx>=0.27",
            "aiohttp>=3.8",
            "flask>=3.0",
            "werkzeug>=3.0",
            "starlette>=0.37",
            "fastapi>=0.110",
            "uvicorn>=0.29",
            "websockets>=13",
            "psycopg[binary]>=3.1,<4",
            "psycopg2-binary>=2.8,<3",
            "redis>=4.2,<9",
            # OpenTelemetry's contrib instrumentation of the same libraries, measured beside
            # ours by benchmarks/bench_integrations_*.py (the releases matching 1.45.1)
            *[
                "opentelemetry-instrumentation-%s==0.66b1; python_version >= '3.10'" % name
                for name in ("requests", "httpx", "urllib3", "sqlite3", "redis")
            ],
        ],
        "docs": ["sphinx>=7"],
    },
    entry_points={"pytest11": ["traced = traced.pytest_plugin"]},
    classifiers=[
        "Development Status :: 5 - Production/Stable",
        "Intended Audience :: Developers",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Typing :: Typed",
        "Topic :: Software Development :: Libraries :: Python Modules",
        "Topic :: System :: Monitoring",
    ],
    keywords="opentracing tracing distributed-tracing instrumentation",
)
