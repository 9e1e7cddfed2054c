"""Standard span tag names and the ``span.kind`` values, as the OpenTracing semantic
conventions define them."""

__all__ = [
    "COMPONENT",
    "DATABASE_INSTANCE",
    "DATABASE_STATEMENT",
    "DATABASE_TYPE",
    "DATABASE_USER",
    "ERROR",
    "HTTP_METHOD",
    "HTTP_STATUS_CODE",
    "HTTP_URL",
    "MESSAGE_BUS_DESTINATION",
    "PEER_ADDRESS",
    "PEER_HOSTNAME",
    "PEER_HOST_IPV4",
    "PEER_HOST_IPV6",
    "PEER_PORT",
    "PEER_SERVICE",
    "SAMPLING_PRIORITY",
    "SERVICE",
    "SPAN_KIND",
    "SPAN_KIND_CONSUMER",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_RPC_CLIENT",
    "SPAN_KIND_RPC_SERVER",
]

#: The role of the span in an interaction: one of the ``SPAN_KIND_*`` values.
SPAN_KIND = "span.kind"
#: The client side of an RPC or other remote call.
SPAN_KIND_RPC_CLIENT = "client"
#: The server side of an RPC or other remote call.
SPAN_KIND_RPC_SERVER = "server"
#: A consumer of messages from a queue or bus.
SPAN_KIND_CONSUMER = "consumer"
#: A producer of messages to a queue or bus.
SPAN_KIND_PRODUCER = "producer"

#: The name of the service the span belongs to (a tracer may use it to override its own).
SERVICE = "service"
#: ``True`` when the operation the span represents failed.
ERROR = "error"
#: The software package, framework or library that generated the span.
COMPONENT = "component"
#: A hint to the sampler: 0 asks not to sample, a positive value asks to.
SAMPLING_PRIORITY = "sampling.priority"

#: The name of the service on the other side of the call.
PEER_SERVICE = "peer.service"
#: The host name of the peer.
PEER_HOSTNAME = "peer.hostname"
#: The peer's address, in whatever form suits the protocol (``host:port``, a path, ...).
PEER_ADDRESS = "peer.address"
#: The peer's IPv4 address, as a string or a 32-bit integer.
PEER_HOST_IPV4 = "peer.ipv4"
#: The peer's IPv6 address, as a string.
PEER_HOST_IPV6 = "peer.ipv6"
#: The peer's port number.
PEER_PORT = "peer.port"

#: The URL of the request the span represents.
HTTP_URL = "http.url"
#: The HTTP method of the request ("GET", "POST", ...).
HTTP_METHOD = "http.method"
#: The HTTP response status code.
HTTP_STATUS_CODE = "http.status_code"

#: The database instance name.
DATABASE_INSTANCE = "db.instance"
#: The database statement executed.
DATABASE_STATEMENT = "db.statement"
#: The database type: "sql", "cassandra", "redis", ...
DATABASE_TYPE = "db.type"
#: The user name for accessing the database.
DATABASE_USER = "db.user"

#: The address at which messages are exchanged (a topic or queue name).
MESSAGE_BUS_DESTINATION = "message_bus.destination"
