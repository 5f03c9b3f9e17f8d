"""A squashed baseline kept as data: the tables a service had when its scripts
were squashed, frozen in a JSON snapshot beside the baseline script and built
from it by ``baseline(__file__)``.

Alembic would render the same baseline as hundreds of lines of Python, one
``sa.Column(...)`` per column, alike from one service to the next. The snapshot
reads as the schema it is (as a Rails ``schema.rb`` does); every change after it
is an ordinary Alembic script on top. ``test_migrations_match_models`` checks
that the snapshot and the scripts after it build exactly what the models declare.

Squashing again (before a release only: a database at a revision inside the
squashed range has no way forward) is: write the snapshot from the models,
``python -m baton_runtime.migrations snapshot baton_<service> > <script>.json``,
replace the scripts by one that carries the last one's revision id, and delete them.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

# The kernel's branch builds these in every service's database (kernel/k0001).
KERNEL_TABLES = frozenset({"outbox", "processed_events"})

# The column types Baton's models use, by the name the snapshot gives them.
_TYPES: dict[str, type[sa.types.TypeEngine[Any]]] = {
    "boolean": sa.Boolean,
    "float": sa.Float,
    "integer": sa.Integer,
    "json": sa.JSON,
    "moment": UTCDateTime,
    "string": AutoString,
    "text": sa.Text,
}
_NAMES = {kind: name for name, kind in _TYPES.items()}


def service_tables(package: str) -> list[sa.Table]:
    """The tables ``package``'s Alembic env registers (by importing its model
    modules), less the kernel's: in the order they can be created."""
    env = Path(importlib.import_module(package).__file__ or "").parent / "migrations/env.py"
    modules = [
        importlib.import_module(line.split()[1])
        for line in env.read_text().splitlines()
        if line.startswith("import ")
    ]
    declared = {
        obj.__table__
        for module in modules
        for obj in vars(module).values()
        if isinstance(getattr(obj, "__table__", None), sa.Table)
    }
    metadata = next(iter(declared)).metadata
    return [t for t in metadata.sorted_tables if t in declared and t.name not in KERNEL_TABLES]


def snapshot(tables: Iterable[sa.Table]) -> dict[str, Any]:
    """The tables as data, in the shape ``baseline`` builds from."""
    return {"tables": [_table(t) for t in tables]}


def dumps(value: Any, indent: int = 0) -> str:
    """JSON a person can read and diff: what fits on a line stays on one."""
    flat = json.dumps(value)
    if indent + len(flat) <= 96 or not isinstance(value, dict | list):
        return flat
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + dumps(v, indent + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _table(table: sa.Table) -> dict[str, Any]:
    unique = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    return {
        "name": table.name,
        "columns": [_column(c) for c in table.columns],
        "primary_key": [c.name for c in table.primary_key.columns],
        "unique": [
            {"name": u.name, "columns": [c.name for c in u.columns]}
            for u in sorted(unique, key=lambda u: [c.name for c in u.columns])
        ],
        "indexes": [_index(i) for i in sorted(table.indexes, key=lambda i: str(i.name))],
    }


def _column(column: sa.Column[Any]) -> dict[str, Any]:
    kind = _NAMES.get(type(column.type))
    if kind is None:
        raise ValueError(
            f"{column.table.name}.{column.name}: a snapshot has no name for "
            f"{column.type!r}; add it to baton_runtime.migrations.baseline._TYPES"
        )
    found: dict[str, Any] = {"name": column.name, "type": kind}
    length = getattr(column.type, "length", None)
    if length is not None:
        found["length"] = length
    if column.nullable:
        found["nullable"] = True
    default = column.server_default
    if default is not None:
        if not isinstance(default, sa.DefaultClause) or not isinstance(default.arg, str):
            raise ValueError(f"{column.table.name}.{column.name}: only text server defaults")
        found["default"] = default.arg
    return found


def _index(index: sa.Index) -> dict[str, Any]:
    found: dict[str, Any] = {"name": index.name, "columns": [c.name for c in index.columns]}
    if index.unique:
        found["unique"] = True
    where = index.dialect_options["postgresql"].get("where")
    if where is not None:
        found["where"] = str(where)
    return found


def baseline(script: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """``upgrade`` and ``downgrade`` for the baseline script at ``script``
    (its ``__file__``), from the snapshot of the same name ending in ``.json``."""
    tables = json.loads(Path(script).with_suffix(".json").read_text())["tables"]

    def upgrade() -> None:
        for table in tables:
            op.create_table(
                table["name"],
                *(_build_column(c) for c in table["columns"]),
                sa.PrimaryKeyConstraint(*table["primary_key"]),
                *(sa.UniqueConstraint(*u["columns"], name=u["name"]) for u in table["unique"]),
            )
            for index in table["indexes"]:
                where = index.get("where")
                op.create_index(
                    index["name"],
                    table["name"],
                    index["columns"],
                    unique=index.get("unique", False),
                    postgresql_where=None if where is None else sa.text(where),
                    sqlite_where=None if where is None else sa.text(where),
                )

    def downgrade() -> None:
        for table in reversed(tables):
            op.drop_table(table["name"])

    return upgrade, downgrade


def _build_column(column: dict[str, Any]) -> sa.Column[Any]:
    kind = _TYPES[column["type"]]
    return sa.Column(
        column["name"],
        kind(length=column["length"]) if "length" in column else kind(),
        nullable=column.get("nullable", False),
        server_default=column.get("default"),
    )
