"""Indexes the payments page reads (finance.payments.PayableLists), PostgreSQL and SQLite alike:

- the unpaid payments in due-date order, so each list's page is a walk of one index that stops
  after its rows;
- each group's current bank details (unverified or verified), newest first, so a payment's
  account is one probe;
- run lines the bank returned, by the account they were paid to, so "returned from these
  details" is one probe.

Raw SQL: the payments and bank details are other apps' tables, and the indexes are partial.
"""

from django.db import migrations

INDEXES = [
    (
        "payment_unpaid_due_ref",
        "budgets_payment (due_on, reference)",
        "status IN ('scheduled', 'returned')",
    ),
    (
        "bankaccount_org_current",
        "applications_bankaccount (organisation_id, id)",
        "status IN ('unverified', 'verified')",
    ),
    (
        "runline_returned_account",
        "budgets_paymentrunline (bank_account)",
        "status = 'returned'",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0001_initial"),
        ("budgets", "0011_run_sent"),
        ("applications", "0008_register_order"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON {table} WHERE {where}",
            f"DROP INDEX {name}",
        )
        for name, table, where in INDEXES
    ]
