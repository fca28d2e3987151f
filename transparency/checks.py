"""System checks for what the councils publish: each council's 360Giving prefix is of the
registered form, and no two councils share one (their grants' identifiers would clash in the
service's file of every council's grants). Read from the database: run with `--database`."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def grants_prefix(app_configs, databases=None, **kwargs):
    if not databases:
        return []
    from fundmgr.models import Council

    try:
        found = list(Council.objects.order_by("pk").values_list("name", "threesixty_prefix"))
    except DatabaseError:  # not migrated yet
        return []
    warnings = []
    holders: dict[str, list[str]] = {}
    for name, prefix in found:
        prefix = prefix.strip()
        if prefix.startswith("360G-") and prefix.endswith("-") and len(prefix) > 6:
            holders.setdefault(prefix, []).append(name)
            continue
        warnings.append(
            Warning(
                f"{name}'s 360Giving prefix is '{prefix}': a 360Giving prefix is the one "
                "360Giving registers for the council, such as '360G-thornburyvale-' (starting "
                "'360G-', ending '-'); until it is set its grants are published under one made "
                "from its GSS code.",
                hint="Set the council's 360Giving prefix in /admin/.",
                id="transparency.W001",
            )
        )
    for prefix, names in holders.items():
        if len(names) > 1:
            warnings.append(
                Warning(
                    f"{' and '.join(names)} share the 360Giving prefix '{prefix}': their grants' "
                    "identifiers may clash.",
                    hint="Give each council its own 360Giving prefix in /admin/.",
                    id="transparency.W002",
                )
            )
    return warnings
