"""Administrators unlock accounts that repeated wrong passwords locked (django-axes's admin pages:
they delete the access attempts); auditors read the attempts and the sign-in log."""

from django.db import migrations

from fundmgr.roles import grant_role_permissions

ROLE_PERMISSIONS = {
    "Administrator": ["axes.view_*", "axes.delete_accessattempt"],
    "Auditor": ["axes.view_*"],
}


def forward(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("fundmgr", "0004_document"),
        ("axes", "0010_accessattemptexpiration"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
