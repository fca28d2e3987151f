"""Statement triggers whose plans fit the statement's size, on PostgreSQL.

A PL/pgSQL function plans each of its SQL statements once per database connection and keeps
the plan. A statement trigger's query reads its transition tables (the statement's new or old
rows), whose size the planner takes from the first call: a connection whose first bid changed
alone keeps a plan made for one row, and reuses it for a later insert of a thousand links (an
import, a bulk load, the demo). That plan loops over one side for each row of the other, so the
trigger's time grows with the square of the batch: 990 links took 8 s to 80 s where a fresh plan
takes milliseconds (tests/postgres/test_statement_trigger_plans.py).

`sized` runs the statement from the kept plan when the transition table holds a few rows (a
step, the common case, spends no time planning), and otherwise through EXECUTE, planned afresh
with the table's real row count. PL/pgSQL makes the transition tables visible to EXECUTE too.
"""

from __future__ import annotations

# Up to this many rows, a kept plan made for a few rows is as good as a fresh one.
FEW = 16


def sized(statement: str, rows: str) -> str:
    """PL/pgSQL running `statement` (no trailing semicolon) from its kept plan when the
    transition table `rows` holds at most FEW rows, else planned afresh."""
    if "$sized$" in statement:
        raise ValueError("The statement may not contain the quote $sized$.")
    return f"""IF (SELECT count(*) FROM {rows}) <= {FEW} THEN
    {statement};
ELSE
    EXECUTE $sized${statement}$sized$;
END IF;"""


def trigger_function(name: str, statement: str, rows: str) -> str:
    """CREATE OR REPLACE a statement trigger's function that runs `statement` sized to `rows`."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {sized(statement, rows)}
    RETURN NULL;
END
$$"""
