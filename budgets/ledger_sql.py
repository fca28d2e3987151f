"""The ledger's write path on PostgreSQL in as few round trips as the server allows.

`budgets.ledger` decides what to post; these run it, each in ONE statement:

- `accounts`: get-or-create several accounts of one fund year at once (the rows that exist, read
  by their unique keys; the rest inserted, `ON CONFLICT DO NOTHING`, so a concurrent creator of
  the same account wins and the caller reads its row instead).
- `post`: the posting's row (`INSERT ... ON CONFLICT (idempotency_key) DO NOTHING`: a reused key
  posts nothing and reports so), every account locked in primary-key order (`FOR NO KEY UPDATE`,
  the lock `ledger.lock_accounts` takes) and its balance after the posting worked out from the
  row as it is under the lock, then either every balance changed and every entry inserted, or,
  when an account other than a source would go below zero, nothing changed and that account
  named (the first in primary-key order, with what it holds).
- `post_by_keys`: `post`, with the accounts named by (kind, councillor, reference) in a fund
  year instead of by id, those missing created in the same statement with their amount as
  their balance: a commitment or a transfer and its accounts in one round trip.

The CHECK constraints and the triggers of migration 0003 stay the backstop, as for any write.
Other databases (SQLite) use `budgets.ledger`'s ORM path instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from budgets.models import Account, Entry, FundYear, LedgerTransaction

AccountKey = tuple[str, int | None, str]  # kind, councillor id (or None), reference


def _tables() -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    return (
        quote(Account._meta.db_table),
        quote(LedgerTransaction._meta.db_table),
        quote(Entry._meta.db_table),
    )


def accounts(fund_year_id: int, wanted: Sequence[AccountKey]) -> dict[AccountKey, dict]:
    """The accounts `wanted` of the fund year, created if missing, as rows (id, kind,
    councillor_id, reference, balance) by key. One statement; a key missing from the answer lost
    a race to a concurrent creator whose row this statement could not yet see."""
    account, _, _ = _tables()
    fund_year = connection.ops.quote_name(FundYear._meta.db_table)
    keys = list(dict.fromkeys(wanted))
    match, params = [], []
    for kind, councillor_id, reference in keys:
        if councillor_id is None:
            match.append("(a.kind = %s AND a.councillor_id IS NULL AND a.reference = %s)")
            params += [kind, reference]
        else:
            match.append("(a.kind = %s AND a.councillor_id = %s AND a.reference = %s)")
            params += [kind, councillor_id, reference]
    values = ", ".join(["(%s, %s::bigint, %s)"] * len(keys))
    sql = f"""
        WITH found AS (
            SELECT a.id, a.kind, a.councillor_id, a.reference, a.balance FROM {account} a
            WHERE a.fund_year_id = %s AND ({" OR ".join(match)})
        ),
        want (kind, councillor_id, reference) AS (VALUES {values}),
        made AS (
            INSERT INTO {account}
                (fund_year_id, kind, councillor_id, reference, balance, council_id)
            SELECT %s, w.kind, w.councillor_id, w.reference, 0,
                   (SELECT council_id FROM {fund_year} WHERE id = %s)
            FROM want w
            WHERE NOT EXISTS (
                SELECT 1 FROM found f WHERE f.kind = w.kind AND f.reference = w.reference
                AND f.councillor_id IS NOT DISTINCT FROM w.councillor_id
            )
            ORDER BY w.kind, w.councillor_id, w.reference
            ON CONFLICT DO NOTHING
            RETURNING id, kind, councillor_id, reference, balance
        )
        SELECT * FROM found UNION ALL SELECT * FROM made
    """
    args = [
        fund_year_id,
        *params,
        *(x for key in keys for x in key),
        fund_year_id,
        fund_year_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    return {
        (kind, councillor_id, reference): {
            "id": pk,
            "kind": kind,
            "councillor_id": councillor_id,
            "reference": reference,
            "balance": balance,
        }
        for pk, kind, councillor_id, reference, balance in rows
    }


@dataclass(frozen=True)
class Posted:
    """What `post` did: the new posting's id, or None when it posted nothing, because the key
    was already used or because an account was short: then the first short account in
    primary-key order, with what it held."""

    transaction_id: int | None
    short_account_id: int | None = None
    short_balance: Decimal | None = None


def post(
    *,
    row: dict,
    changes: Sequence[tuple[int, Decimal]],
    source_kind: str = Account.Kind.SOURCE,
) -> Posted:
    """Insert the posting `row` (the LedgerTransaction's columns) with an entry for each (account
    id, amount) of `changes`, and change the accounts' stored balances by the same amounts: all
    of it or none of it, in one statement, so that outside a transaction it is one round trip
    and its own commit. `changes` sum to zero (the caller checks it; the deferred trigger checks
    it again at commit).

    The accounts are locked first, in primary-key order, and each balance after the posting is
    worked out from the row as it is under the lock; the posting's row goes in only when none is
    short, `ON CONFLICT (idempotency_key) DO NOTHING`: a posting of the same key that committed
    first (this statement waits for one in progress) leaves this one posting nothing. Then every
    balance and every entry. A refused posting has changed nothing; it has only taken the locks.
    """
    account, ledger_transaction, entry = _tables()
    columns = list(row)
    values = ", ".join(["(%s::bigint, %s::numeric)"] * len(changes))
    sql = f"""
        WITH v (id, amount) AS (VALUES {values}),
        locked AS MATERIALIZED (
            SELECT a.id, a.balance, a.balance + v.amount AS after,
                   v.amount < 0 AND a.kind <> %s AS guarded
            FROM {account} a JOIN v ON v.id = a.id
            ORDER BY a.id
            FOR NO KEY UPDATE OF a
        ),
        short AS (
            SELECT id, balance FROM locked WHERE guarded AND after < 0 ORDER BY id LIMIT 1
        ),
        t AS (
            INSERT INTO {ledger_transaction} ({", ".join(columns)})
            SELECT {", ".join(["%s"] * len(columns))}
            WHERE NOT EXISTS (SELECT 1 FROM short)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id, council_id
        ),
        changed AS (
            UPDATE {account} a SET balance = locked.after FROM locked
            WHERE a.id = locked.id AND EXISTS (SELECT 1 FROM t)
            RETURNING a.id
        ),
        entries AS (
            INSERT INTO {entry} (transaction_id, account_id, amount, council_id)
            SELECT t.id, v.id, v.amount, t.council_id FROM t CROSS JOIN v
            ORDER BY v.id
            RETURNING id
        )
        SELECT (SELECT id FROM t), (SELECT id FROM short), (SELECT balance FROM short),
               (SELECT count(*) FROM changed), (SELECT count(*) FROM entries)
    """
    ordered = sorted(changes)
    args = [
        *(x for change in ordered for x in change),
        str(source_kind),
        *(row[c] for c in columns),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        transaction_id, short_id, short_balance, changed, inserted = cursor.fetchone()
    if transaction_id is not None and (changed != len(ordered) or inserted != len(ordered)):
        # Only an account that does not exist can do this (its entry fails its foreign key
        # first, at the end of the statement): say so rather than return half a posting.
        raise RuntimeError(
            f"Posting {row.get('idempotency_key')!r} changed {changed} balances and inserted "
            f"{inserted} entries of {len(ordered)}."
        )
    return Posted(transaction_id, short_id, short_balance)


@dataclass(frozen=True)
class PostedByKeys(Posted):
    """`post_by_keys`'s answer: as `Posted`, with the amount the short account was to change
    by, and `unfit`: an account that does not exist yet was to go below zero, so nothing was
    posted and the caller takes the longer way (create the account, then `post`), which names
    it."""

    short_amount: Decimal | None = None
    unfit: bool = False


_MATCH = (
    "{a}.kind = {b}.kind AND {a}.reference = {b}.reference "
    "AND {a}.councillor_id IS NOT DISTINCT FROM {b}.councillor_id"
)


def post_by_keys(
    *,
    row: dict,
    fund_year_id: int,
    changes: Sequence[tuple[AccountKey, Decimal]],
    source_kind: str = Account.Kind.SOURCE,
) -> PostedByKeys:
    """`post`, with the accounts named by their keys in the fund year rather than their ids:
    those that exist are found, locked and changed as `post` does; those that do not are
    created with their amount as their balance (an upsert: a creator that committed after this
    statement began adds to the same row), all in the same one statement. Each key once; the
    amounts sum to zero (the caller merges and checks them)."""
    account, ledger_transaction, entry = _tables()
    columns = list(row)
    match, match_args = [], []
    for (kind, councillor_id, reference), _ in changes:
        if councillor_id is None:
            match.append("(a.kind = %s AND a.councillor_id IS NULL AND a.reference = %s)")
            match_args += [kind, reference]
        else:
            match.append("(a.kind = %s AND a.councillor_id = %s AND a.reference = %s)")
            match_args += [kind, councillor_id, reference]
    values = ", ".join(["(%s, %s::bigint, %s, %s::numeric)"] * len(changes))
    made = """
        INSERT INTO {account} (fund_year_id, kind, councillor_id, reference, balance, council_id)
        SELECT %s, kind, councillor_id, reference, amount, (SELECT council_id FROM t) FROM fresh
        WHERE councillor_id IS {nullness} AND EXISTS (SELECT 1 FROM t)
        ORDER BY kind, councillor_id, reference
        ON CONFLICT ({target}) WHERE councillor_id IS {nullness}
        DO UPDATE SET balance = {account}.balance + EXCLUDED.balance
        RETURNING id, kind, councillor_id, reference
    """
    # A new account gets its amount as its balance; one a concurrent creator committed since
    # this statement began (so `found` missed it) gets the amount added.
    made_with = made.format(
        account=account, nullness="NOT NULL", target="fund_year_id, kind, councillor_id, reference"
    )
    made_without = made.format(
        account=account, nullness="NULL", target="fund_year_id, kind, reference"
    )
    sql = f"""
        WITH want (kind, councillor_id, reference, amount) AS (VALUES {values}),
        found AS MATERIALIZED (
            SELECT a.id, a.kind, a.councillor_id, a.reference FROM {account} a
            WHERE a.fund_year_id = %s AND ({" OR ".join(match)})
        ),
        v AS MATERIALIZED (
            SELECT f.id, w.amount FROM want w JOIN found f ON {_MATCH.format(a="f", b="w")}
        ),
        fresh AS MATERIALIZED (
            SELECT w.* FROM want w
            WHERE NOT EXISTS (SELECT 1 FROM found f WHERE {_MATCH.format(a="f", b="w")})
        ),
        locked AS MATERIALIZED (
            SELECT a.id, a.balance, v.amount, a.balance + v.amount AS after,
                   v.amount < 0 AND a.kind <> %s AS guarded
            FROM {account} a JOIN v ON v.id = a.id
            ORDER BY a.id
            FOR NO KEY UPDATE OF a
        ),
        short AS (
            SELECT id, balance, amount FROM locked
            WHERE guarded AND after < 0 ORDER BY id LIMIT 1
        ),
        unfit AS (SELECT 1 FROM fresh WHERE amount < 0 AND kind <> %s),
        t AS (
            INSERT INTO {ledger_transaction} ({", ".join(columns)})
            SELECT {", ".join(["%s"] * len(columns))}
            WHERE NOT EXISTS (SELECT 1 FROM short) AND NOT EXISTS (SELECT 1 FROM unfit)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id, council_id
        ),
        changed AS (
            UPDATE {account} a SET balance = locked.after FROM locked
            WHERE a.id = locked.id AND EXISTS (SELECT 1 FROM t)
            RETURNING a.id
        ),
        made_with AS ({made_with}),
        made_without AS ({made_without}),
        ids AS (
            SELECT id, amount FROM v
            UNION ALL
            SELECT m.id, w.amount
            FROM (SELECT * FROM made_with UNION ALL SELECT * FROM made_without) m
            JOIN fresh w ON {_MATCH.format(a="m", b="w")}
        ),
        entries AS (
            INSERT INTO {entry} (transaction_id, account_id, amount, council_id)
            SELECT t.id, ids.id, ids.amount, t.council_id FROM t CROSS JOIN ids
            ORDER BY ids.id
            RETURNING id
        )
        SELECT (SELECT id FROM t), (SELECT id FROM short), (SELECT balance FROM short),
               (SELECT amount FROM short), EXISTS (SELECT 1 FROM unfit),
               (SELECT count(*) FROM changed),
               (SELECT count(*) FROM made_with) + (SELECT count(*) FROM made_without),
               (SELECT count(*) FROM entries)
    """
    args = [
        *(x for (key, amount) in changes for x in (*key, amount)),
        fund_year_id,
        *match_args,
        str(source_kind),
        str(source_kind),
        *(row[c] for c in columns),
        fund_year_id,
        fund_year_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        (
            transaction_id,
            short_id,
            short_balance,
            short_amount,
            unfit,
            changed,
            made,
            inserted,
        ) = cursor.fetchone()
    if transaction_id is not None and (changed + made != len(changes) or inserted != len(changes)):
        raise RuntimeError(
            f"Posting {row.get('idempotency_key')!r} changed {changed} balances, made {made} "
            f"accounts and inserted {inserted} entries of {len(changes)}."
        )
    return PostedByKeys(transaction_id, short_id, short_balance, short_amount, unfit)
