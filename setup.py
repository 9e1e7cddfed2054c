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
        "tornado": ["tornado>=4.5"],
        "tests": [
            "pytest>=7",
            "pytest-asyncio>=0.23",
            "gevent>=21",
            "tornado>=5.1",
            "mypy>=1.5",
            # 1.41.1: the last release for Python 3.9; the sampling tests compare with it.
            "opentelemetry-api==1.41.1",
            "opentelemetry-sdk==1.41.1",
            # peers of the propagation codecs (tests/traced/propagation), at the same release;
            # hypothesis 6.141.1: the last release for Python 3.9
            "opentelemetry-propagator-b3==1.41.1",
            "opentelemetry-propagator-jaeger==1.41.1",
            "hypothesis==6.141.1",
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
