"""Writing many rows fast: executemany (COPY on PostgreSQL) with rows already in the driver's terms.

SQLAlchemy's executemany converts every value of every row through the
column types (a time to SQLite's text, a dict to JSON): for a year of a
workshop, most of an import's time. Here each repeated value is converted
once by the column's own bind processing and remembered, and JSON arrives as
text built by the caller, so the rows go to the driver as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import Column, Table, text
from sqlalchemy.engine import Connection, Dialect

# The JSON text of a string, as json.dumps (and so SQLAlchemy's JSON type) writes it.
json_string = encode_basestring_ascii


def converter(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """The column's bind conversion, done once per distinct value (for days, weights, prices)."""
    process = column.type.bind_processor(dialect)
    if process is None:
        return lambda value: value
    done: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return done[value]
        except KeyError:
            done[value] = converted = process(value)
            return converted

    return convert


def insert_sql(table: Table, columns: Sequence[str], dialect: Dialect) -> str:
    """An INSERT of these columns with the driver's own placeholders."""
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(columns)
    markers = ", ".join([marker] * len(columns))
    return f"INSERT INTO {table.name} ({names}) VALUES ({markers})"


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows of driver-ready values, in the connection's transaction."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        # COPY takes rows several times faster than INSERTs, even pipelined ones.
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    connection.exec_driver_sql(insert_sql(table, columns, connection.dialect), rows)


def new_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """Primary keys for `count` new rows, taken so that no other writer can take them too."""
    if connection.dialect.name == "postgresql":
        # The table's own sequence: other processes go on drawing after ours.
        query = text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            "FROM generate_series(1, :count)"
        )
        return list(connection.execute(query, {"count": count}).scalars())
    # On SQLite the transaction already holds the database's write lock (the
    # import took its numbers first), so the ids after the largest stay ours.
    last = connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {table.name}")).scalar_one()
    return list(range(last + 1, last + 1 + count))


# SQLite's page cache while an import writes: with its default 2 MB, a year of
# devices spills index pages to the file again and again, and the write takes
# twice as long. 256 MB (given back when the import ends) holds the indexes.
SQLITE_IMPORT_CACHE_KIB = 256 * 1024


@contextmanager
def roomy_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, a page cache big enough for an import's indexes while it writes."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
