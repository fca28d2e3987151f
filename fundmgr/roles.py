"""The roles of DESIGN.md, held as Django groups (created by fundmgr's data migration)."""

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "Applicant"
    COUNCILLOR = "Councillor"
    GRANTS_OFFICER = "Grants officer"
    PANEL_MEMBER = "Panel member"
    FINANCE_OFFICER = "Finance officer"
    AUDITOR = "Auditor"
    ADMINISTRATOR = "Administrator"


OFFICER_ROLES = (Role.GRANTS_OFFICER, Role.FINANCE_OFFICER, Role.AUDITOR, Role.ADMINISTRATOR)


def role_names(user) -> set[str]:
    """The user's role names, cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def has_role(user, *roles: Role) -> bool:
    return bool(role_names(user) & {str(r) for r in roles})


def sees_all_budgets(user) -> bool:
    """fundmgr.access.reads_every_budget (imported late: access imports this module)."""
    from fundmgr.access import reads_every_budget

    return reads_every_budget(user)


def grant_role_permissions(apps, role_permissions: dict[str, list[str]]) -> None:
    """For data migrations: create each role's group and add the permissions named as
    `app_label.codename`, where `*` matches any run of characters (`budgets.view_*`).

    A pattern reaches only the models `apps` holds, those that existed when the migration was
    written, as on a database being migrated: the tests, which make their tables straight from
    today's models, get the same roles (`*.view_*` does not reach a later app's models)."""
    from fnmatch import fnmatchcase

    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    present = {(model._meta.app_label, model._meta.model_name) for model in apps.get_models()}
    every = [
        (f"{p.content_type.app_label}.{p.codename}", p)
        for p in Permission.objects.select_related("content_type")
        if (p.content_type.app_label, p.content_type.model) in present
    ]
    for role, patterns in role_permissions.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *[p for name, p in every if any(fnmatchcase(name, pat) for pat in patterns)]
        )
