"""Databases made and dropped on a PostgreSQL server for the benchmarks and their tests: the URL
of another database on the server a URL names, and creating (empty, or as a copy of a template)
and dropping one by name."""

from __future__ import annotations

import dj_database_url


def url_of(server_url: str, name: str) -> str:
    """`server_url` naming the database `name` instead (its query string kept)."""
    base, _, query = server_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")


def admin(server_url: str, *, dbname: str | None = None):
    """A connection, autocommitting (CREATE and DROP DATABASE run outside a transaction), to the
    database `server_url` names or to `dbname` on the same server."""
    import psycopg

    config = dj_database_url.parse(server_url)
    return psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname=dbname or config["NAME"],
        autocommit=True,
    )


def create(server_url: str, name: str, *, template: str | None = None, via: str | None = None):
    """The database `name`, empty or a copy of `template` (which nobody may be connected to),
    made through a connection to `via` (else the database `server_url` names)."""
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with admin(server_url, dbname=via) as conn:
        conn.execute(statement)


def drop(server_url: str, name: str, *, via: str | None = None) -> None:
    """The database `name` dropped if it exists, whoever is connected to it."""
    from psycopg import sql

    with admin(server_url, dbname=via) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
