"""On PostgreSQL the database itself refuses to change or delete ledger rows, and refuses to
commit a transaction whose entries do not sum to zero. (Row triggers do not fire on TRUNCATE, so
the test suite can still empty tables between tests.)"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION budgets_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: post a reversal instead', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER budgets_entry_append_only BEFORE UPDATE OR DELETE ON budgets_entry
    FOR EACH ROW EXECUTE FUNCTION budgets_refuse_change();
CREATE TRIGGER budgets_ledgertransaction_append_only
    BEFORE UPDATE OR DELETE ON budgets_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION budgets_refuse_change();

CREATE FUNCTION budgets_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    lines integer;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO total, lines
        FROM budgets_entry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 OR lines < 2 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries summing to %',
            NEW.transaction_id, lines, total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER budgets_entry_balanced AFTER INSERT ON budgets_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION budgets_check_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS budgets_entry_balanced ON budgets_entry;
DROP FUNCTION IF EXISTS budgets_check_balanced();
DROP TRIGGER IF EXISTS budgets_entry_append_only ON budgets_entry;
DROP TRIGGER IF EXISTS budgets_ledgertransaction_append_only ON budgets_ledgertransaction;
DROP FUNCTION IF EXISTS budgets_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("budgets", "0002_initial")]
    operations = [migrations.RunPython(forward, backward)]
