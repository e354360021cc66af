"""GraphQL over HTTP (POST and GET), health and readiness, the UI pages, and shutdown."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.parse

from clients import LegacySubscriber, GqlSubscriber, closed_with, connect, receive
from conftest import start_sim

SCHEMA = """
enums:
  tier: [low, mid, high]
sources:
  items:
    primary_key: id
    columns:
      id: Integer
      label: String
      tier: tier
  others:
    primary_key: key
    columns:
      key: String
      value: Float
"""
SETUP = ("CREATE TABLE items (id integer PRIMARY KEY, label text, tier text);\n"
         "CREATE TABLE others (key text PRIMARY KEY, value double precision);\n"
         "INSERT INTO items VALUES (1, 'one', 'low'), (2, 'two', 'high');\n")


def messages(body: dict) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


def test_queries_and_mutations_over_http(make_stack):
    stack = make_stack(SCHEMA, SETUP)

    # Queries answer 200 over POST and GET.
    assert stack.graphql_post("{ __typename }") == (200, {"data": {"__typename": "Query"}})
    assert stack.graphql_get("{ __typename }") == (200, {"data": {"__typename": "Query"}})
    assert stack.graphql_post("query Q($x: String!) { __type(name: $x) { name } }", {"x": "Query"}) == \
        (200, {"data": {"__type": {"name": "Query"}}})
    status, body = stack.graphql_post("query Q($x: String) { __typename }", {"x": "y"})
    assert status == 400 and "$x" in messages(body)[0]  # unused variables fail validation
    status, body = stack.graphql_get("query A { __typename } query B { __typename }", operationName="B")
    assert (status, body) == (200, {"data": {"__typename": "Query"}})
    status, body = stack.graphql_get("query A { __typename } query B { __typename }")
    assert status == 400 and "operation name" in messages(body)[0]
    status, body = stack.graphql_get("{ __typename }", operationName="C")
    assert status == 400 and '"C"' in messages(body)[0]
    # Introspection sees the generated schema.
    status, body = stack.graphql_post('{ __type(name: "itemsExpression") { inputFields { name } } }')
    assert status == 200
    assert {"id", "label", "tier", "_and", "_or", "_not"} <= {f["name"] for f in body["data"]["__type"]["inputFields"]}

    # Errors that prevent execution: 400 with {"errors": [...]} and no data.
    for query, fragment in [("{", "Syntax Error"), ("{ nope }", 'Cannot query field "nope"'),
                            ("subscription { nope { operation } }", 'Cannot query field "nope"')]:
        for status, body in (stack.graphql_post(query), stack.graphql_get(query)):
            assert status == 400 and "data" not in body and fragment in messages(body)[0], (query, body)

    # A subscription over HTTP is refused with a clear error, on both methods.
    for status, body in (stack.graphql_post("subscription { items { operation } }"),
                         stack.graphql_get("subscription { items { operation } }")):
        assert status == 400 and "WebSocket" in messages(body)[0], body

    # Trigger queries and mutations run: an empty list, a refused webhook (loopback is not
    # allowed by default), an unknown trigger; errors come back as GraphQL errors with 200.
    status, body = stack.graphql_post("{ items_triggers { name } }")
    assert status == 200 and body == {"data": {"items_triggers": []}}, body
    status, body = stack.graphql_post(
        'mutation { create_items_trigger(input: {name: "t", webhook: "http://127.0.0.1:9/hook", fire: {id: {_eq: 1}}}) '
        "{ name } }")
    assert status == 200 and "loopback" in messages(body)[0], body
    status, body = stack.graphql_post('mutation { delete_others_trigger(name: "t") { name } }')
    assert status == 200 and "no trigger named 't'" in messages(body)[0], body
    # Mutations must be POSTed: GET answers 405 with Allow: POST.
    status, headers, raw = stack.http("GET", "/graphql?" + urllib.parse.urlencode(
        {"query": 'mutation { delete_items_trigger(name: "t") { name } }'}))
    assert status == 405 and headers.get("allow") == "POST" and "POST" in messages(json.loads(raw))[0]

    # Malformed requests: 400 with a GraphQL error body saying what to send.
    status, headers, raw = stack.http("POST", "/graphql", raw=b"not json")
    assert status == 400 and headers["content-type"].startswith("application/json") and "JSON" in messages(json.loads(raw))[0]
    status, _, raw = stack.http("POST", "/graphql", raw=b'{"variables": {}}')
    assert status == 400 and json.loads(raw)["errors"]
    status, _, raw = stack.http("GET", "/graphql?query=%7B__typename%7D&variables=%5B1%5D")
    assert status == 400 and "variables" in messages(json.loads(raw))[0]
    status, _, raw = stack.http("GET", "/graphql")
    assert status == 400 and "query" in messages(json.loads(raw))[0]
    status, _, _ = stack.http("GET", "/nope")
    assert status == 404
    # Without GRAPHQL_UI there is no GraphiQL and no live page.
    status, _, raw = stack.http("GET", "/graphql", headers={"Accept": "text/html"})
    assert status == 400
    assert stack.http("GET", "/")[0] == 404


def test_health_and_readiness(tmp_path):
    # The server starts before the database accepts anything: /health is up, /ready is not.
    stack = start_sim(tmp_path, SETUP)
    try:
        stack.start_server(SCHEMA, env={"DATABASE_URL": stack.database_url.replace(
            "secret", "wrong-password")}, wait_ready=False)
        status, _, raw = stack.http("GET", "/health")
        assert (status, json.loads(raw)) == (200, {"status": "ok"})
        status, _, raw = stack.http("GET", "/ready")
        body = json.loads(raw)
        assert status == 503 and body["ready"] is False, body
        assert set(body["sources"]) == {"items", "others"}
        assert all(s["state"] != "streaming" for s in body["sources"].values()), body
    finally:
        stack.stop()


def test_ready_reports_every_source_streaming(make_stack):
    stack = make_stack(SCHEMA, SETUP)
    body = stack.wait_ready()
    assert body["ready"] is True
    assert body["sources"]["items"]["state"] == "streaming" and body["sources"]["items"]["rows"] == 2
    assert body["sources"]["others"]["state"] == "streaming" and body["sources"]["others"]["rows"] == 0
    assert isinstance(body["sources"]["items"]["timestamp"], int)


def test_ui_pages(make_stack):
    stack = make_stack(SCHEMA, SETUP, ui=True)
    status, headers, raw = stack.http("GET", "/graphql", headers={"Accept": "text/html"})
    page = raw.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "graphiql" in page.lower() and "/graphql" in page
    # The default query subscribes to the first source with every column.
    assert "subscription" in page and "items" in page and "label" in page
    status, headers, raw = stack.http("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html") and b"<html" in raw.lower()
    # API clients asking for JSON still get the API.
    status, _, raw = stack.http("GET", "/graphql")
    assert status == 400 and json.loads(raw)["errors"]


def test_graceful_shutdown_closes_subscriptions_and_exits(make_stack):
    stack = make_stack(SCHEMA, SETUP)

    async def run():
        subscribers = [
            GqlSubscriber(stack.ws_url, "subscription { items { operation data { id } } }", "items", "id").start(),
            LegacySubscriber(stack.ws_url, "subscription { items { operation data { id } } }", "items", "id").start(),
        ]
        raw = await connect(stack.ws_url, ["graphql-transport-ws"])
        await raw.send(json.dumps({"type": "connection_init"}))
        assert (await receive(raw))["type"] == "connection_ack"
        for subscriber in subscribers:
            await subscriber.state.converge({1: {"id": 1}, 2: {"id": 2}})
        stack.server.popen.send_signal(signal.SIGTERM)
        code, _ = await closed_with(raw)
        assert code in (1000, 1001), code
        for subscriber in subscribers:
            await subscriber.state.wait_until(lambda s=subscriber: s.state.done, what="subscription ended by shutdown")
        exit_code = await asyncio.to_thread(stack.server.popen.wait, 30)
        assert exit_code == 0, stack.server.log()

    asyncio.run(run())
