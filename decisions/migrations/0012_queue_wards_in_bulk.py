"""The queue counts' triggers on a bid's wards (0007), each in time linear in the links a
statement adds or removes. They asked, for each link of each bid, whether it was among the
statement's new (or old) rows, a search of the transition table each time: a bulk insert of
36,000 links spent 1.4 ms on each (the benchmarks', a demo's, an import's), and grew with the
batch. Now the statement's rows are joined once (a hash join). What they count is unchanged."""

from django.db import migrations

ADD = """
INSERT INTO decisions_queuecount (fund_year_id, wards, status, n)
SELECT fy, k, st, sum(d) FROM changes GROUP BY fy, k, st HAVING sum(d) <> 0 ORDER BY fy, k, st
ON CONFLICT (fund_year_id, wards, status) DO UPDATE SET n = decisions_queuecount.n + excluded.n"""

ADDED = """
    SELECT a.fund_year_id, k.k, a.status, k.d FROM (
        SELECT t.id, COALESCE(string_agg(w.ward_id::text, ',' ORDER BY w.ward_id)
            FILTER (WHERE r.application_id IS NULL), ''), -1
        FROM (SELECT DISTINCT application_id FROM new_rows) AS t (id)
        JOIN applications_application_wards w ON w.application_id = t.id
        LEFT JOIN new_rows r ON r.application_id = w.application_id AND r.ward_id = w.ward_id
        GROUP BY t.id
        UNION ALL
        SELECT t.id, decisions_wards_key(t.id), 1
        FROM (SELECT DISTINCT application_id FROM new_rows) AS t (id)
    ) AS k (id, k, d) JOIN applications_application a ON a.id = k.id"""

REMOVED = """
    SELECT a.fund_year_id, k.k, a.status, k.d FROM (
        SELECT u.id, COALESCE(string_agg(u.ward_id::text, ',' ORDER BY u.ward_id), ''), -1
        FROM (
            SELECT w.application_id, w.ward_id FROM applications_application_wards w
            JOIN (SELECT DISTINCT application_id FROM old_rows) AS t (id)
              ON w.application_id = t.id
            UNION SELECT application_id, ward_id FROM old_rows
        ) AS u (id, ward_id)
        GROUP BY u.id
        UNION ALL
        SELECT t.id, decisions_wards_key(t.id), 1
        FROM (SELECT DISTINCT application_id FROM old_rows) AS t (id)
    ) AS k (id, k, d) JOIN applications_application a ON a.id = k.id"""


def _function(name: str, changes: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changes (fy, k, st, d) AS ({changes}) {ADD};
    RETURN NULL;
END
$$"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_function("decisions_queue_wards_added", ADDED), params=None)
        schema_editor.execute(_function("decisions_queue_wards_removed", REMOVED), params=None)


class Migration(migrations.Migration):
    dependencies = [("decisions", "0011_reference_search")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
