"""Who sees which links in the header: each role's own areas, nothing else."""

from django.urls import NoReverseMatch, get_script_prefix, resolve, reverse

from fundmgr.roles import Role, has_role

# (label, url name): each area is offered to those its page's own read rule admits
# (fundmgr.access), so the header never offers a page that would refuse the person. The group
# pages are public (a start page for visitors): the link is for applicants.
AREAS = [
    ("Your applications", "applications:groups_home"),
    ("Bids and support", "councillor:dashboard"),
    ("Workbench", "decisions:workbench"),
    ("Panels", "decisions:panels"),
    ("Budgets", "budgets:index"),
    ("Dashboards", "dashboards:index"),
    ("Finance", "finance:home"),
    ("Imports", "imports:index"),
]


def _may_open(user, url: str, name: str) -> bool:
    if name == "applications:groups_home":
        return has_role(user, Role.APPLICANT)
    # reverse() put the script prefix (a council's /ashcombe/) in front; resolve() wants the rest.
    prefix = get_script_prefix()
    path = "/" + url[len(prefix) :] if url.startswith(prefix) else url
    rules = getattr(resolve(path).func, "access", None) or {}
    read = rules.get("read")
    return read is not None and read(user)


def nav_items(user, path: str = "") -> list[tuple[str, str, bool]]:
    """(label, url, active) for each area the person may use. The active one is the longest URL
    that `path` starts with, so /officer/panels/ marks Panels, not Workbench as well."""
    if not user.is_authenticated:
        return []
    items = []
    for label, name in AREAS:
        try:
            url = reverse(name)
        except NoReverseMatch:  # an area whose pages are not installed
            continue
        if _may_open(user, url, name):
            items.append((label, url))
    matches = [url for _, url in items if path.startswith(url)]
    current = max(matches, key=len) if matches else None
    return [(label, url, url == current) for label, url in items]


# Where each role's work is, when that is not simply the first area it may open: a finance
# officer may read the budgets, but their work is under /finance/.
WORK = {Role.FINANCE_OFFICER: "finance:home"}


def landing_url(user) -> str:
    """Where a person lands after signing in: where their role's work is, else their first
    area, or the plain home page."""
    items = nav_items(user)
    offered = {url for _, url, _ in items}
    for role, name in WORK.items():
        if has_role(user, role) and (url := reverse(name)) in offered:
            return url
    return items[0][1] if items else reverse("home")
