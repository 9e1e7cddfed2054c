"""The sqlite3 integration and dbapi.instrument_connection, on real sqlite3 databases."""

from __future__ import annotations

import sqlite3
import traceback
from pathlib import Path

import pytest

from traced._suppress import suppress
from traced.integrations import dbapi
from traced.integrations import sqlite3 as sqlite3_integration

ORIGINAL_CONNECT = sqlite3.connect


@pytest.fixture
def instrumented(tracer):
    sqlite3_integration.instrument()
    yield
    sqlite3_integration.uninstrument()


def test_statements_are_client_spans_under_the_active_span(tracer, spans, instrumented):
    conn = sqlite3.connect(":memory:")
    with tracer.start_active_span("request") as scope:
        conn.execute("CREATE TABLE t (a INTEGER)")
        conn.execute("INSERT INTO t VALUES (?)", (42,))
        rows = conn.execute("SELECT a FROM t WHERE a = ?", (42,)).fetchall()
    assert rows == [(42,)]
    request = spans.named("request")[0]
    names = [s.operation_name for s in spans if s is not request]
    assert names == ["CREATE", "INSERT", "SELECT"]
    for span in spans:
        if span is request:
            continue
        assert span.parent_id == request.span_id and span.trace_id == request.trace_id
        assert span.tags["span.kind"] == "client"
        assert span.tags["component"] == "sqlite3"
        assert span.tags["db.type"] == "sql"
        assert span.tags["db.instance"] == ":memory:"
    assert spans.named("INSERT")[0].tags["db.statement"] == "INSERT INTO t VALUES (?)"
    assert all("42" not in str(dict(s.tags)) for s in spans)  # no parameter values
    assert scope.span.context.span_id == request.span_id


def test_parameters_recorded_only_on_request(tracer, spans):
    sqlite3_integration.instrument(record_parameters=True)
    sqlite3.connect(":memory:").execute("SELECT ?", ("secret",))
    assert "secret" in spans.named("SELECT")[0].tags["db.parameters"]


def test_connection_and_cursors_stay_real_sqlite3_objects(tracer, spans, instrumented, tmp_path):
    path = tmp_path / "db.sqlite"
    conn = sqlite3.connect(str(path))
    assert isinstance(conn, sqlite3.Connection)
    with conn:  # commits
        conn.execute("CREATE TABLE t (a INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (3,)])
    cur = conn.cursor()
    assert isinstance(cur, sqlite3.Cursor)
    assert [row for row in cur.execute("SELECT a FROM t ORDER BY a")] == [(1,), (2,), (3,)]
    copy = sqlite3.connect(":memory:")
    conn.backup(copy)  # needs a real sqlite3.Connection
    assert copy.execute("SELECT count(*) FROM t").fetchone() == (3,)
    assert spans.named("INSERT")[0].tags["db.statement"] == "INSERT INTO t VALUES (?)"
    assert spans.named("CREATE")[0].tags["db.instance"] == str(path)


def test_factories_of_the_application_are_kept(tracer, spans, instrumented):
    class MyConnection(sqlite3.Connection):
        pass

    class MyCursor(sqlite3.Cursor):
        def one(self):
            return self.fetchone()[0]

    conn = sqlite3.connect(":memory:", factory=MyConnection)
    assert isinstance(conn, MyConnection)
    cur = conn.cursor(MyCursor)
    assert isinstance(cur, MyCursor)
    assert cur.execute("SELECT 7").one() == 7
    assert len(spans.named("SELECT")) == 1


def test_commit_rollback_and_executescript_make_spans(tracer, spans, instrumented):
    conn = sqlite3.connect(":memory:")
    conn.executescript("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);")
    conn.execute("INSERT INTO t VALUES (2)")
    conn.rollback()
    conn.execute("INSERT INTO t VALUES (3)")
    conn.commit()
    assert [s.operation_name for s in spans] == ["CREATE", "INSERT", "ROLLBACK", "INSERT", "COMMIT"]
    assert conn.execute("SELECT a FROM t ORDER BY a").fetchall() == [(1,), (3,)]


def test_errors_are_reraised_unchanged_and_tagged(tracer, spans, instrumented):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a INTEGER UNIQUE)")
    conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as unique:
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as syntax:
        conn.execute("SELEC nothing")
    failed = [s for s in spans if s.tags.get("error")]
    assert [s.operation_name for s in failed] == ["INSERT", "SELEC"]
    assert failed[0].logs[0].fields["error.object"] is unique.value
    assert failed[1].logs[0].fields["error.object"] is syntax.value
    assert "UNIQUE" in str(unique.value)
    frames = traceback.extract_tb(unique.value.__traceback__)
    assert any(f.name == "test_errors_are_reraised_unchanged_and_tagged" for f in frames)


def test_suppressed_calls_make_no_span(tracer, spans, instrumented):
    conn = sqlite3.connect(":memory:")
    with suppress():
        conn.execute("SELECT 1")
        sqlite3.connect(":memory:").execute("SELECT 2")
    assert len(spans) == 0


