"""Councils sealed off by the database itself (issue 18): row-level security on every table a
council owns, so raw SQL that forgets its filter still reads only the council in scope.

The test database's user is a superuser, which PostgreSQL lets past every policy: the raw
SELECTs here run as a role that is neither a superuser nor the tables' owner, as the service's
own role must be (docs/operating.md)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, transaction

from applications.workflow import Status
from fundmgr import councils
from fundmgr.models import CouncilOwned
from tests import councils_fixtures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROLE = "fundmgr_rls_probe"


def council_owned_tables() -> list[str]:
    """From the models themselves: a new council-owned model is checked without a new line."""
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, CouncilOwned) and not model._meta.proxy
    )


def test_every_council_owned_table_has_its_policy_and_forces_it(on_postgres):
    tables = council_owned_tables()
    assert len(tables) >= 40
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) "
            "FROM pg_class c WHERE c.relname = ANY(%s)",
            [tables],
        )
        found = {name: (on, forced, policies) for name, on, forced, policies in cursor.fetchall()}
    assert sorted(found) == tables
    unsealed = [name for name, state in found.items() if state != (True, True, 1)]
    assert unsealed == []


@pytest.fixture
def two_councils(on_postgres):
    return {key: (made.council, made.app) for key, made in councils_fixtures.two_councils().items()}


def _counts(tables: list[str], council_id: int | None) -> dict[str, int]:
    """Rows per table as the probe role sees them with `app.council_id` set to the council (or
    to nothing), by raw SELECTs with no filter of their own."""
    seen = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        value = "" if council_id is None else str(council_id)
        cursor.execute("SELECT set_config('app.council_id', %s, true)", [value])
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            seen[table] = cursor.fetchone()[0]
    return seen


def _owned(tables: list[str], council_id: int) -> dict[str, int]:
    """The same, counted by the superuser with the filter written out."""
    owned = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT count(*) FROM {connection.ops.quote_name(table)} WHERE council_id = %s",
                [council_id],
            )
            owned[table] = cursor.fetchone()[0]
    return owned


@pytest.fixture
def probe_role(on_postgres):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {ROLE}")
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ROLE}")
        # The tests' own role may become it (a superuser may anyway).
        cursor.execute(f"GRANT {ROLE} TO CURRENT_USER")
    yield ROLE
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
        cursor.execute(f"DROP ROLE IF EXISTS {ROLE}")


def test_a_raw_select_on_each_council_owned_table_sees_only_the_council_set(
    two_councils, probe_role
):
    tables = council_owned_tables()
    (a, app_a), (b, app_b) = two_councils["a"], two_councils["b"]
    owned_a, owned_b = _owned(tables, a.pk), _owned(tables, b.pk)
    in_both = {t for t in tables if owned_a[t] and owned_b[t]}
    # The fixture reaches the heart of the data in both councils, so the check means something.
    for table in (
        "budgets_ward",
        "budgets_councillor",
        "budgets_fund",
        "budgets_fundyear",
        "budgets_account",
        "budgets_ledgertransaction",
        "budgets_entry",
        "applications_application",
        "applications_transitionlog",
        "fundmgr_staffrole",
    ):
        assert table in in_both, table
    assert _counts(tables, a.pk) == owned_a
    assert _counts(tables, b.pk) == owned_b
    assert app_a.status == app_b.status == Status.AWAITING_SUPPORT


def test_with_no_council_set_a_raw_select_sees_nothing_and_all_sees_everything(
    two_councils, probe_role
):
    tables = council_owned_tables()
    assert set(_counts(tables, None).values()) == {0}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        cursor.execute("SELECT set_config('app.council_id', 'all', true)")
        cursor.execute("SELECT count(DISTINCT council_id) FROM applications_application")
        assert cursor.fetchone()[0] == 2


def test_a_row_for_another_council_cannot_be_written_in_a_councils_scope(two_councils, probe_role):
    (a, _), (b, app_b) = two_councils["a"], two_councils["b"]
    with connection.cursor() as cursor:
        # As the service's own role may: its triggers change the summary tables too.
        cursor.execute(f"GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
    with pytest.raises(Exception, match="row-level security|violates"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {ROLE}")
            cursor.execute("SELECT set_config('app.council_id', %s, true)", [str(a.pk)])
            # Seen through council a's scope, council b's bid is not there to change...
            cursor.execute(
                "UPDATE applications_application SET title = 'taken' WHERE id = %s", [app_b.pk]
            )
            assert cursor.rowcount == 0
            # ...and a row of council a cannot be handed to council b.
            cursor.execute(
                "UPDATE applications_application SET council_id = %s WHERE council_id = %s",
                [b.pk, a.pk],
            )


def test_the_orm_keeps_to_the_council_in_scope(two_councils):
    from applications.models import Application

    (a, app_a), (_, app_b) = two_councils["a"], two_councils["b"]
    with councils.acting_for(a):
        assert list(Application.objects.values_list("pk", flat=True)) == [app_a.pk]
        assert not Application.objects.filter(pk=app_b.pk).exists()
    with councils.acting_for(councils.NOTHING):
        assert Application.objects.count() == 0
    assert Application.objects.count() == 2  # service-wide, as a command runs


def test_every_key_between_council_owned_tables_also_checks_the_council(on_postgres):
    """Generated from the models: a new foreign key between council-owned tables without its
    (column, council_id) twin fails here."""
    from fundmgr.council_security import council_pairs

    pairs = council_pairs(apps.get_models())
    assert ("budgets_entry", "account_id", "budgets_account") in pairs and len(pairs) >= 40
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT src.relname, array_agg(a.attname ORDER BY k.ord), dst.relname
            FROM pg_constraint c
            JOIN pg_class src ON src.oid = c.conrelid
            JOIN pg_class dst ON dst.oid = c.confrelid
            CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
            WHERE c.contype = 'f'
            GROUP BY c.oid, src.relname, dst.relname
            """
        )
        keys = {(table, tuple(columns), parent) for table, columns, parent in cursor.fetchall()}
    missing = [p for p in pairs if (p[0], (p[1], "council_id"), p[2]) not in keys]
    assert missing == []


