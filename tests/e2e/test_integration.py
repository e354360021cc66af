"""Upstream tycostream's integration scenario (test/integration.e2e-spec.ts), widened.

Users with an enum rank and every column type, watched through the filter
`active = true AND rank >= silver` (written two ways) and without a filter, by clients on both
WebSocket protocols. Inserts, multi-column updates, deletes, rows entering and leaving the
view (by `active` and by `rank`), nulls in every column, multi-row statements, and late
joiners. After every step each client's state must equal the mirror's expectation, and the
events of the step must be the ones the step implies (an UPDATE carries exactly the changed
columns; a row entering the view is an INSERT, one leaving it a DELETE).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from clients import GqlSubscriber, LegacySubscriber, close_all, converge_all
from model import Column, Table, new_uuid

RANKS = ["bronze", "silver", "gold", "platinum"]

COLUMNS = [
    Column("user_id", "Integer", "integer"),
    Column("name", "String", "text"),
    Column("email", "String", "varchar(255)"),
    Column("active", "Boolean", "boolean"),
    Column("rank", "rank", "text", enum=tuple(RANKS)),
    Column("score", "Float", "double precision"),
    Column("balance", "BigInt", "bigint"),
    Column("external_id", "UUID", "uuid"),
    Column("created_at", "Timestamp", "timestamp"),
    Column("updated_at", "Timestamp", "timestamptz"),
    Column("birthday", "Date", "date"),
    Column("wake_up", "Time", "time"),
    Column("metadata", "JSON", "jsonb"),
    Column("tags", "Array", "text[]"),
]
FIELDS = [c.name for c in COLUMNS]

SCHEMA = f"""
enums:
  rank: [{", ".join(RANKS)}]
