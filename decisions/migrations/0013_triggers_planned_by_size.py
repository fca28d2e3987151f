"""The queue counts' and ward listings' statement triggers (0007, 0008, 0012) planned for the
size of each statement (fundmgr.statement_triggers says why): a bulk insert of a bid's ward
links after a single step on the same connection took 8 s for 990 links, and 80 s once the
table held more bids, from a plan kept for one row. The queue counts also read the keys of the
bids' sets of wards in one grouped read instead of a function call per bid. What they count and
list is unchanged (tests/postgres/test_queue_counts.py, test_ward_listings.py)."""

import importlib

from django.db import migrations

from fundmgr.statement_triggers import trigger_function

_0007 = importlib.import_module("decisions.migrations.0007_queue_counts")
_0008 = importlib.import_module("decisions.migrations.0008_ward_listings")
_0012 = importlib.import_module("decisions.migrations.0012_queue_wards_in_bulk")


def _counted(changes: str) -> str:
    return f"WITH changes (fy, k, st, d) AS ({changes}) {_0007.ADD}"


# The key of each bid's set of wards (0007's decisions_wards_key), for the bids of `ids` at
# once: one grouped read of their links, where the function read them bid by bid (a read of the
# whole table each time when the statistics, behind a bulk insert, call the table small).
def _keys(ids: str) -> str:
    return f"""(SELECT w.application_id, string_agg(w.ward_id::text, ',' ORDER BY w.ward_id)
        FROM applications_application_wards w WHERE w.application_id IN ({ids})
        GROUP BY w.application_id)"""


INSERTED = f"""
    SELECT n.fund_year_id, COALESCE(k.k, ''), n.status, 1 FROM new_rows n
    LEFT JOIN {_keys("SELECT id FROM new_rows")} AS k (id, k) ON k.id = n.id"""

DELETED = f"""
    SELECT o.fund_year_id, COALESCE(k.k, ''), o.status, -1 FROM old_rows o
    LEFT JOIN {_keys("SELECT id FROM old_rows")} AS k (id, k) ON k.id = o.id"""

UPDATED = f"""
    SELECT x.fy, COALESCE(k.k, ''), x.st, x.d FROM (
        SELECT o.id, o.fund_year_id, o.status, -1 FROM old_rows o JOIN new_rows n USING (id)
        WHERE o.status IS DISTINCT FROM n.status OR o.fund_year_id <> n.fund_year_id
        UNION ALL
        SELECT n.id, n.fund_year_id, n.status, 1 FROM old_rows o JOIN new_rows n USING (id)
        WHERE o.status IS DISTINCT FROM n.status OR o.fund_year_id <> n.fund_year_id
    ) AS x (id, fy, st, d)
    LEFT JOIN {_keys("SELECT id FROM new_rows")} AS k (id, k) ON k.id = x.id"""

# A bid given wards: its count moves from the set it had (its links less the new rows) to the
# set it has. A bid's wards taken away: from its links with the removed rows to its links.
WARDS_ADDED = """
    SELECT a.fund_year_id, v.k, a.status, v.d FROM (
        SELECT t.id,
            COALESCE(string_agg(w.ward_id::text, ',' ORDER BY w.ward_id)
                FILTER (WHERE r.application_id IS NULL), ''),
            COALESCE(string_agg(w.ward_id::text, ',' ORDER BY w.ward_id), '')
        FROM (SELECT DISTINCT application_id FROM new_rows) AS t (id)
        JOIN applications_application_wards w ON w.application_id = t.id
        LEFT JOIN new_rows r ON r.application_id = w.application_id AND r.ward_id = w.ward_id
        GROUP BY t.id
    ) AS g (id, was, now)
    CROSS JOIN LATERAL (VALUES (g.was, -1), (g.now, 1)) AS v (k, d)
    JOIN applications_application a ON a.id = g.id"""

WARDS_REMOVED = """
    SELECT a.fund_year_id, v.k, a.status, v.d FROM (
        SELECT u.id,
            COALESCE(string_agg(u.ward_id::text, ',' ORDER BY u.ward_id), ''),
            COALESCE(string_agg(u.ward_id::text, ',' ORDER BY u.ward_id) FILTER (WHERE u.kept), '')
        FROM (
            SELECT w.application_id, w.ward_id, true FROM applications_application_wards w
            WHERE w.application_id IN (SELECT application_id FROM old_rows)
            UNION ALL SELECT application_id, ward_id, false FROM old_rows
        ) AS u (id, ward_id, kept)
        GROUP BY u.id
    ) AS g (id, was, now)
    CROSS JOIN LATERAL (VALUES (g.was, -1), (g.now, 1)) AS v (k, d)
    JOIN applications_application a ON a.id = g.id"""

# name: (statement, the transition table it is sized by)
STATEMENTS = {
    "decisions_queue_inserted": (_counted(INSERTED), "new_rows"),
    "decisions_queue_deleted": (_counted(DELETED), "old_rows"),
    "decisions_queue_updated": (_counted(UPDATED), "new_rows"),
    "decisions_queue_wards_added": (_counted(WARDS_ADDED), "new_rows"),
    "decisions_queue_wards_removed": (_counted(WARDS_REMOVED), "old_rows"),
    "decisions_listing_wards_added": (
        """INSERT INTO decisions_wardlisting (application_id, ward_id, priority, submitted_at)
    SELECT r.application_id, r.ward_id, decisions_priority(a.status), a.submitted_at
    FROM new_rows r JOIN applications_application a ON a.id = r.application_id
    ORDER BY r.application_id, r.ward_id
    ON CONFLICT (application_id, ward_id) DO NOTHING""",
        "new_rows",
    ),
    "decisions_listing_wards_removed": (
        """DELETE FROM decisions_wardlisting l USING old_rows o
    WHERE l.application_id = o.application_id AND l.ward_id = o.ward_id""",
        "old_rows",
    ),
    "decisions_listing_updated": (
        """UPDATE decisions_wardlisting l
    SET priority = decisions_priority(n.status), submitted_at = n.submitted_at
    FROM new_rows n JOIN old_rows o USING (id)
    WHERE l.application_id = n.id
    AND (o.status IS DISTINCT FROM n.status OR o.submitted_at IS DISTINCT FROM n.submitted_at)""",
        "new_rows",
    ),
    "decisions_listing_deleted": (
        "DELETE FROM decisions_wardlisting l USING old_rows o WHERE l.application_id = o.id",
        "old_rows",
    ),
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, (statement, rows) in STATEMENTS.items():
            schema_editor.execute(trigger_function(name, statement, rows), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    kept = [
        _0007._function(name, changes)
        for name, changes in _0007.FUNCTIONS.items()
        if name not in ("decisions_queue_wards_added", "decisions_queue_wards_removed")
    ]
    kept += [sql for sql in _0008.FORWARD[1:5]]
    for sql in kept:
        schema_editor.execute(
            sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1), params=None
        )
    _0012.forward(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("decisions", "0012_queue_wards_in_bulk")]

    operations = [migrations.RunPython(forward, backward)]
