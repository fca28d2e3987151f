"""The roles' permissions on ward population figures (fundmgr's roles migration ran before this
model existed, so its patterns did not reach it)."""

from django.db import migrations

from fundmgr.roles import grant_role_permissions

ROLE_PERMISSIONS = {
    "Grants officer": ["transparency.view_wardpopulation"],
    "Auditor": ["transparency.view_wardpopulation"],
    "Administrator": ["transparency.*_wardpopulation"],
}


def forward(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("transparency", "0001_initial"),
        ("fundmgr", "0002_roles"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
