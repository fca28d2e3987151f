"""The kind totals' statement trigger (0012) planned for the size of each statement
(fundmgr.statement_triggers says why): a posting's few entries keep their kept plan, a bulk load
of entries is planned for its real size. What it adds up is unchanged."""

import importlib

from django.db import migrations

from fundmgr.statement_triggers import trigger_function

_0012 = importlib.import_module("budgets.migrations.0012_kind_totals")

STATEMENT = f"""INSERT INTO budgets_kindtotal AS t (account_id, kind, plus, minus, n)
  {_0012.SUMMED.format(entries="new_entries")}
  ON CONFLICT (account_id, kind) DO UPDATE
    SET plus = t.plus + excluded.plus, minus = t.minus + excluded.minus, n = t.n + excluded.n"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            trigger_function("budgets_kind_totals", STATEMENT, "new_entries"), params=None
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"""CREATE OR REPLACE FUNCTION budgets_kind_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  {STATEMENT};
  RETURN NULL;
END $$""",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("budgets", "0016_year_end")]

    operations = [migrations.RunPython(forward, backward)]
