"""Reading an original ImageTagger 0.6 PostgreSQL database (read-only, with psycopg 3)."""

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

BATCH_SIZE = 2000


class LegacySourceError(Exception):
    """The legacy database cannot be read; ``args[0]`` says why."""


def conninfo(*, url=None, host=None, port=None, name=None, user=None, password=None):
    """A libpq connection string from a URL or from its parts (parts left out use libpq's defaults)."""
    if url:
        return url
    parts = {"host": host, "port": port, "dbname": name, "user": user, "password": password}
    return make_conninfo(**{key: str(value) for key, value in parts.items() if value not in (None, "")})


class LegacyDatabase:
    """A read-only session on the legacy database: ``rows(table, columns)`` streams its rows."""

    def __init__(self, info):
        try:
            self.connection = psycopg.connect(info, row_factory=dict_row, autocommit=False)
        except psycopg.Error as error:
            raise LegacySourceError(f"Cannot connect to the original ImageTagger database: {error}") from None
        # One snapshot for the whole import: rows read late match rows read early.
        self.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        self._tables = {
            row["table_name"]
            for row in self.connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            )
        }
        self._cursors = 0

    def close(self):
        self.connection.rollback()
        self.connection.close()

    def has_table(self, table):
        return table in self._tables

    def columns(self, table):
        return {
            row["column_name"]
            for row in self.connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                [table],
            )
        }

    def count(self, table):
        return self.connection.execute(f'SELECT count(*) AS n FROM "{table}"').fetchone()["n"]

    def rows(self, table, columns, *, order_by="id"):
        """Every row of ``table`` as a dict of ``columns``, in ``order_by`` order, fetched in batches."""
        select = ", ".join(f'"{column}"' for column in columns)
        order = ", ".join(f'"{column}"' for column in order_by.split(","))
        yield from self.select(f'SELECT {select} FROM "{table}" ORDER BY {order}')

    def select(self, sql):
        """The rows of a query (a server-side cursor: only one batch is in memory at a time)."""
        self._cursors += 1
        with self.connection.cursor(name=f"legacy_{self._cursors}") as cursor:
            cursor.itersize = BATCH_SIZE
            cursor.execute(sql)
            yield from cursor

    def batches(self, table, columns, *, order_by="id", size=BATCH_SIZE):
        batch = []
        for row in self.rows(table, columns, order_by=order_by):
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def check_schema(self):
        """Raise LegacySourceError unless the core tables of ImageTagger 0.6 are there."""
        needed = ["users_user", "users_team", "images_imageset", "images_image", "annotations_annotation"]
        missing = [table for table in needed if table not in self._tables]
        if missing:
            raise LegacySourceError(
                "This does not look like an ImageTagger 0.6 database: missing tables " + ", ".join(missing) + "."
            )
