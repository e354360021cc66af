"""Both WebSocket protocols at the message level: close codes, error messages for invalid
queries and filters, and what happens to the connection afterwards.

graphql-transport-ws (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md) closes
the socket for protocol violations (4400 malformed, 4401 subscribe before ack, 4409 duplicate
id, 4429 second init, 4406 no acceptable subprotocol, 4408 no init in time) and answers an
operation that cannot run with `error` (a list of GraphQL errors), keeping the socket.
The legacy subscriptions-transport-ws is lenient: `connection_error` or `error` (one error
object) and the socket stays open.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from clients import TIMEOUT, closed_with, connect, receive

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
      score: Float
"""
SETUP = ("CREATE TABLE items (id integer PRIMARY KEY, label text, tier text, score double precision);\n"
         "INSERT INTO items VALUES (1, 'one', 'low', 1.5), (2, 'two', 'high', NULL);\n")
SUBSCRIPTION = "subscription { items { operation fields data { id label tier score } } }"

#: Operations that cannot start, and a fragment of the error message each must get.
INVALID = [
    ("syntax", "subscription { items { operation ", {}, "Syntax Error"),
    ("unknown field", "subscription { items { nope } }", {}, 'Cannot query field "nope"'),
    ("unknown source", "subscription { nope { operation } }", {}, 'Cannot query field "nope" on type "Subscription"'),
    ("unknown column in filter", "subscription { items(where: {nope: {_eq: 1}}) { operation } }", {},
     'Field "nope" is not defined'),
    ("wrong operand type", 'subscription { items(where: {id: {_eq: "x"}}) { operation } }', {},
     "Int cannot represent"),
    ("unknown enum value", "subscription { items(where: {tier: {_eq: bogus}}) { operation } }", {},
     'Value "bogus" does not exist in "tier" enum'),
    ("unknown enum value in a variable", "subscription ($t: tier) { items(where: {tier: {_eq: $t}}) { operation } }",
     {"t": "bogus"}, "bogus"),
    ("missing variable", "subscription ($n: Int!) { items(where: {id: {_eq: $n}}) { operation } }", {}, '"$n"'),
    ("unknown operator", "subscription { items(where: {id: {_near: 1}}) { operation } }", {}, '"_near"'),
]


def payload(query: str, variables: dict) -> dict:
    return {"query": query, **({"variables": variables} if variables else {})}


async def initialised(url: str, subprotocol: str):
    socket = await connect(url, [subprotocol])
    assert socket.subprotocol == subprotocol
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert (await receive(socket))["type"] == "connection_ack"
    return socket


def test_subprotocol_negotiation(make_stack):
    stack = make_stack(SCHEMA, SETUP)

    async def run():
        # Preference order and unknown names: the server picks one it speaks.
        for offered, chosen in [(["graphql-transport-ws"], "graphql-transport-ws"), (["graphql-ws"], "graphql-ws"),
                                (["foo", "graphql-ws"], "graphql-ws")]:
            socket = await connect(stack.ws_url, offered)
            assert socket.subprotocol == chosen
            await socket.close()
        # None acceptable: the upgrade succeeds so browsers can read the reason, then 4406.
        for offered in (None, ["foo"], ["graphql-transport-ws-nope"]):
            socket = await connect(stack.ws_url, offered)
            assert socket.subprotocol is None
            assert await closed_with(socket) == (4406, "Subprotocol not acceptable")

    asyncio.run(run())


