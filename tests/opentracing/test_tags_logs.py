"""opentracing.tags, its deprecated alias opentracing.ext.tags, and opentracing.logs."""

from opentracing import logs, tags
from opentracing.ext import tags as ext_tags


def test_ext_tags_reexports_every_tag():
    """Every name in tags.__all__ is in ext.tags, with the same value."""
    assert set(ext_tags.__all__) == set(tags.__all__)
    for name in tags.__all__:
        assert getattr(ext_tags, name) == getattr(tags, name)


def test_all_names_exist_and_are_strings():
    """tags.__all__ lists only defined string constants, and all of them."""
    defined = {n for n in dir(tags) if n.isupper()}
    assert defined == set(tags.__all__)
    assert all(isinstance(getattr(tags, n), str) for n in defined)


def test_span_kind_values():
    """span.kind and its four standard values."""
    assert tags.SPAN_KIND == "span.kind"
    assert tags.SPAN_KIND_RPC_CLIENT == "client"
    assert tags.SPAN_KIND_RPC_SERVER == "server"
    assert tags.SPAN_KIND_PRODUCER == "producer"
    assert tags.SPAN_KIND_CONSUMER == "consumer"


def test_some_standard_tag_names():
    """A sample of the semantic-convention names."""
    assert tags.ERROR == "error"
    assert tags.HTTP_STATUS_CODE == "http.status_code"
    assert tags.PEER_HOST_IPV4 == "peer.ipv4"
    assert tags.DATABASE_STATEMENT == "db.statement"
    assert tags.SAMPLING_PRIORITY == "sampling.priority"
    assert tags.MESSAGE_BUS_DESTINATION == "message_bus.destination"


def test_log_field_names():
    """The standard log keys."""
    assert (logs.EVENT, logs.MESSAGE, logs.STACK) == ("event", "message", "stack")
    assert (logs.ERROR_KIND, logs.ERROR_OBJECT) == ("error.kind", "error.object")
    assert set(logs.__all__) == {"ERROR_KIND", "ERROR_OBJECT", "EVENT", "MESSAGE", "STACK"}