def test_a_row_cannot_point_at_another_councils_row_even_service_wide(two_councils):
    """Service-wide (no policy narrows what is seen), an entry of council a naming council b's
    account, or a's bid moved to b's fund year, is refused by the database at commit."""
    from django.db import IntegrityError

    from applications.models import Application
    from budgets.models import Account, FundYear

    (a, app_a), (b, _) = two_councils["a"], two_councils["b"]
    account_b = Account.objects.filter(council=b).first()
    with pytest.raises(IntegrityError, match="same_council"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            columns = [
                column.name
                for column in connection.introspection.get_table_description(
                    cursor, "budgets_entry"
                )
                if column.name != "id"
            ]
            chosen = ", ".join("%s" if name == "account_id" else name for name in columns)
            # A copy of one of council a's entries, naming council b's account.
            cursor.execute(
                f"INSERT INTO budgets_entry ({', '.join(columns)}) SELECT {chosen} "
                "FROM budgets_entry WHERE council_id = %s ORDER BY id LIMIT 1",
                [account_b.pk, a.pk],
            )
    with pytest.raises(IntegrityError, match="same_council"):
        with transaction.atomic():
            connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
            Application.objects.filter(pk=app_a.pk).update(
                fund_year=FundYear.objects.get(council=b)
            )
    assert Application.objects.get(pk=app_a.pk).fund_year.council_id == a.pk


def test_after_a_rollback_the_session_holds_the_scope_asked_not_an_older_one(two_councils):
    """A setting made inside a savepoint or transaction that is rolled back is undone by the
    database: the next query in the same scope sets it again, rather than run in whatever the
    session held before (another council's, or none)."""
    from applications.models import Application

    (a, _), (b, _) = two_councils["a"], two_councils["b"]

    def held() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.council_id', true)")
            return cursor.fetchone()[0]

    with councils.acting_for(a):
        assert Application.objects.count() == 1  # a's, set outside any transaction
    with transaction.atomic():
        with transaction.atomic():
            with councils.acting_for(b):
                Application.objects.count()  # b's, set inside the savepoint...
            transaction.set_rollback(True)  # ...and undone with it
        with councils.acting_for(b):
            assert held() == str(b.pk)
            assert Application.objects.count() == 1
        transaction.set_rollback(True)  # the transaction too
    with councils.acting_for(b):
        assert held() == str(b.pk)
        assert list(Application.objects.values_list("council_id", flat=True)) == [b.pk]
