"""The database's side of keeping councils apart (fundmgr/councils.py says why and how).

- `fill_councils`: for the migrations that give every council-owned table its `council_id`: rows
  already there take the council of the row they hang from (an application's, from its fund
  year's fund), parents before children; a row that hangs from nothing takes the first council
  (a database from before councils shared a service has one).
- `POLICY_SQL` / `policies_for`: on PostgreSQL, row-level security on every council-owned
  table. `app.council_id` holds the scope: a council's id, `all` for service-wide work, or
  nothing, which sees no council's rows. FORCE makes the policies hold for the tables' owner
  too; only a superuser or a role with BYPASSRLS passes them, so the service's own database role
  must be neither (docs/operating.md).
"""

from __future__ import annotations

from django.db import migrations, models

# The scope PostgreSQL reads: the council's id, or NULL when it is `all` or unset.
FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION fundmgr_council() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN current_setting('app.council_id', true) ~ '^[0-9]+$'
                THEN current_setting('app.council_id', true)::bigint END
$$;
CREATE OR REPLACE FUNCTION fundmgr_every_council() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.council_id', true), '') = 'all'
$$;
"""


def policies_for(table: str) -> str:
    """Row-level security on one council-owned table: its rows for the council in scope only,
    or every row when the scope is the whole service; new and changed rows likewise. Each
    function is asked once per query (a sub-select is an init plan), not once per row: read
    for each row it cost a text match each time, and kept `council_id = ...` from an index."""
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS council_rows ON {table};
CREATE POLICY council_rows ON {table}
    USING ((SELECT fundmgr_every_council()) OR council_id = (SELECT fundmgr_council()))
    WITH CHECK ((SELECT fundmgr_every_council()) OR council_id = (SELECT fundmgr_council()));
"""


def no_policies_for(table: str) -> str:
    return f"""
DROP POLICY IF EXISTS council_rows ON {table};
ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
"""


def row_level_security(*labels: str) -> migrations.RunPython:
    """The migration step that seals the named models' tables (PostgreSQL only)."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(FUNCTIONS)
        for label in labels:
            schema_editor.execute(policies_for(apps.get_model(label)._meta.db_table))

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for label in labels:
            schema_editor.execute(no_policies_for(apps.get_model(label)._meta.db_table))

    return migrations.RunPython(forward, backward)


# Tables whose rows refuse UPDATE (the ledger's append-only triggers, budgets/0003): the fill
# passes them by with the trigger off for its one statement.
APPEND_ONLY_TRIGGERS = {
    "budgets_entry": "budgets_entry_append_only",
    "budgets_ledgertransaction": "budgets_ledgertransaction_append_only",
}


def fill_councils(*specs: tuple[str, str | None]) -> migrations.RunPython:
    """Fill `council_id` on the rows already there. Each spec is (model label, the foreign key
    whose row's council it takes, or None for the first council), in order, parents first."""

    def forward(apps, schema_editor):
        quote = schema_editor.quote_name
        postgres = schema_editor.connection.vendor == "postgresql"
        for label, parent in specs:
            model = apps.get_model(label)
            table = model._meta.db_table
            if parent is None:
                source = "(SELECT min(id) FROM fundmgr_council)"
            else:
                field = model._meta.get_field(parent)
                source = (
                    f"(SELECT p.council_id FROM {quote(field.related_model._meta.db_table)} p "
                    f"WHERE p.id = {quote(table)}.{quote(field.column)})"
                )
            update = f"UPDATE {quote(table)} SET council_id = {source} WHERE council_id IS NULL"
            trigger = APPEND_ONLY_TRIGGERS.get(table) if postgres else None
            if trigger:
                schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            schema_editor.execute(update)
            if trigger:
                schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        if postgres:
            # The UPDATEs queued the deferred checks of their foreign keys: run them now, as
            # PostgreSQL refuses to ALTER a table (the column made required next) that has
            # trigger events pending (a database with rows, as an installation has).
            schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)


def council_required(model_name: str) -> migrations.AlterField:
    """The column is filled: from now on every row must name its council."""
    return migrations.AlterField(
        model_name=model_name,
        name="council",
        field=models.ForeignKey(
            editable=False,
            on_delete=models.PROTECT,
            related_name="+",
            to="fundmgr.council",
        ),
    )


