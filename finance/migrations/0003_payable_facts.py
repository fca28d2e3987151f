"""What the payments page needs to know of each payment beyond its own row, kept on the row by
PostgreSQL triggers in the same transaction as whatever changes it (finance.payments reads
them; on SQLite, which has no such columns, it joins instead):

- `grant_status`: the status of the grant it pays (NULL: no such grant), kept when the payment
  is written, and when the grant is written or deleted;
- `payee_ok`: the group's current bank details (the newest unverified or verified row) are
  verified and no payment was returned from them, kept when the payment is written, when the
  group's bank details change, and when a run line is returned (or stops being).

The columns are the database's, not the model's: Django never writes them, so every way a row is
written (the services, bulk loads, an update of a queryset) keeps them. Each payment is brought
up to date when the migration runs.
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE budgets_payment ADD COLUMN grant_status varchar(30), ADD COLUMN payee_ok boolean
  NOT NULL DEFAULT false;

CREATE FUNCTION finance_payee_ok(org bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT COALESCE((
    SELECT b.status = 'verified' AND NOT EXISTS (
      SELECT 1 FROM budgets_paymentrunline l WHERE l.bank_account = b.id AND l.status = 'returned'
    )
    FROM applications_bankaccount b
    WHERE b.organisation_id = org AND b.status IN ('unverified', 'verified')
    ORDER BY b.id DESC LIMIT 1
  ), false)
$$;

CREATE FUNCTION finance_payment_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE grant_row record;
BEGIN
  SELECT a.status, a.organisation_id INTO grant_row
  FROM budgets_paymentschedule s JOIN applications_application a ON a.reference = s.reference
  WHERE s.id = NEW.schedule_id;
  IF FOUND THEN
    NEW.grant_status := grant_row.status;
    NEW.payee_ok := finance_payee_ok(grant_row.organisation_id);
  ELSE
    NEW.grant_status := NULL;
    NEW.payee_ok := false;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER finance_payment_facts BEFORE INSERT OR UPDATE OF schedule_id, status
  ON budgets_payment FOR EACH ROW EXECUTE FUNCTION finance_payment_facts();

CREATE FUNCTION finance_grant_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE budgets_payment p SET grant_status = NULL, payee_ok = false
    FROM budgets_paymentschedule s WHERE s.id = p.schedule_id AND s.reference = OLD.reference;
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status
     AND NEW.organisation_id IS NOT DISTINCT FROM OLD.organisation_id
     AND NEW.reference IS NOT DISTINCT FROM OLD.reference THEN
    RETURN NEW;
  END IF;
  UPDATE budgets_payment p
  SET grant_status = NEW.status, payee_ok = finance_payee_ok(NEW.organisation_id)
  FROM budgets_paymentschedule s
  WHERE s.id = p.schedule_id AND s.reference = NEW.reference;
  RETURN NEW;
END $$;

CREATE TRIGGER finance_grant_facts AFTER INSERT OR UPDATE OR DELETE
  ON applications_application FOR EACH ROW EXECUTE FUNCTION finance_grant_facts();

CREATE FUNCTION finance_payee_facts_of(org bigint) RETURNS void LANGUAGE sql AS $$
  UPDATE budgets_payment p SET payee_ok = finance_payee_ok(org)
  FROM budgets_paymentschedule s JOIN applications_application a ON a.reference = s.reference
  WHERE s.id = p.schedule_id AND a.organisation_id = org
$$;

CREATE FUNCTION finance_bank_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM finance_payee_facts_of(OLD.organisation_id);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF TG_OP = 'INSERT' OR NEW.organisation_id IS DISTINCT FROM OLD.organisation_id THEN
      PERFORM finance_payee_facts_of(NEW.organisation_id);
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER finance_bank_facts AFTER INSERT OR UPDATE OF status, organisation_id OR DELETE
  ON applications_bankaccount FOR EACH ROW EXECUTE FUNCTION finance_bank_facts();

CREATE FUNCTION finance_returned_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE org bigint;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'returned' THEN
    SELECT organisation_id INTO org FROM applications_bankaccount WHERE id = OLD.bank_account;
    IF FOUND THEN PERFORM finance_payee_facts_of(org); END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'returned' THEN
    SELECT organisation_id INTO org FROM applications_bankaccount WHERE id = NEW.bank_account;
    IF FOUND THEN PERFORM finance_payee_facts_of(org); END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER finance_returned_facts AFTER INSERT OR UPDATE OF status, bank_account OR DELETE
  ON budgets_paymentrunline FOR EACH ROW EXECUTE FUNCTION finance_returned_facts();

UPDATE budgets_payment SET status = status;
"""

BACKWARD = r"""
DROP TRIGGER finance_returned_facts ON budgets_paymentrunline;
DROP FUNCTION finance_returned_facts();
DROP TRIGGER finance_bank_facts ON applications_bankaccount;
DROP FUNCTION finance_bank_facts();
DROP FUNCTION finance_payee_facts_of(bigint);
DROP TRIGGER finance_grant_facts ON applications_application;
DROP FUNCTION finance_grant_facts();
DROP TRIGGER finance_payment_facts ON budgets_payment;
DROP FUNCTION finance_payment_facts();
DROP FUNCTION finance_payee_ok(bigint);
ALTER TABLE budgets_payment DROP COLUMN grant_status, DROP COLUMN payee_ok;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_payable_indexes")]

    operations = [migrations.RunPython(forward, backward)]
