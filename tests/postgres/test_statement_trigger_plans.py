"""On PostgreSQL: statement triggers stay linear in their statement's rows whatever the
connection ran before (fundmgr/statement_triggers.py). PL/pgSQL keeps a plan per connection; a
plan kept from a one-row statement, reused for a thousand rows, looped over the bids for each new
ward link. Every trigger with a transition table is held to the sized form, read from
PostgreSQL's own catalogue, so a new one written without it fails here."""

from __future__ import annotations

import pytest
from django.db import connection

from fundmgr.statement_triggers import FEW
from tests.api_fixtures import many

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _statement_triggers() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, t.tgname, p.prosrc FROM pg_trigger t
            JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid
            WHERE t.tgnewtable IS NOT NULL OR t.tgoldtable IS NOT NULL ORDER BY 1, 2"""
        )
        return cursor.fetchall()


def test_every_trigger_with_a_transition_table_plans_a_large_statement_afresh():
    triggers = _statement_triggers()
    assert len(triggers) >= 10, triggers  # the queue counts, the ward listings, kind totals
    unsized = [
        f"{table}.{name}"
        for table, name, source in triggers
        if f"<= {FEW} THEN" not in source or "EXECUTE $sized$" not in source
    ]
    assert unsized == []


def _links_read() -> int:
    """Rows of the bids' ward links read so far in this transaction, by any statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)
            FROM pg_stat_xact_user_tables WHERE relname = 'applications_application_wards'"""
        )
        row = cursor.fetchone()
    return row[0] if row else 0


def test_a_bulk_insert_of_ward_links_after_a_single_one_reads_each_link_a_few_times(draft):
    # The statistics of a young service (a few bids), as autovacuum would have left them; then
    # one bid's links plan every trigger on this connection for one row.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applications_application, applications_application_wards")
    many(1, like=draft, prefix="ONE")
    many(3, like=draft, prefix="FEW")
    before = _links_read()
    n = 600
    many(n, like=draft, prefix="MANY")
    links = n * draft.wards.count()
    read = _links_read() - before
    # The plan kept from one row read every link once for each bid: n x links rows.
    assert read <= 10 * links, (read, links)
