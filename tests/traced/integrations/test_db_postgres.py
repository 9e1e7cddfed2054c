"""The psycopg (3) and psycopg2 integrations against a real PostgreSQL on 127.0.0.1.

The same scenarios run on both drivers; psycopg's asyncio connection has tests of its own.
"""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any, Callable, Iterator, Tuple

import pytest

from traced._suppress import suppress

from ._servers import PostgresServer, postgres_server  # noqa: F401  (a fixture)

psycopg = pytest.importorskip("psycopg")
psycopg2 = pytest.importorskip("psycopg2")
import psycopg2.errors  # noqa: E402
import psycopg2.extras  # noqa: E402

from traced.integrations import psycopg as psycopg_integration  # noqa: E402
from traced.integrations import psycopg2 as psycopg2_integration  # noqa: E402

# (driver module, integration, its component tag)
DRIVERS = {
    "psycopg": (psycopg, psycopg_integration, "psycopg"),
    "psycopg2": (psycopg2, psycopg2_integration, "psycopg2"),
}


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: Any, tracer: Any) -> Iterator[Tuple[ModuleType, ModuleType, str]]:
    module, integration, component = DRIVERS[request.param]
    integration.instrument()
    yield module, integration, component
    integration.uninstrument()


@pytest.fixture
def connect(postgres_server: PostgresServer) -> Iterator[Callable[..., Any]]:  # noqa: F811
    opened: list = []

    def make(module: ModuleType, **kwargs: Any) -> Any:
        conn = module.connect(postgres_server.dsn, **kwargs)
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


def test_statements_are_client_spans_with_the_standard_tags(tracer, spans, driver, connect,
                                                            postgres_server):
    module, _, component = driver
    conn = connect(module)
    with tracer.start_active_span("request"):
        cur = conn.cursor()
        cur.execute("SELECT %s + 1, current_database()", (41,))
        assert cur.fetchone() == (42, "traced_test")
    request = spans.named("request")[0]
    span = spans.named("SELECT")[0]
    assert span.parent_id == request.span_id and span.trace_id == request.trace_id
    assert dict(span.tags) == {
        "span.kind": "client", "component": component, "db.type": "sql",
        "db.instance": "traced_test", "db.user": "postgres",
        "peer.hostname": "127.0.0.1", "peer.port": postgres_server.port,
        "db.statement": "SELECT %s + 1, current_database()",
    }


def test_transactions_executemany_and_context_managers(tracer, spans, driver, connect):
    module, _, _ = driver
    conn = connect(module)
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE items (id int PRIMARY KEY, name text)")
        cur.executemany("INSERT INTO items VALUES (%s, %s)", [(1, "a"), (2, "b")])
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO items VALUES (%s, %s)", (3, "secret-name"))
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM items ORDER BY id")
        assert [row[0] for row in cur] == [1, 2]
    assert [s.operation_name for s in spans] == [
        "CREATE", "INSERT", "COMMIT", "INSERT", "ROLLBACK", "SELECT"]
    assert all("secret-name" not in str(dict(s.tags)) for s in spans)
    assert spans[1].tags["db.statement"] == "INSERT INTO items VALUES (%s, %s)"


def test_errors_are_reraised_unchanged(tracer, spans, driver, connect):
    module, _, _ = driver
    conn = connect(module)
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE u (id int PRIMARY KEY)")
    cur.execute("INSERT INTO u VALUES (1)")
    with pytest.raises(module.errors.UniqueViolation) as unique:
        cur.execute("INSERT INTO u VALUES (1)")
    conn.rollback()
    with pytest.raises(module.errors.SyntaxError) as syntax:
        cur.execute("SELEC 1")
    conn.rollback()
    failed = [s for s in spans if s.tags.get("error")]
    assert [s.operation_name for s in failed] == ["INSERT", "SELEC"]
    assert failed[0].logs[0].fields["error.object"] is unique.value
    assert failed[1].logs[0].fields["error.object"] is syntax.value


def test_server_side_cursor(tracer, spans, driver, connect):
    module, _, _ = driver
    conn = connect(module)
    cur = conn.cursor("named")
    cur.execute("SELECT generate_series(1, 5)")
    assert [row[0] for row in cur.fetchall()] == [1, 2, 3, 4, 5]
    cur.close()
    conn.rollback()
    assert spans.named("SELECT")[0].tags["db.statement"] == "SELECT generate_series(1, 5)"


def test_suppressed_statements_make_no_span(tracer, spans, driver, connect):
    module, _, _ = driver
    conn = connect(module)
    with suppress():
        conn.cursor().execute("SELECT 1")
    assert len(spans) == 0


