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


STAFF_ROLE_NAMES = tuple(str(role) for role in Role if role != Role.APPLICANT)


def role_names(user) -> set[str]:
    """The user's role names for the council in scope (fundmgr/councils.py): their staff roles
    at that council (at any council when the scope is the whole service), and Applicant, which
    is theirs across the service. One query, cached on the user object for each scope."""
    if not user.is_authenticated:
        return set()
    from fundmgr import councils
    from fundmgr.models import StaffRole

    scope = councils.scope()
    # On the person, not on a request's lazy wrapper of them: the session's read
    # (fundmgr.sign_in.EmailOrUsernameBackend.get_user) leaves their roles there.
    cached = _person(user).__dict__.setdefault("_role_names", {})
    if scope not in cached:
        applicant = (
            user.groups.filter(name=str(Role.APPLICANT)).order_by().values_list("name", flat=True)
        )
        staff = StaffRole.objects.filter(user=user).order_by().values_list("role", flat=True)
        cached[scope] = set(applicant.union(staff))
    return cached[scope]


def _person(user):
    """The user object itself: `request.user` is a lazy wrapper of it (django-otp's of
    Django's), each read by now."""
    from django.utils.functional import LazyObject, empty

    while isinstance(user, LazyObject) and user.__dict__.get("_wrapped", empty) is not empty:
        user = user.__dict__["_wrapped"]
    return user


def forget_roles(user) -> None:
    """After a role was given or taken away: read the user's roles again."""
    for held in (user, _person(user)):
        held.__dict__.pop("_role_names", None)
        held.__dict__.pop("_perm_cache", None)
        held.__dict__.pop("_group_perm_cache", None)


def holders(role: Role, council_id: int | None = None):
    """The active people holding `role` at the council (by default the council in scope; at
    every council when the scope is the whole service)."""
    from fundmgr import councils
    from fundmgr.models import User

    council_id = council_id if council_id is not None else councils.current_id()
    # One filter() call: the role and the council must be the same StaffRole row (two calls
    # would join twice, and a grants officer here who is finance elsewhere would pass).
    held = {"council_roles__role": str(role)}
    if council_id is not None:
        held["council_roles__council_id"] = council_id
    return User.objects.filter(is_active=True, **held).distinct()


def give_role(user, role: Role | str, council) -> None:
    """Give `user` the role: Applicant across the service, a staff role at `council`."""
    from django.contrib.auth.models import Group

    from fundmgr.models import StaffRole

    if str(role) == str(Role.APPLICANT):
        user.groups.add(Group.objects.get_or_create(name=str(Role.APPLICANT))[0])
    else:
        StaffRole.objects.get_or_create(user=user, council=council, role=str(role))
    forget_roles(user)


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
