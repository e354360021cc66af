"""An in-memory mirror of the tables the tests write, and the JSON the API must show for them.

Tests change data only through `Table`: each call writes the SQL, runs it on PGSim, and applies
the same change to the mirror, so the expected state of every subscription is computed from the
statements that actually ran. Values are Python values; `Column` knows how each schema type is
written as a SQL literal and how the API renders it (see `Value+GraphQL.swift`: BigInt is a
string, Timestamp `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` in UTC, Time `HH:MM:SS[.ffffff]`, JSON and
Array the JSON value itself, non-finite Float null).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any, Callable


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def clock(t: dt.time | dt.datetime) -> str:
    text = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return text + (f".{t.microsecond:06d}" if t.microsecond else "")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the schema file's type name (or an enum's name)
    sql_type: str
    enum: tuple[str, ...] | None = None

    def sql(self, value: Any) -> str:
        if value is None:
            return "NULL"
        match self.type:
            case "Integer" | "BigInt":
                return str(int(value))
            case "Float":
                return repr(float(value)) if math.isfinite(value) else quote(repr(value))
            case "Boolean":
                return "true" if value else "false"
            case "UUID":
                return quote(str(value))
            case "Timestamp":
                return quote(value.isoformat(sep=" "))
            case "Date" | "Time":
                return quote(value.isoformat())
            case "JSON":
                return quote(json.dumps(value))
            case "Array":
                return "ARRAY[" + ",".join(quote(item) for item in value) + "]" if value else "'{}'"
            case _:
                return quote(value)  # String and enums

    def json(self, value: Any) -> Any:
        if value is None:
            return None
        match self.type:
            case "BigInt":
                return str(int(value))
            case "Float":
                return float(value) if math.isfinite(value) else None
            case "UUID":
                return str(value).lower()
            case "Timestamp":
                if value.tzinfo is not None:
                    value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
                return f"{value.date().isoformat()}T{clock(value)}Z"
            case "Date":
                return value.isoformat()
            case "Time":
                return clock(value)
            case _:
                return value


class Table:
    """A table on PGSim and its mirror: `rows` maps the primary key to {column: Python value}."""

    def __init__(self, stack, name: str, columns: list[Column], key: str):
        self.stack = stack
        self.name = name
        self.columns = {column.name: column for column in columns}
        self.order = [column.name for column in columns]
        self.key = key
        self.rows: dict[Any, dict[str, Any]] = {}

    def create_sql(self) -> str:
        parts = [f"{c.name} {c.sql_type}" + (" PRIMARY KEY" if c.name == self.key else "")
                 for c in self.columns.values()]
        return f"CREATE TABLE {self.name} ({', '.join(parts)})"

    def insert(self, *rows: dict[str, Any]) -> None:
        """One INSERT of `rows` (one timestamp); columns not given are NULL."""
        values = []
        for row in rows:
            full = {name: row.get(name) for name in self.order}
            assert full[self.key] not in self.rows, f"test bug: {full[self.key]} exists"
            values.append("(" + ", ".join(self.columns[n].sql(full[n]) for n in self.order) + ")")
        self.stack.sql(f"INSERT INTO {self.name} ({', '.join(self.order)}) VALUES {', '.join(values)}")
        for row in rows:
            self.rows[row[self.key]] = {name: row.get(name) for name in self.order}

    def update(self, key: Any, **changes: Any) -> None:
        assert key in self.rows, f"test bug: no row {key}"
        assignments = ", ".join(f"{n} = {self.columns[n].sql(v)}" for n, v in changes.items())
        self.stack.sql(f"UPDATE {self.name} SET {assignments} WHERE {self.key} = {self.columns[self.key].sql(key)}")
        self.rows[key].update(changes)

    def update_where(self, sql_condition: str, predicate: Callable[[dict[str, Any]], bool], **changes: Any) -> None:
        """An UPDATE of many rows at once; `predicate` mirrors `sql_condition`."""
        assignments = ", ".join(f"{n} = {self.columns[n].sql(v)}" for n, v in changes.items())
        self.stack.sql(f"UPDATE {self.name} SET {assignments} WHERE {sql_condition}")
        for row in self.rows.values():
            if predicate(row):
                row.update(changes)

    def delete(self, key: Any) -> None:
        assert key in self.rows, f"test bug: no row {key}"
        self.stack.sql(f"DELETE FROM {self.name} WHERE {self.key} = {self.columns[self.key].sql(key)}")
        del self.rows[key]

    def delete_where(self, sql_condition: str, predicate: Callable[[dict[str, Any]], bool]) -> None:
        self.stack.sql(f"DELETE FROM {self.name} WHERE {sql_condition}")
        for key in [k for k, row in self.rows.items() if predicate(row)]:
            del self.rows[key]

    def expected(self, where: Callable[[dict[str, Any]], bool], fields: list[str]) -> dict[Any, dict[str, Any]]:
        """What a subscription with filter `where` selecting `fields` must hold: key → rendered fields."""
        json_key = self.columns[self.key].json
        return {json_key(key): {f: self.columns[f].json(row[f]) for f in fields}
                for key, row in self.rows.items() if where(row)}


def new_uuid(n: int) -> uuid.UUID:
    return uuid.UUID(int=(0x1234_5678_9ABC_4DEF_8000_0000_0000_0000 + n))
