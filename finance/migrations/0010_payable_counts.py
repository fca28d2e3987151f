"""The unpaid payments counted and totalled as they change (finance.models.PayableCount), on
PostgreSQL, so that the finance pages' lists (due, held, waiting, later, returned, stopped) are
counted from a row per bucket and due day, not by reading every unpaid payment on every request:
at 100,000 bids the benchmark's 12,000 unpaid instalments cost the finance home 4.9 ms a request
and grew with them.

A row trigger on the payments moves each payment's count and amount from the row of the bucket
and day it leaves to the one it joins, in the transaction of the change, whatever writes it (the
services, the triggers of 0003 that keep a payment's grant status and payee, a bulk load). A
bucket is the payments page's list as far as it does not depend on today
(finance.payments._SECTION without its date step); a ready or held payment due after today is
listed as later. The two rows a move touches are taken in key order, so that two transactions
never wait on each other in a circle. Every payment is counted when the migration runs. SQLite
counts per request. Checked by tests/postgres/test_payable_counts.py."""

import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models

from fundmgr.council_security import no_policies_for, policies_for

UNPAID = "('scheduled', 'returned')"

FORWARD = rf"""
CREATE FUNCTION finance_payable_bucket(
    status text, grant_status text, run_id bigint, cond text, cond_met timestamptz,
    payee_ok boolean
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN status = 'returned' THEN 'returned'
    WHEN grant_status IS NULL
      OR (run_id IS NULL AND grant_status <> 'offer_accepted')
      OR (run_id IS NOT NULL AND grant_status NOT IN ('offer_accepted', 'monitoring', 'closed'))
      THEN 'stopped'
    WHEN cond <> '' AND cond_met IS NULL THEN 'waiting'
    WHEN payee_ok THEN 'ready'
    ELSE 'held'
  END
$$;

CREATE FUNCTION finance_payable_add(
    council bigint, bucket text, due date, n bigint, amount numeric
) RETURNS void LANGUAGE sql AS $$
  INSERT INTO finance_payablecount (council_id, bucket, due_on, n, total)
  VALUES (council, bucket, due, n, amount)
  ON CONFLICT (council_id, bucket, due_on) DO UPDATE
  SET n = finance_payablecount.n + excluded.n,
      total = finance_payablecount.total + excluded.total
$$;

CREATE FUNCTION finance_payable_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_key text; new_key text;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.status IN {UNPAID} THEN
    old_key := finance_payable_bucket(OLD.status, OLD.grant_status, OLD.run_id, OLD.condition,
                                      OLD.condition_met_at, OLD.payee_ok);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status IN {UNPAID} THEN
    new_key := finance_payable_bucket(NEW.status, NEW.grant_status, NEW.run_id, NEW.condition,
                                      NEW.condition_met_at, NEW.payee_ok);
  END IF;
  -- In key order (council, bucket, day): the row left first when it sorts first.
  IF old_key IS NOT NULL AND (new_key IS NULL
      OR (OLD.council_id, old_key, OLD.due_on) <= (NEW.council_id, new_key, NEW.due_on)) THEN
    PERFORM finance_payable_add(OLD.council_id, old_key, OLD.due_on, -1, -OLD.amount);
    old_key := NULL;
  END IF;
  IF new_key IS NOT NULL THEN
    PERFORM finance_payable_add(NEW.council_id, new_key, NEW.due_on, 1, NEW.amount);
  END IF;
  IF old_key IS NOT NULL THEN
    PERFORM finance_payable_add(OLD.council_id, old_key, OLD.due_on, -1, -OLD.amount);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER finance_payable_inserted AFTER INSERT ON budgets_payment
  FOR EACH ROW WHEN (NEW.status IN {UNPAID})
  EXECUTE FUNCTION finance_payable_count();
CREATE TRIGGER finance_payable_deleted AFTER DELETE ON budgets_payment
  FOR EACH ROW WHEN (OLD.status IN {UNPAID})
  EXECUTE FUNCTION finance_payable_count();
CREATE TRIGGER finance_payable_updated AFTER UPDATE ON budgets_payment
  FOR EACH ROW WHEN (
    (OLD.status IN {UNPAID} OR NEW.status IN {UNPAID})
    AND (OLD.status, OLD.grant_status, OLD.run_id, OLD.condition, OLD.condition_met_at,
         OLD.payee_ok, OLD.due_on, OLD.amount, OLD.council_id)
        IS DISTINCT FROM
        (NEW.status, NEW.grant_status, NEW.run_id, NEW.condition, NEW.condition_met_at,
         NEW.payee_ok, NEW.due_on, NEW.amount, NEW.council_id)
  )
  EXECUTE FUNCTION finance_payable_count();

INSERT INTO finance_payablecount (council_id, bucket, due_on, n, total)
SELECT council_id,
       finance_payable_bucket(status, grant_status, run_id, condition, condition_met_at,
                              payee_ok),
       due_on, count(*), sum(amount)
FROM budgets_payment WHERE status IN {UNPAID}
GROUP BY 1, 2, 3;
"""

BACKWARD = r"""
DROP TRIGGER finance_payable_updated ON budgets_payment;
DROP TRIGGER finance_payable_deleted ON budgets_payment;
DROP TRIGGER finance_payable_inserted ON budgets_payment;
DROP FUNCTION finance_payable_count();
DROP FUNCTION finance_payable_add(bigint, text, date, bigint, numeric);
DROP FUNCTION finance_payable_bucket(text, text, bigint, text, timestamptz, boolean);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(policies_for("finance_payablecount"))
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)
            cursor.execute(no_policies_for("finance_payablecount"))


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0009_clawback_asked'),
        ('fundmgr', '0012_import_run'),
    ]

    operations = [
        migrations.CreateModel(
            name='PayableCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('bucket', models.CharField(max_length=10)),
                ('due_on', models.DateField()),
                ('n', models.BigIntegerField(default=0)),
                ('total', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12)),
                ('council', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='fundmgr.council')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('council', 'bucket', 'due_on'), name='one_payable_count_per_key')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
