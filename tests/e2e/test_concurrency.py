"""Many clients at once: 200 subscriptions with different filters, half on each protocol,
all converging through inserts, updates and deletes; clients killed mid-stream (TCP dropped,
no close frame) disturb no one else, and the server keeps serving new clients."""

from __future__ import annotations

import asyncio

from clients import GqlSubscriber, LegacySubscriber, close_all, converge_all
from model import Column, Table

TIERS = ["low", "mid", "high"]
COLUMNS = [
    Column("id", "Integer", "integer"),
    Column("grp", "Integer", "integer"),
    Column("score", "Float", "double precision"),
    Column("label", "String", "text"),
    Column("tier", "tier", "text", enum=tuple(TIERS)),
    Column("flag", "Boolean", "boolean"),
]
FIELDS = [c.name for c in COLUMNS]
SCHEMA = """
enums:
  tier: [low, mid, high]
sources:
  items:
    primary_key: id
    columns:
      id: Integer
      grp: Integer
      score: Float
      label: String
      tier: tier
      flag: Boolean
"""
CLIENTS = 200


def initial_row(n: int) -> dict:
    return {"id": n, "grp": n % 7, "score": float(n % 50), "label": f"{'xy'[n % 2]}{n}",
            "tier": TIERS[n % 3] if n % 11 else None, "flag": [True, False, None][n % 3]}


def subscription(i: int):
    """Client i's filter (GraphQL) and the same filter in Python, SQL null semantics included."""
    k, a, g = i % 120, (i * 7) % 50, i % 7
    match i % 6:
        case 0:
            return f"{{id: {{_eq: {k}}}}}", lambda r: r["id"] == k
        case 1:
            return (f"{{score: {{_gte: {a}, _lt: {a + 15}}}}}",
                    lambda r: r["score"] is not None and a <= r["score"] < a + 15)
        case 2:
            tiers = TIERS[: 1 + i % 3]
            return (f"{{grp: {{_eq: {g}}}, tier: {{_in: [{', '.join(tiers)}]}}}}",
                    lambda r: r["grp"] == g and r["tier"] in tiers)
        case 3:
            return "{_not: {flag: {_eq: true}}}", lambda r: r["flag"] is False
        case 4:
            return (f'{{_or: [{{tier: {{_is_null: true}}}}, {{label: {{_like: "x%"}}, id: {{_gt: {k}}}}}]}}',
                    lambda r: r["tier"] is None or (r["label"] is not None and r["label"].startswith("x") and r["id"] > k))
        case _:
            return "{}", lambda r: True


def test_two_hundred_clients_converge_and_survive_abrupt_disconnects(make_stack):
    table = Table(None, "items", COLUMNS, "id")
    stack = make_stack(SCHEMA, table.create_sql() + ";\n")
    table.stack = stack
    table.insert(*(initial_row(n) for n in range(100)))

    async def scenario():
        subscribers = []
        for i in range(CLIENTS):
            where, predicate = subscription(i)
            query = "subscription { items(where: %s) { operation fields data { %s } } }" % (where, " ".join(FIELDS))
            kind = GqlSubscriber if i % 2 == 0 else LegacySubscriber
            subscribers.append((kind(stack.ws_url, query, "items", "id").start(), predicate))

        def expectations(pairs):
            return [(s, table.expected(p, FIELDS)) for s, p in pairs]

        try:
            await converge_all(expectations(subscribers), label="snapshot")

            table.insert(*(initial_row(n) for n in range(100, 120)))
            table.update_where("grp = 3", lambda r: r["grp"] == 3, tier="high", flag=False)
            table.update_where("score < 10", lambda r: r["score"] is not None and r["score"] < 10, score=30.5)
            table.delete_where("grp = 5", lambda r: r["grp"] == 5)
            table.update(7, label="x-renamed", tier=None, score=None)
            await converge_all(expectations(subscribers), label="after changes")

            # Ten unfiltered legacy clients drop their TCP connection while a change to every
            # row streams to them; the other 190 must converge as if nothing happened.
            victims = [s for s, _ in subscribers if isinstance(s, LegacySubscriber) and "{}" in s.query][:10]
            assert len(victims) == 10
            mark = len(victims[0].state.events)
            change = asyncio.create_task(asyncio.to_thread(
                table.update_where, "id >= 0", lambda r: True, label="everyone"))
            streaming = asyncio.create_task(victims[0].state.wait_until(
                lambda: len(victims[0].state.events) > mark, what="the change streaming"))
            await asyncio.wait([change, streaming], return_when=asyncio.FIRST_COMPLETED)
            for victim in victims:
                victim.abort()
            streaming.cancel()
            await change
            survivors = [(s, p) for s, p in subscribers if s not in victims]
            table.insert(initial_row(500), initial_row(501))
            table.delete(0)
            await converge_all(expectations(survivors), label="after abrupt disconnects")
            for victim in victims:
                await victim.state.wait_until(lambda v=victim: v.state.done, what="aborted client ended")

            # The server still serves: a new client on each protocol gets the full table.
            newcomers = [(GqlSubscriber(stack.ws_url, "subscription { items { operation fields data { %s } } }"
                                        % " ".join(FIELDS), "items", "id").start(), lambda r: True),
                         (LegacySubscriber(stack.ws_url, "subscription { items(where: {flag: {_is_null: true}}) "
                                           "{ operation fields data { %s } } }" % " ".join(FIELDS), "items", "id").start(),
                          lambda r: r["flag"] is None)]
            await converge_all(expectations(newcomers + survivors), label="newcomers")
            assert all(not s.state.anomalies and not s.state.errors for s, _ in survivors + newcomers)
            status, _, body = stack.http("GET", "/health")
            assert status == 200, body
            assert stack.server.popen.poll() is None
        finally:
            await close_all([s for s, _ in subscribers])
            await close_all([s for s, _ in locals().get("newcomers", [])])

    asyncio.run(scenario())