def test_transport_ws_close_codes(make_stack):
    stack = make_stack(SCHEMA, SETUP)
    url = stack.ws_url

    async def run():
        # 4400: not JSON, unknown type, a server-only type, a binary frame, a subscribe without id.
        for message in ["nonsense", json.dumps({"type": "bogus"}), json.dumps({"type": "next", "id": "1", "payload": {}}),
                        b"\x01\x02",
                        json.dumps({"type": "subscribe", "payload": {"query": SUBSCRIPTION}})]:
            socket = await connect(url, ["graphql-transport-ws"])
            if not isinstance(message, bytes):
                await socket.send(json.dumps({"type": "connection_init"}))
                assert (await receive(socket))["type"] == "connection_ack"
            await socket.send(message)
            code, _ = await closed_with(socket)
            assert code == 4400, message

        # 4401: subscribe before connection_init.
        socket = await connect(url, ["graphql-transport-ws"])
        await socket.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIPTION}}))
        assert await closed_with(socket) == (4401, "Unauthorized")

        # Ping is answered before and after the handshake.
        socket = await connect(url, ["graphql-transport-ws"])
        await socket.send(json.dumps({"type": "ping"}))
        assert (await receive(socket, skip=()))["type"] == "pong"
        await socket.send(json.dumps({"type": "connection_init"}))
        assert (await receive(socket))["type"] == "connection_ack"
        # 4429: a second connection_init.
        await socket.send(json.dumps({"type": "connection_init"}))
        assert (await closed_with(socket))[0] == 4429

        # 4409: a subscribe reusing an active id.
        socket = await initialised(url, "graphql-transport-ws")
        await socket.send(json.dumps({"type": "subscribe", "id": "same", "payload": {"query": SUBSCRIPTION}}))
        first = await receive(socket)
        assert first["type"] == "next" and first["id"] == "same"
        await socket.send(json.dumps({"type": "subscribe", "id": "same", "payload": {"query": SUBSCRIPTION}}))
        assert (await closed_with(socket))[0] == 4409

    asyncio.run(run())


def test_connection_init_timeout_on_both_protocols(make_stack):
    stack = make_stack(SCHEMA, SETUP, env={"CONNECTION_INIT_TIMEOUT_SECONDS": "1"})

    async def run():
        for subprotocol in ("graphql-transport-ws", "graphql-ws"):
            socket = await connect(stack.ws_url, [subprotocol])
            assert await closed_with(socket) == (4408, "Connection initialisation timeout"), subprotocol

    asyncio.run(run())


def test_transport_ws_invalid_operations_get_errors_and_keep_the_socket(make_stack):
    stack = make_stack(SCHEMA, SETUP)

    async def run():
        socket = await initialised(stack.ws_url, "graphql-transport-ws")
        for index, (name, query, variables, fragment) in enumerate(INVALID):
            await socket.send(json.dumps({"type": "subscribe", "id": f"bad{index}", "payload": payload(query, variables)}))
            message = await receive(socket)
            assert message["type"] == "error" and message["id"] == f"bad{index}", (name, message)
            assert isinstance(message["payload"], list) and message["payload"], (name, message)
            assert fragment in message["payload"][0]["message"], (name, message)
            # Errors end the operation: its id is free again.
        # The socket still works: a valid subscription streams its snapshot.
        await socket.send(json.dumps({"type": "subscribe", "id": "bad0", "payload": {"query": SUBSCRIPTION}}))
        seen = {(await receive(socket))["payload"]["data"]["items"]["data"]["id"] for _ in range(2)}
        assert seen == {1, 2}
        # Queries run over the socket too: one `next`, then `complete`.
        await socket.send(json.dumps({"type": "subscribe", "id": "q", "payload": {"query": "{ __typename }"}}))
        assert await receive(socket) == {"id": "q", "type": "next", "payload": {"data": {"__typename": "Query"}}}
        assert await receive(socket) == {"id": "q", "type": "complete"}
        # Trigger operations run over the socket too.
        await socket.send(json.dumps({"type": "subscribe", "id": "t",
                                      "payload": {"query": "{ items_triggers { name } }"}}))
        message = await receive(socket)
        assert message == {"id": "t", "type": "next", "payload": {"data": {"items_triggers": []}}}
        assert await receive(socket) == {"id": "t", "type": "complete"}

        # A client `complete` stops the operation: nothing more arrives for it, while another
        # operation on the same socket keeps streaming.
        await socket.send(json.dumps({"type": "subscribe", "id": "other", "payload": {"query": SUBSCRIPTION}}))
        for _ in range(2):
            assert (await receive(socket))["id"] == "other"
        await socket.send(json.dumps({"type": "complete", "id": "bad0"}))
        await socket.send(json.dumps({"type": "ping"}))
        assert (await receive(socket, skip=()))["type"] == "pong"  # `complete` was handled before the ping
        await asyncio.to_thread(stack.sql, "UPDATE items SET label = 'changed' WHERE id = 1")
        message = await receive(socket)
        assert message["id"] == "other" and message["payload"]["data"]["items"]["fields"] == ["label"], message

        # An id is free again after `complete`: re-subscribing with it at once gets a live
        # operation, which the end of the stopped one must not complete.
        await socket.send(json.dumps({"type": "complete", "id": "other"}))
        await socket.send(json.dumps({"type": "subscribe", "id": "other", "payload": {"query": SUBSCRIPTION}}))
        snapshot = [await receive(socket) for _ in range(2)]
        assert [(m["id"], m["type"], m["payload"]["data"]["items"]["operation"]) for m in snapshot] == \
            [("other", "next", "INSERT")] * 2, snapshot
        await asyncio.to_thread(stack.sql, "UPDATE items SET label = 'again' WHERE id = 2")
        message = await receive(socket)
        assert message["id"] == "other" and message["type"] == "next", message
        update = message["payload"]["data"]["items"]
        assert update["operation"] == "UPDATE" and update["fields"] == ["label"], message
        assert update["data"]["id"] == 2 and update["data"]["label"] == "again", message
        await socket.close()

    asyncio.run(run())