def test_uninstrument_restores_connect_and_silences_old_connections(tracer, spans):
    sqlite3_integration.instrument()
    assert sqlite3.connect is not ORIGINAL_CONNECT
    conn = sqlite3.connect(":memory:")
    sqlite3_integration.uninstrument()
    assert sqlite3.connect is ORIGINAL_CONNECT
    assert sqlite3.dbapi2.connect is ORIGINAL_CONNECT
    conn.execute("SELECT 1")
    sqlite3.connect(":memory:").execute("SELECT 1")
    assert len(spans) == 0


def test_instrument_loop_leaves_one_layer(tracer, spans):
    for _ in range(100):
        sqlite3_integration.instrument()
        sqlite3_integration.uninstrument()
    sqlite3_integration.instrument()
    sqlite3_integration.instrument()
    sqlite3.connect(":memory:").execute("SELECT 1")
    assert len(spans) == 1


def test_connections_made_before_are_not_traced_unless_handed_over(tracer, spans):
    before = sqlite3.connect(":memory:")
    sqlite3_integration.instrument()
    before.execute("SELECT 1")
    assert len(spans) == 0
    traced = dbapi.instrument_connection(before, component="sqlite3", database="before")
    traced.execute("SELECT 2")
    assert spans[0].tags["db.instance"] == "before"


def test_instrument_connection_proxy(tracer, spans):
    raw = sqlite3.connect(":memory:")
    conn = dbapi.instrument_connection(raw, database="main", user="me", host="db.local",
                                       port=5432, record_parameters=True)
    assert isinstance(conn, sqlite3.Connection) and conn.__wrapped__ is raw
    with conn:
        conn.execute("CREATE TABLE t (a INTEGER)")
    cur = conn.cursor()
    assert cur.execute("INSERT INTO t VALUES (?)", (5,)) is cur  # the proxy comes back
    cur.executemany("INSERT INTO t VALUES (?)", [(6,), (7,)])
    assert sorted(cur.execute("SELECT a FROM t")) == [(5,), (6,), (7,)]
    conn.commit()
    with pytest.raises(sqlite3.OperationalError):
        cur.execute("SELEC")
    names = [s.operation_name for s in spans]
    assert names == ["CREATE", "INSERT", "INSERT", "SELECT", "COMMIT", "SELEC"]
    first = spans[0]
    assert first.tags["component"] == "dbapi" and first.tags["db.user"] == "me"
    assert first.tags["peer.hostname"] == "db.local" and first.tags["peer.port"] == 5432
    assert spans[1].tags["db.parameters"] == "(5,)"
    assert spans[-1].tags["error"] is True
    raw.execute("SELECT 1")  # the original is untouched
    assert len(spans) == len(names)


def test_instrument_connection_cursor_is_its_own_iterator(tracer, spans):
    conn = dbapi.instrument_connection(sqlite3.connect(":memory:"))
    cur = conn.cursor().execute("SELECT 1 UNION ALL SELECT 2")
    assert iter(cur) is cur  # as a sqlite3 cursor is
    assert next(cur) == (1,) and next(cur) == (2,)
    with pytest.raises(StopIteration):
        next(cur)


def test_instrument_connection_keeps_working_when_the_tracer_breaks(install_broken_tracer, spans):
    conn = dbapi.instrument_connection(sqlite3.connect(":memory:"))
    assert conn.execute("SELECT 3").fetchone() == (3,)


@pytest.fixture
def install_broken_tracer(tracer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("tracer broke")

    monkeypatch.setattr(tracer, "start_span", broken)
    return tracer


def test_broken_tracer_never_breaks_the_query(install_broken_tracer, spans):
    sqlite3_integration.instrument()
    conn = sqlite3.connect(":memory:")
    assert conn.execute("SELECT 4").fetchone() == (4,)
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("SELEC")


@pytest.mark.parametrize("sql, name", [
    ("select 1", "SELECT"),
    ("  -- a comment\n  UPDATE t SET a = 1", "UPDATE"),
    ("/* hint */ (SELECT 1)", "SELECT"),
    ("WITH x AS (SELECT 1) SELECT * FROM x", "WITH"),
    ("", "query"),
    ("123", "query"),
])
def test_operation_name_is_the_first_keyword(sql, name):
    from traced.integrations._dbapi import operation_name

    assert operation_name(sql) == name


def test_registry_instruments_sqlite3(tracer, spans):
    from traced.integrations import instrument, instrumented

    assert instrument("sqlite3")["sqlite3"] == "instrumented"
    sqlite3.connect(":memory:").execute("SELECT 1")
    assert instrumented()["sqlite3"] == "instrumented"
    assert len(spans) == 1


def test_paths_keep_their_names(tracer, spans, instrumented, tmp_path: Path):
    sqlite3.connect(tmp_path / "x.db").execute("SELECT 1")
    assert spans[0].tags["db.instance"] == str(tmp_path / "x.db")