def test_parameters_recorded_only_on_request(tracer, spans, connect):
    for integration, module in ((psycopg_integration, psycopg), (psycopg2_integration, psycopg2)):
        integration.instrument(record_parameters=True)
        connect(module).cursor().execute("SELECT %s", ("visible",))
        integration.uninstrument()
    assert [("visible" in s.tags["db.parameters"]) for s in spans] == [True, True]


def test_psycopg_connection_shortcut_and_connections_made_before(tracer, spans, connect):
    before = connect(psycopg)
    psycopg_integration.instrument()
    assert before.execute("SELECT 1").fetchone() == (1,)
    with connect(psycopg) as conn:  # commits through Connection.commit
        conn.execute("SELECT 2")
    assert [s.operation_name for s in spans] == ["SELECT", "SELECT", "COMMIT"]


def test_psycopg_composed_query_is_recorded_as_text(tracer, spans, connect):
    from psycopg import sql

    psycopg_integration.instrument()
    query = sql.SQL("SELECT {} FROM {}").format(sql.Identifier("relname"),
                                                sql.Identifier("pg_class"))
    connect(psycopg).execute(query)
    assert spans[0].tags["db.statement"] == 'SELECT "relname" FROM "pg_class"'


def test_psycopg_uninstrument_restores_identity(tracer, spans, connect):
    originals = {name: psycopg.Cursor.__dict__[name] for name in ("execute", "executemany")}
    commit = psycopg.Connection.__dict__["commit"]
    for _ in range(100):
        psycopg_integration.instrument()
        psycopg_integration.uninstrument()
    assert {name: psycopg.Cursor.__dict__[name] for name in originals} == originals
    assert psycopg.Connection.__dict__["commit"] is commit
    connect(psycopg).execute("SELECT 1")
    assert len(spans) == 0
    psycopg_integration.instrument()
    psycopg_integration.instrument()
    connect(psycopg).execute("SELECT 1")
    assert len(spans) == 1


def test_psycopg2_extras_and_factories_keep_their_classes(tracer, spans, connect):
    psycopg2_integration.instrument()
    conn = connect(psycopg2, connection_factory=psycopg2.extras.RealDictConnection)
    assert isinstance(conn, psycopg2.extras.RealDictConnection)
    cur = conn.cursor()
    assert isinstance(cur, psycopg2.extras.RealDictCursor)
    cur.execute("SELECT 1 AS one")
    assert cur.fetchone() == {"one": 1}
    other = connect(psycopg2, cursor_factory=psycopg2.extras.NamedTupleCursor)
    named = other.cursor()
    named.execute("SELECT 2 AS two")
    assert named.fetchone().two == 2
    psycopg2.extras.register_uuid(conn_or_curs=other)  # needs a real connection
    assert len(spans.named("SELECT")) == 2


def test_psycopg2_callproc(tracer, spans, connect):
    psycopg2_integration.instrument()
    cur = connect(psycopg2).cursor()
    cur.callproc("upper", ("abc",))
    assert cur.fetchone() == ("ABC",)
    assert spans[0].operation_name == "CALL" and spans[0].tags["db.statement"] == "CALL upper"


def test_psycopg2_uninstrument_restores_connect(tracer, spans, connect):
    original = psycopg2.connect
    psycopg2_integration.instrument()
    assert psycopg2.connect is not original
    conn = connect(psycopg2)
    psycopg2_integration.uninstrument()
    assert psycopg2.connect is original
    conn.cursor().execute("SELECT 1")  # made while instrumented: silent now
    assert len(spans) == 0


def test_psycopg_async(tracer, spans, postgres_server):
    psycopg_integration.instrument()

    async def main() -> None:
        conn = await psycopg.AsyncConnection.connect(postgres_server.dsn)
        try:
            with tracer.start_active_span("task"):
                cur = await conn.execute("SELECT %s::int", (7,))
                assert await cur.fetchone() == (7,)
                async with conn.cursor() as acur:
                    await acur.executemany("SELECT %s::int", [(1,), (2,)])
                with pytest.raises(psycopg.errors.SyntaxError):
                    await conn.execute("SELEC")
                await conn.rollback()
        finally:
            await conn.close()

    asyncio.run(main())
    task = spans.named("task")[0]
    children = [s for s in spans if s is not task]
    assert [s.operation_name for s in children] == ["SELECT", "SELECT", "SELEC", "ROLLBACK"]
    assert all(s.parent_id == task.span_id for s in children)
    assert children[2].tags["error"] is True
