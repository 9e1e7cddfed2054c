"""A Flask service traced by the WSGI middleware, its traces printed in the terminal.

``TracingMiddleware`` gives every request a server span named after its Flask route
(``GET /checkout/<int:order_id>``), a child of the caller's ``traceparent`` when there is
one; the handlers' own spans nest under it, also while a streamed response is sent. The
checkout handler calls this same service over HTTP, passing its context on, so one trace
crosses the boundary twice.

Run it as it is to serve a few requests to itself on 127.0.0.1 (a free port) and print
their traces; ``--serve [--port N]`` keeps serving instead.
"""

import argparse
import json
import logging
import threading
import urllib.error
import urllib.request

import flask
from werkzeug.serving import make_server

import opentracing
import traced
from opentracing import Format
from traced import span
from traced.middleware.wsgi import TracingMiddleware

app = flask.Flask("shop")
app.wsgi_app = TracingMiddleware(app.wsgi_app, component="flask")  # the global tracer


def call(url, headers=None):
    """GET ``url``; the status and the body (an HTTP error is a status, not an exception)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@app.route("/orders/<int:order_id>")
def order(order_id):
    with span("db.query", tags={"db.type": "sql", "db.statement": "SELECT * FROM orders WHERE id = ?"}):
        return {"id": order_id, "total": 42}


@app.route("/checkout/<int:order_id>")
def checkout(order_id):
    with span("cart.load"):
        pass
    url = flask.request.host_url + "orders/%d" % order_id
    with span("GET /orders", tags={"span.kind": "client", "http.url": url}) as client:
        headers = {}
        opentracing.global_tracer().inject(client.context, Format.HTTP_HEADERS, headers)
        status, body = call(url, headers)
        client.set_tag("http.status_code", status)
    with span("payment.charge", tags={"amount": json.loads(body)["total"]}):
        return {"order": order_id, "paid": True}


@app.route("/orders/<int:order_id>/lines")
def lines(order_id):
    def produce():
        for line in range(3):
            with span("render-line", tags={"line": line}):
                yield "line %d of order %d\n" % (line, order_id)

    return flask.Response(flask.stream_with_context(produce()), mimetype="text/plain")


@app.route("/payments/status")
def payments_status():
    return "payments are down", 503  # a 5xx: the server span is an error


def selftest(server):
    """Make a few requests to ``server`` and print what came back."""
    base = "http://127.0.0.1:%d" % server.server_port
    for path in ("/checkout/7", "/orders/7/lines", "/payments/status", "/no/such/page"):
        status, body = call(base + path)
        text = body.strip().replace("\n", " | ")
        print("GET %s -> %d %s" % (path, status, text if len(text) < 70 else text[:67] + "..."))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="keep serving instead of testing itself")
    parser.add_argument("--port", type=int, default=0, help="the port for --serve (default: a free one)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
    traced.init("flask-shop", exporter="console")
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    if args.serve:
        print("serving on http://127.0.0.1:%d (Ctrl-C stops)" % server.server_port)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    else:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            selftest(server)
        finally:
            server.shutdown()
            thread.join()
    server.server_close()
    traced.shutdown()  # prints the traces still waiting
    print("each request above was one server span, with its handler's spans under it")


if __name__ == "__main__":
    main()