FILL_FUNCTION = r"""
CREATE OR REPLACE FUNCTION fundmgr_council_from_parent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.council_id IS NULL THEN
        EXECUTE format('SELECT council_id FROM %I WHERE id = $1', TG_ARGV[0])
            INTO NEW.council_id USING (to_jsonb(NEW) ->> TG_ARGV[1])::bigint;
    END IF;
    RETURN NEW;
END $$;
"""


def filled_by_the_database(*specs: tuple[str, str]) -> migrations.RunPython:
    """For summary tables whose rows the database's own triggers insert (queue counts, pending
    pledges, totals by kind): a row inserted without its council takes that of the row its
    foreign key names. Each spec is (model label, foreign key). PostgreSQL only."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(FILL_FUNCTION, params=None)
        for label, parent in specs:
            model = apps.get_model(label)
            field = model._meta.get_field(parent)
            table = model._meta.db_table
            schema_editor.execute(
                f"CREATE TRIGGER {table}_council BEFORE INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION fundmgr_council_from_parent("
                f"'{field.related_model._meta.db_table}', '{field.column}')"
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for label, _ in specs:
            table = apps.get_model(label)._meta.db_table
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_council ON {table}")

    return migrations.RunPython(forward, backward)


# --- a row points only at rows of its own council ------------------------------------------


def council_pairs(models_) -> list[tuple[str, str, str]]:
    """(table, column, parent table) for every foreign key from a council-owned model to another
    council-owned model: each must point at a row of its own council. Read from the models
    (historical ones in a migration, the app's own in a test): a model is council-owned when it
    has a `council` foreign key to fundmgr.Council."""

    def owned(model) -> bool:
        try:
            field = model._meta.get_field("council")
        except Exception:  # noqa: BLE001 - FieldDoesNotExist, from any app registry
            return False
        related = getattr(field, "related_model", None)
        return related is not None and related._meta.label_lower == "fundmgr.council"

    pairs = []
    for model in models_:
        meta = model._meta
        if meta.proxy or not meta.managed or not owned(model):
            continue
        for field in meta.concrete_fields:
            if not field.many_to_one or field.name == "council":
                continue
            parent = field.related_model
            if owned(parent) and field.target_field.primary_key:
                pairs.append((meta.db_table, field.column, parent._meta.db_table))
    return sorted(set(pairs))


def _key_name(table: str, column: str) -> str:
    import hashlib

    digest = hashlib.sha256(f"{table}.{column}".encode()).hexdigest()[:8]
    return f"{table[:30]}_{column[:16]}_same_council_{digest}"[:63]


def same_council_keys() -> migrations.RunPython:
    """On PostgreSQL, a foreign key of (column, council_id) beside each plain one between two
    council-owned tables, to the parent's (id, council_id): an entry cannot name another
    council's account, nor an application another council's fund year, whatever the code does
    (a plain key is checked past row-level security, so it alone would let one council's row
    point into another's). Idempotent: a later migration that adds a council-owned model calls
    it again, and it adds only the keys not there yet."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT conname FROM pg_constraint")
            present = {name for (name,) in cursor.fetchall()}
        for table, column, parent in council_pairs(apps.get_models()):
            unique = f"{parent[:40]}_id_council_unique"
            if unique not in present:
                schema_editor.execute(
                    f'ALTER TABLE "{parent}" ADD CONSTRAINT "{unique}" UNIQUE (id, council_id)'
                )
                present.add(unique)
            name = _key_name(table, column)
            if name not in present:
                schema_editor.execute(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY '
                    f'("{column}", council_id) REFERENCES "{parent}" (id, council_id) '
                    "DEFERRABLE INITIALLY DEFERRED"
                )
                present.add(name)

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)


def policies_again() -> migrations.RunPython:
    """Every sealed table's policy made again as `policies_for` now reads, on PostgreSQL."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(FUNCTIONS)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_policies WHERE policyname = 'council_rows' "
                "ORDER BY tablename"
            )
            sealed = [name for (name,) in cursor.fetchall()]
        for table in sealed:
            schema_editor.execute(policies_for(table))

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)
