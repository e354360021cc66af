"""Real GraphQL clients for the tests, and the state every subscriber keeps.

- `GqlSubscriber`: the `gql` package's WebsocketsTransport speaking graphql-transport-ws.
- `LegacySubscriber`: the `websockets` package speaking Apollo's subscriptions-transport-ws
  (subprotocol `graphql-ws`) by hand: connection_init/ack/ka/start/data/error/complete/stop.
- `LiveState`: applies INSERT, UPDATE (only the columns `fields` names) and DELETE to a dict
  keyed by the primary key, the way upstream tycostream's clients do, and records anything
  impossible (an INSERT of a present key, an UPDATE or DELETE of an absent one).

Waiting is always for a condition (the state equals the expectation), woken by each event,
with a deadline; never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

TIMEOUT = 60.0


class LiveState:
    def __init__(self, source: str, key: str):
        self.source = source
        self.key = key
        self.rows: dict[Any, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.anomalies: list[str] = []
        self.errors: list[Any] = []
        self.done = False
        self._changed = asyncio.Event()

    def apply_result(self, result: dict[str, Any]) -> None:
        """One `data` object of a subscription result: `{source: {operation, data, fields}}`."""
        self.apply(result[self.source])

    def apply(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        operation, data, fields = event["operation"], event["data"], event.get("fields")
        key = data[self.key]
        if operation == "INSERT":
            if key in self.rows:
                self.anomalies.append(f"INSERT of present key {key}: {event}")
            self.rows[key] = dict(data)
        elif operation == "UPDATE":
            if key not in self.rows:
                self.anomalies.append(f"UPDATE of absent key {key}: {event}")
                self.rows[key] = {}
            for name in fields or []:
                if name in data:
                    self.rows[key][name] = data[name]
        elif operation == "DELETE":
            if self.rows.pop(key, None) is None:
                self.anomalies.append(f"DELETE of absent key {key}: {event}")
        else:
            self.anomalies.append(f"unknown operation: {event}")
        self.notify()

    def fail(self, error: Any) -> None:
        self.errors.append(error)
        self.notify()

    def finish(self) -> None:
        self.done = True
        self.notify()

    def notify(self) -> None:
        self._changed.set()

    async def wait_until(self, condition, timeout: float = TIMEOUT, what: str = "condition") -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._changed.clear()
            if condition():
                return
            if self.errors:
                raise AssertionError(f"{what}: the subscription failed: {self.errors}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{what} not reached within {timeout}s")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def converge(self, expected: dict[Any, dict[str, Any]], timeout: float = TIMEOUT, label: str = "") -> None:
        """Waits until the state equals `expected`; fails with the difference."""
        try:
            await self.wait_until(lambda: self.rows == expected, timeout, f"convergence {label}")
        except AssertionError as error:
            missing = {k: v for k, v in expected.items() if k not in self.rows}
            extra = {k: v for k, v in self.rows.items() if k not in expected}
            wrong = {k: (self.rows[k], v) for k, v in expected.items() if k in self.rows and self.rows[k] != v}
            raise AssertionError(f"{error}\nmissing: {missing}\nextra: {extra}\n(got, expected): {wrong}\n"
                                 f"last events: {self.events[-10:]}") from None
        assert not self.anomalies, self.anomalies


class Subscriber:
    """A subscription running in a task until `close()`."""

    def __init__(self, url: str, query: str, source: str, key: str, variables: dict[str, Any] | None = None):
        self.url = url
        self.query = query
        self.variables = variables
        self.state = LiveState(source, key)
        self.task: asyncio.Task | None = None

    def start(self) -> "Subscriber":
        self.task = asyncio.create_task(self._guarded())
        return self

    async def _guarded(self) -> None:
        try:
            await self.run()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # recorded; the test's wait fails with it
            self.state.fail(error)
        finally:
            self.state.finish()

    async def run(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass


class GqlSubscriber(Subscriber):
    """graphql-transport-ws through `gql`."""

    async def run(self) -> None:
        transport = WebsocketsTransport(
            url=self.url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            connect_timeout=TIMEOUT, ack_timeout=TIMEOUT, close_timeout=5)
        async with Client(transport=transport, execute_timeout=TIMEOUT) as session:
            request = GraphQLRequest(self.query, variable_values=self.variables)
            async for result in session.subscribe(request):
                self.state.apply_result(result)


class LegacySubscriber(Subscriber):
    """subscriptions-transport-ws (`graphql-ws`) spoken by hand over `websockets`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.socket: websockets.ClientConnection | None = None
        self.keep_alives = 0
        self.acknowledged = asyncio.Event()

    async def run(self) -> None:
        async with websockets.connect(self.url, subprotocols=["graphql-ws"], open_timeout=TIMEOUT,
                                      max_size=1 << 24) as socket:
            self.socket = socket
            assert socket.subprotocol == "graphql-ws"
            await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            payload: dict[str, Any] = {"query": self.query}
            if self.variables is not None:
                payload["variables"] = self.variables
            # Apollo's client sends start without waiting for the ack; the server must queue it.
            await socket.send(json.dumps({"id": "1", "type": "start", "payload": payload}))
            async for text in socket:
                message = json.loads(text)
                kind = message["type"]
                if kind == "connection_ack":
                    self.acknowledged.set()
                elif kind == "ka":
                    self.keep_alives += 1
                elif kind == "data":
                    assert message["id"] == "1", message
                    body = message["payload"]
                    if body.get("errors"):
                        self.state.fail(body["errors"])
                    else:
                        self.state.apply_result(body["data"])
                elif kind in ("error", "connection_error"):
                    self.state.fail(message)
                elif kind == "complete":
                    return
                else:
                    self.state.fail(f"unexpected message {message}")

    async def stop(self) -> None:
        """Sends `stop` for the operation (the server answers `complete`, which ends `run`)."""
        assert self.socket is not None
        await self.socket.send(json.dumps({"id": "1", "type": "stop"}))

    def abort(self) -> None:
        """Drops the TCP connection without a close frame, as a crashed client or a cut cable."""
        assert self.socket is not None
        self.socket.transport.abort()


async def converge_all(pairs, timeout: float = TIMEOUT, label: str = "") -> None:
    """Waits for every (subscriber, expected) pair at once."""
    await asyncio.gather(*(s.state.converge(e, timeout, label) for s, e in pairs))


async def close_all(subscribers) -> None:
    await asyncio.gather(*(s.close() for s in subscribers))


# --- raw protocol helpers for the error tests ----------------------------------------------------

async def connect(url: str, subprotocols: list[str] | None):
    return await websockets.connect(url, subprotocols=subprotocols, open_timeout=TIMEOUT)


async def receive(socket, timeout: float = TIMEOUT, skip: tuple[str, ...] = ("ka", "ping", "pong")) -> dict[str, Any]:
    """The next JSON message, skipping keep-alives."""
    while True:
        text = await asyncio.wait_for(socket.recv(), timeout)
        message = json.loads(text)
        if message.get("type") not in skip:
            return message


async def closed_with(socket, timeout: float = TIMEOUT) -> tuple[int | None, str]:
    """Reads until the server closes; returns its close code and reason."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), timeout)
    except websockets.ConnectionClosed:
        pass
    return socket.close_code, socket.close_reason