def test_gql_client_gets_errors_for_invalid_operations(make_stack):
    stack = make_stack(SCHEMA, SETUP)

    async def run():
        transport = WebsocketsTransport(url=stack.ws_url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
                                        connect_timeout=TIMEOUT, ack_timeout=TIMEOUT)
        async with Client(transport=transport, execute_timeout=TIMEOUT) as session:
            # (gql parses locally, so a syntax error never reaches the server.)
            for name, query, variables, fragment in INVALID[1:]:
                with pytest.raises(TransportQueryError) as raised:
                    async for _ in session.subscribe(GraphQLRequest(query, variable_values=variables or None)):
                        pass
                assert fragment in str(raised.value), (name, raised.value)
            # The session is still usable: a query and a subscription over the same socket.
            assert await session.execute(GraphQLRequest("{ __typename }")) == {"__typename": "Query"}
            results = []
            async for result in session.subscribe(GraphQLRequest(
                    "subscription { items(where: {score: {_is_null: true}}) { operation data { id score } } }")):
                results.append(result)
                break
            assert results == [{"items": {"operation": "INSERT", "data": {"id": 2, "score": None}}}]

    asyncio.run(run())


def test_legacy_protocol_errors_and_lifecycle(make_stack):
    stack = make_stack(SCHEMA, SETUP)
    url = stack.ws_url

    async def run():
        socket = await connect(url, ["graphql-ws"])
        # Before connection_init: malformed JSON → connection_error; start → error; socket stays.
        await socket.send("nonsense")
        message = await receive(socket)
        assert message["type"] == "connection_error" and "JSON" in message["payload"]["message"]
        await socket.send(json.dumps({"id": "1", "type": "start", "payload": {"query": SUBSCRIPTION}}))
        message = await receive(socket)
        assert message["type"] == "error" and message["id"] == "1" and "connection_init" in message["payload"]["message"]
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(socket))["type"] == "connection_ack"
        assert (await receive(socket, skip=()))["type"] == "ka"  # the first keep-alive follows the ack
        # A second connection_init is an error, not a close.
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(socket))["type"] == "connection_error"
        await socket.send(json.dumps({"type": "bogus"}))
        assert await receive(socket) == {"type": "error", "payload": {"message": "Invalid message type!"}}

        for index, (name, query, variables, fragment) in enumerate(INVALID):
            await socket.send(json.dumps({"id": f"bad{index}", "type": "start", "payload": payload(query, variables)}))
            message = await receive(socket)
            assert message["type"] == "error" and message["id"] == f"bad{index}", (name, message)
            assert fragment in message["payload"]["message"], (name, message)

        # Still serving: a subscription streams, `stop` answers `complete`.
        await socket.send(json.dumps({"id": "s", "type": "start", "payload": {"query": SUBSCRIPTION}}))
        events = [await receive(socket) for _ in range(2)]
        assert all(e["type"] == "data" and e["id"] == "s" for e in events)
        assert {e["payload"]["data"]["items"]["data"]["id"] for e in events} == {1, 2}
        # `start` with an active id replaces the operation (the reference server's behaviour).
        await socket.send(json.dumps({"id": "s", "type": "start",
                                      "payload": {"query": "subscription { items(where: {id: {_eq: 2}}) { operation data { id } } }"}}))
        message = await receive(socket)
        assert message == {"id": "s", "type": "data", "payload": {"data": {"items": {"operation": "INSERT", "data": {"id": 2}}}}}
        # The replaced operation's end must not complete its successor: the new one still streams.
        await asyncio.to_thread(stack.sql, "DELETE FROM items WHERE id = 2")
        message = await receive(socket)
        assert message == {"id": "s", "type": "data", "payload": {"data": {"items": {"operation": "DELETE", "data": {"id": 2}}}}}
        await socket.send(json.dumps({"id": "s", "type": "stop"}))
        assert await receive(socket) == {"id": "s", "type": "complete"}
        # Queries: `data` then `complete`; a failing trigger mutation carries its error.
        await socket.send(json.dumps({"id": "m", "type": "start", "payload": {
            "query": 'mutation { delete_items_trigger(name: "x") { name } }'}}))
        message = await receive(socket)
        assert message["type"] == "data" and "no trigger named 'x'" in message["payload"]["errors"][0]["message"]
        assert await receive(socket) == {"id": "m", "type": "complete"}
        # connection_terminate closes normally.
        await socket.send(json.dumps({"type": "connection_terminate"}))
        assert (await closed_with(socket))[0] == 1000

        # Binary frames are refused with 1003.
        socket = await connect(url, ["graphql-ws"])
        await socket.send(b"\x00")
        assert (await closed_with(socket))[0] == 1003

    asyncio.run(run())


