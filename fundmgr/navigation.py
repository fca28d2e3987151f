"""Who sees which links in the header: each role's own areas, nothing else."""

from django.urls import NoReverseMatch, reverse

from fundmgr.roles import Role, has_role, sees_all_budgets

# (label, url name, who may see it)
AREAS = [
    ("Your applications", "applications:groups_home", lambda u: has_role(u, Role.APPLICANT)),
    ("Bids and support", "councillor:dashboard", lambda u: has_role(u, Role.COUNCILLOR)),
    (
        "Workbench",
        "decisions:workbench",
        lambda u: u.is_superuser or has_role(u, Role.GRANTS_OFFICER, Role.AUDITOR),
    ),
    ("Panels", "decisions:panels", lambda u: has_role(u, Role.GRANTS_OFFICER, Role.PANEL_MEMBER)),
    (
        "Budgets",
        "budgets:index",
        lambda u: sees_all_budgets(u) or has_role(u, Role.COUNCILLOR),
    ),
    (
        "Dashboards",
        "dashboards:index",
        lambda u: sees_all_budgets(u) or has_role(u, Role.COUNCILLOR),
    ),
    (
        "Finance",
        "finance:home",
        lambda u: u.is_superuser or has_role(u, Role.FINANCE_OFFICER, Role.AUDITOR),
    ),
]


def nav_items(user, path: str = "") -> list[tuple[str, str, bool]]:
    """(label, url, active) for each area the person may use. The active one is the longest URL
    that `path` starts with, so /officer/panels/ marks Panels, not Workbench as well."""
    if not user.is_authenticated:
        return []
    items = []
    for label, name, allowed in AREAS:
        if not allowed(user):
            continue
        try:
            items.append((label, reverse(name)))
        except NoReverseMatch:  # an area whose pages are not installed
            continue
    matches = [url for _, url in items if path.startswith(url)]
    current = max(matches, key=len) if matches else None
    return [(label, url, url == current) for label, url in items]


def landing_url(user) -> str:
    """Where a person lands after signing in: their first area, or the plain home page."""
    items = nav_items(user)
    return items[0][1] if items else reverse("home")