sources:
  users:
    primary_key: user_id
    columns:
{chr(10).join(f"      {c.name}: {c.type}" for c in COLUMNS)}
"""

SELECTION = "operation fields data { " + " ".join(FIELDS) + " }"
FILTERED = "subscription { users(where: {active: {_eq: true}, rank: {_gte: silver}}) { %s } }" % SELECTION
FILTERED_AND = ("subscription Active($min: rank) { users(where: {_and: [{active: {_eq: true}}, {rank: {_gte: $min}}]}) "
                "{ %s } }" % SELECTION)
EVERYTHING = "subscription { users { %s } }" % SELECTION


def in_view(row) -> bool:
    return row["active"] is True and row["rank"] is not None and RANKS.index(row["rank"]) >= RANKS.index("silver")


def everything(row) -> bool:
    return True


def full_row(user_id: int, **overrides):
    """A row with a non-null value in every column."""
    row = {
        "user_id": user_id, "name": f"user {user_id}", "email": f"u{user_id}@example.com", "active": True,
        "rank": "gold", "score": user_id + 0.25, "balance": 9_007_199_254_740_993 + user_id,
        "external_id": new_uuid(user_id), "created_at": dt.datetime(2023, 12, 25, 13, 45, 30, 123456),
        "updated_at": dt.datetime(2023, 12, 25, 13, 45, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "birthday": dt.date(1990, 2, 28), "wake_up": dt.time(6, 30, 0, 500), "metadata": {"key": "value", "n": user_id},
        "tags": ["a", "b c"],
    }
    row.update(overrides)
    return row


def test_integration_flow_with_filter_and_late_joiners(make_stack):
    table = Table(None, "users", COLUMNS, "user_id")
    setup = [table.create_sql() + ";"]
    stack = make_stack(SCHEMA, "\n".join(setup) + "\n")
    table.stack = stack
    # Rows that exist before anyone subscribes: the first clients see them as their snapshot.
    table.insert(full_row(10, rank="silver"), full_row(11, active=False))

    async def scenario():
        filtered = GqlSubscriber(stack.ws_url, FILTERED, "users", "user_id").start()
        filtered_legacy = LegacySubscriber(stack.ws_url, FILTERED_AND, "users", "user_id",
                                           variables={"min": "silver"}).start()
        unfiltered = GqlSubscriber(stack.ws_url, EVERYTHING, "users", "user_id").start()
        clients = [(filtered, in_view), (filtered_legacy, in_view), (unfiltered, everything)]

        async def check(label: str):
            await converge_all([(s, table.expected(where, FIELDS)) for s, where in clients], label=label)

        def events_since(subscriber, mark):
            return [(e["operation"], e["data"]["user_id"], tuple(e["fields"])) for e in subscriber.state.events[mark:]]

        try:
            await check("snapshot")
            assert [e["operation"] for e in filtered.state.events] == ["INSERT"]

            # === basic operations: one active user in the view, one inactive outside it ===
            mark = len(filtered.state.events)
            table.insert(full_row(1, name="Alice", email="alice@test.com"),
                         full_row(2, name="Bob", email="bob@test.com", active=False, rank="silver"))
            await check("insert")
            assert events_since(filtered, mark) == [("INSERT", 1, tuple(FIELDS))]

            # A multi-column update carries exactly the changed columns.
            mark = len(filtered.state.events)
            mark_legacy = len(filtered_legacy.state.events)
            table.update(1, name="Alice Updated", email="alice@example.com")
            await check("multi-column update")
            assert events_since(filtered, mark) == [("UPDATE", 1, ("name", "email"))]
            assert events_since(filtered_legacy, mark_legacy) == [("UPDATE", 1, ("name", "email"))]
            update = filtered.state.events[-1]["data"]
            assert set(k for k, v in update.items() if v is not None) <= {"user_id", "name", "email"}

            # === delete ===
            table.insert(full_row(3, name="ToDelete", email="delete@test.com", rank="silver"))
            await check("insert before delete")
            mark = len(filtered.state.events)
            table.delete(3)
            await check("delete")
            assert events_since(filtered, mark) == [("DELETE", 3, tuple(FIELDS))]

            # === entering and leaving the view by `active` ===
            mark = len(filtered.state.events)
            table.update(2, active=True)
            await check("enter by active")
            assert [e[:2] for e in events_since(filtered, mark)] == [("INSERT", 2)]
            mark_unfiltered = len(unfiltered.state.events)
            mark = len(filtered.state.events)
            table.update(2, active=False)
            await check("leave by active")
            assert [e[:2] for e in events_since(filtered, mark)] == [("DELETE", 2)]
            assert events_since(unfiltered, mark_unfiltered) == [("UPDATE", 2, ("active",))]

            # === entering and leaving the view by the enum's order ===
            mark = len(filtered.state.events)
            table.update(1, rank="bronze")
            await check("leave by rank")
            table.update(1, rank="platinum")
            await check("enter by rank")
            table.update(1, rank="silver")  # stays in the view: an UPDATE
            await check("move within the view")
            assert [e[:2] for e in events_since(filtered, mark)] == [("DELETE", 1), ("INSERT", 1), ("UPDATE", 1)]

            # === nulls: a row with only the key, name, active and rank ===
            table.insert({"user_id": 100, "name": "Shared User", "active": True, "rank": "gold"})
            await check("nulls in every other column")
            row = filtered.state.rows[100]
            assert all(row[f] is None for f in FIELDS if f not in ("user_id", "name", "active", "rank"))
            table.update(100, email="shared@test.com", score=0.0, metadata=[1, "two", None], tags=[])
            await check("null to values")
            table.update(1, score=None, metadata=None, tags=None, birthday=None)
            await check("values to null")
            table.update(100, rank=None)  # a null rank fails `rank >= silver`: leaves the view
            await check("null enum leaves the view")

            # === late joiners: subscribe after data exists, on both protocols ===
            table.insert(full_row(1000, name="LateJoiner1", email="late1@test.com"),
                         full_row(1001, name="LateJoiner2", email="late2@test.com", active=False),
                         full_row(1002, name="LateJoiner3", email="late3@test.com", rank="platinum"))
            late_gql = GqlSubscriber(stack.ws_url, FILTERED, "users", "user_id").start()
            late_legacy = LegacySubscriber(stack.ws_url, EVERYTHING, "users", "user_id").start()
            clients += [(late_gql, in_view), (late_legacy, everything)]
            await check("late joiners' snapshot")
            assert all(e["operation"] == "INSERT" for e in late_gql.state.events)

            # === every type, with values that stress the encodings ===
            table.insert(full_row(
                2000, name="TypeTest O'Brien ✓ \"quoted\" \\ back", email=None, score=-1.5e300,
                balance=-9_223_372_036_854_775_808, external_id=new_uuid(0xFFFF),
                created_at=dt.datetime(1969, 7, 20, 20, 17, 40),
                updated_at=dt.datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
                birthday=dt.date(2024, 2, 29), wake_up=dt.time(23, 59, 59, 999999),
                metadata={"nested": {"a": [1, 2.5, {"b": None}]}, "text": "line\nbreak \u00e9", "ok": True},
                tags=["x", "with space", "quote\"d", "comma,", "NULL word"]))
            await check("every type")
            table.update(2000, metadata={"updated": True})
            await check("json update")
            table.update(2000, created_at=dt.datetime(2024, 1, 1, 12, 0), wake_up=dt.time(0, 0), tags=["only"])
            await check("temporal and array update")
            table.update(2000, active=False)
            await check("type row leaves the view")

            # === statements touching many rows at once ===
            table.update_where("active = true", lambda r: r["active"] is True, score=42.5)
            await check("multi-row update")
            table.delete_where("rank = 'platinum'", lambda r: r["rank"] == "platinum")
            await check("multi-row delete")

            # A last joiner sees exactly the final table.
            last = LegacySubscriber(stack.ws_url, FILTERED, "users", "user_id").start()
            clients.append((last, in_view))
            await check("final")
            assert filtered.state.rows.keys() == {10, 1, 1000}
            assert all(not s.state.anomalies for s, _ in clients)

            # Stopping a legacy subscription answers `complete` and ends it cleanly.
            await filtered_legacy.stop()
            await filtered_legacy.state.wait_until(lambda: filtered_legacy.state.done, what="complete after stop")
            assert not filtered_legacy.state.errors
        finally:
            await close_all([s for s, _ in clients])

    asyncio.run(scenario())