def test_messages_over_the_size_limit_close_the_socket(make_stack):
    stack = make_stack(SCHEMA, SETUP, env={"MAX_MESSAGE_BYTES": "2048"})

    async def run():
        for subprotocol in ("graphql-transport-ws", "graphql-ws"):
            kind = "subscribe" if subprotocol == "graphql-transport-ws" else "start"
            for size, compression in [(1000, None), (1000, "deflate"), (4096, None), (70_000, None), (4096, "deflate")]:
                socket = await websockets.connect(stack.ws_url, subprotocols=[subprotocol], compression=compression,
                                                  open_timeout=TIMEOUT)
                await socket.send(json.dumps({"type": "connection_init"}))
                assert (await receive(socket))["type"] == "connection_ack"
                query = "#" * size + "\n{ __typename }"
                await socket.send(json.dumps({"id": "1", "type": kind, "payload": {"query": query}}))
                if size < 2048:
                    assert (await receive(socket))["payload"] == {"data": {"__typename": "Query"}}
                    await socket.close()
                elif compression is None:
                    assert (await closed_with(socket))[0] == 1009, (subprotocol, size)
                else:
                    # Over permessage-deflate the inflated size is checked by hummingbird-websocket,
                    # which closes with 1011 rather than 1009: refused either way.
                    assert (await closed_with(socket))[0] in (1009, 1011), (subprotocol, size)

    asyncio.run(run())
