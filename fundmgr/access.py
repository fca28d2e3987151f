"""Who may do what: every access rule of fundmgr, written once.

A `Rule` is a named function `check(user, obj=None)` that returns None when the person may act and
otherwise the reason they read ("Only a finance officer can do this."). Everything that decides
access is built from these rules and nothing else:

- pages: `@page(read=..., write=...)` on a view checks the rule for the request's method before
  the view runs (a signed-out visitor is sent to sign in), and records the rules on the view so
  that tests/fundmgr/test_access_matrix.py can hold every route of the URLconf against every role;
- the API: `api(read=..., write=...)` makes a DRF permission class from the same rules;
- `/admin/`: `seal_admin` makes every registered admin, ours and third parties', read-only to
  those `writes` refuses, actions included;
- services: `require(rule, user, obj)` raises `NotPermitted` with the rule's reason.

To a person of another council (staff there, nothing here: `of_another_council`) every page and
API route of the council in scope that is not public answers 404, as for what is not there.

The kernel imports no app: the rules about an application or a group reach its relations
(`app.organisation.members`, `app.pledges`) through the object they are given.

Auditors read everything and change nothing, anywhere: `writes` refuses them, and
`AuditorsReadOnly` (middleware) answers 403 to any request from them that could change
something, before a view runs, whatever a view's own rules say.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Subquery, Value
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, JsonResponse

from fundmgr.errors import NotPermitted
from fundmgr.roles import Role, has_role, role_names

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class Rule:
    """A named access rule: `check(user, obj=None)` gives None or the reason a person reads."""

    def __init__(self, check: Callable[..., str | None], name: str | None = None):
        self.check = check
        self.__name__ = name or check.__name__
        self.__doc__ = check.__doc__

    def refusal(self, user, obj=None) -> str | None:
        if user is None or not getattr(user, "is_authenticated", False):
            return "Sign in first."
        return self.check(user, obj)

    def __call__(self, user, obj=None) -> bool:
        return self.refusal(user, obj) is None

    def __repr__(self) -> str:
        return f"<Rule {self.__name__}>"


def rule(check: Callable[..., str | None]) -> Rule:
    return Rule(check)


def either(*rules: Rule, reason: str) -> Rule:
    """Any one of the rules suffices; `reason` is what a person reads when none holds."""

    def check(user, obj=None) -> str | None:
        return None if any(r(user, obj) for r in rules) else reason

    return Rule(check, name="_or_".join(r.__name__ for r in rules))


def require(a_rule: Rule, user, obj=None) -> None:
    """For services: raise NotPermitted with the rule's reason when it does not hold."""
    reason = a_rule.refusal(user, obj)
    if reason is not None:
        raise NotPermitted(reason)


# --- roles ------------------------------------------------------------------------------------


def _role_rule(reason: str, *roles: Role) -> Callable[..., str | None]:
    def check(user, obj=None) -> str | None:
        return None if user.is_superuser or has_role(user, *roles) else reason

    return check


@rule
def signed_in(user, obj=None) -> str | None:
    """Anyone with an account: a group's own pages check the group's membership themselves."""
    return None


@rule
def writes(user, obj=None) -> str | None:
    """Anyone with an account may change things in their own part of fundmgr, except auditors,
    who read everything and change nothing."""
    if has_role(user, Role.AUDITOR) and not user.is_superuser:
        return "Auditors can read everything in fundmgr and change nothing."
    return None


grants_officer = Rule(
    _role_rule("Only a grants officer can do this.", Role.GRANTS_OFFICER), "grants_officer"
)
finance_officer = Rule(
    _role_rule("Only a finance officer can do this.", Role.FINANCE_OFFICER), "finance_officer"
)
administrator = Rule(
    _role_rule("Only an administrator can do this.", Role.ADMINISTRATOR), "administrator"
)
reads_applications = Rule(
    _role_rule(
        "Only grants officers and auditors can see every application.",
        Role.GRANTS_OFFICER,
        Role.AUDITOR,
    ),
    "reads_applications",
)
reads_finance = Rule(
    _role_rule(
        "Only finance officers and auditors can see the finance pages.",
        Role.FINANCE_OFFICER,
        Role.AUDITOR,
    ),
    "reads_finance",
)
reads_every_budget = Rule(
    _role_rule(
        "Only council officers and auditors can see every budget and the ledger.",
        Role.GRANTS_OFFICER,
        Role.FINANCE_OFFICER,
        Role.AUDITOR,
        Role.ADMINISTRATOR,
    ),
    "reads_every_budget",
)
sets_instalments = Rule(
    _role_rule(
        "Only a grants or finance officer can do this.", Role.GRANTS_OFFICER, Role.FINANCE_OFFICER
    ),
    "sets_instalments",
)
reads_grant_payments = Rule(
    _role_rule(
        "Only officers can see a grant's payments.",
        Role.GRANTS_OFFICER,
        Role.FINANCE_OFFICER,
        Role.AUDITOR,
    ),
    "reads_grant_payments",
)
reads_panels = Rule(
    _role_rule(
        "Only grants officers, panel members and auditors can see panels.",
        Role.GRANTS_OFFICER,
        Role.PANEL_MEMBER,
        Role.AUDITOR,
    ),
    "reads_panels",
)
decides = Rule(
    _role_rule(
        "Only a grants officer or a panel member can decide applications.",
        Role.GRANTS_OFFICER,
        Role.PANEL_MEMBER,
    ),
    "decides",
)


@rule
def councillor(user, obj=None) -> str | None:
    """Holds the councillor role, or has ever held a ward (the role may lag an election)."""
    if has_role(user, Role.COUNCILLOR):
        return None
    terms = getattr(user, "_councillor_terms", None)
    if terms is None:
        if user.councillor_terms.exists():
            return None
        # None, remembered for the request as applications' terms_of keeps them: a page asks
        # this of everyone several times (the navigation, the page's own rule).
        user._councillor_terms = terms = []
    if terms:
        return None
    return "Only councillors can see this page."


reads_assessments = either(
    reads_applications,
    decides,
    reason="Only grants officers, panel members and auditors can read assessments.",
)
reads_budgets = either(
    reads_every_budget,
    councillor,
    reason="You have no budgets to see: budgets are for councillors and council officers.",
)
reads_dashboards = either(
    reads_every_budget,
    councillor,
    reason="Only councillors, council officers and auditors can see the dashboards.",
)
staff = Rule(
    _role_rule(
        "Only council staff can do this.",
        Role.GRANTS_OFFICER,
        Role.FINANCE_OFFICER,
        Role.PANEL_MEMBER,
        Role.AUDITOR,
        Role.ADMINISTRATOR,
    ),
    "staff",
)
declares_interests = either(
    councillor,
    staff,
    reason="Only councillors, panel members and council officers declare interests.",
)


# --- an application and its group -------------------------------------------------------------


@rule
def group_member(user, app) -> str | None:
    """`app` is an application, or an organisation."""
    organisation = getattr(app, "organisation", app)
    if organisation.members.filter(pk=user.pk).exists():
        return None
    return f"Only members of {organisation} can do this."


# The name a locked application carries the facts under (`conflict_facts`), with whose they are.
FACTS_OF = "conflict_facts_of"


CONFLICT_FACTS = ("member", "pledged", "assessed", "declared")


def conflict_facts(user, app) -> dict:
    """The four facts `conflict_of_interest` asks, as annotations of the application's own row:
    a service that locks the row can read them in the same query (`lock_application(...,
    facts_for=user)`), and the rule then asks nothing more."""
    return {
        FACTS_OF: Value(user.pk),
        "conflict_member": Exists(
            user._meta.model._default_manager.filter(pk=user.pk, organisations=app.organisation_id)
        ),
        "conflict_pledged": Exists(app.pledges.filter(councillor__user=user, status="pledged")),
        "conflict_assessed": Exists(app.transitions.filter(transition="recommend", by=user)),
        "conflict_declared": Subquery(
            app.declarations.filter(user=user)
            .exclude(kind="non_registrable")
            .order_by("pk")
            .values("kind")[:1]
        ),
    }


def conflict_of_interest(user, app, *, doing: str = "decide") -> str | None:
    """Separation of duties: why this person may not `doing` this application, if they may not.
    Nobody acts as an officer or a panel on a bid of a group they belong to, that they
    supported, or in which they declared an interest; nobody decides a bid they assessed."""
    if getattr(app, FACTS_OF, None) == user.pk:  # read with the row, under its lock
        facts = {k: getattr(app, f"conflict_{k}") for k in CONFLICT_FACTS}
    else:  # the four facts in one query
        facts = (
            type(app)
            ._default_manager.filter(pk=app.pk)
            .values(**{k: v for k, v in conflict_facts(user, app).items() if k != FACTS_OF})
            .first()
        ) or {}
        facts = {k: facts.get(f"conflict_{k}") for k in CONFLICT_FACTS}
    if facts.get("member"):
        return f"You are a member of {app.organisation}, so you cannot {doing} its application."
    if facts.get("pledged"):
        return f"You supported this application, so you cannot {doing} it."
    if doing == "decide" and facts.get("assessed"):
        return "You assessed this application, so someone else must decide it."
    if facts.get("declared"):
        declared = app.declarations.model(kind=facts["declared"])
        kind = declared.get_kind_display().lower()
        article = "an" if kind[0] in "aeiou" else "a"
        return f"You declared {article} {kind} in this application, so you cannot {doing} it."
    return None


@rule
def may_decide(user, app) -> str | None:
    return decides.refusal(user) or conflict_of_interest(user, app, doing="decide")


@rule
def may_check_eligibility(user, app) -> str | None:
    return grants_officer.refusal(user) or conflict_of_interest(
        user, app, doing="check the eligibility of"
    )


@rule
def may_assess(user, app) -> str | None:
    return grants_officer.refusal(user) or conflict_of_interest(user, app, doing="assess")


def refusal_for(method: str, user, read: Rule, write: Rule) -> str | None:
    """Why this person may not make this request, if they may not: `read` for GET, HEAD and
    OPTIONS; for anything else `writes` (auditors change nothing) and then `write`."""
    if method in SAFE_METHODS:
        return read.refusal(user)
    return writes.refusal(user) or write.refusal(user)


@rule
def changes_bank_details(user, organisation) -> str | None:
    """A group's members, or finance (who take details over the phone); never others."""
    if organisation.members.filter(pk=user.pk).exists() or finance_officer(user):
        return None
    return f"Only members of {organisation} or finance can change bank details."


# --- panels -----------------------------------------------------------------------------------


@rule
def takes_the_register(user, meeting) -> str | None:
    if grants_officer(user) or meeting.members.filter(pk=user.pk).exists():
        return None
    return "Only the panel's members or a grants officer can take the register."


@rule
def records_panel_decisions(user, meeting) -> str | None:
    if meeting.panelmembership_set.filter(user=user, attended=True).exists():
        return None
    return "Only a panel member who attended the meeting can record its decision."


# --- another council's people -------------------------------------------------------------------


def of_another_council(user) -> bool:
    """A signed-in person who works for other councils and has no part in the council in scope:
    none of its staff roles, none of its wards, not an applicant (applicants are the whole
    service's: a group may apply to any council) and not the service administrator. To them the
    council's pages, API routes and downloads are not there (404), as nothing of theirs is.
    Asks nothing more of anyone who holds a role here (their roles are read once a request)."""
    from fundmgr import councils

    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    council_id = councils.current_id()
    if council_id is None or role_names(user):
        return False
    held = user.__dict__.get("_councils_held")
    if held is None:
        from fundmgr.models import StaffRole

        with councils.across_the_service():
            held = set(StaffRole.objects.filter(user=user).values_list("council_id", flat=True))
        user.__dict__["_councils_held"] = held
    if not held or council_id in held:
        return False
    return not user.councillor_terms.exists()  # a ward here (the role may lag an election)


NOT_HERE = "There is nothing at this address."


# --- pages --------------------------------------------------------------------------------------


def page(read: Rule, write: Rule | None = None):
    """A view's access rules: `read` for GET and HEAD, `write` for POST and the rest. A page
    with no `write` rule is read-only: any other method is 405. A signed-out visitor is sent to
    sign in; a person the rule refuses gets the 403 page with the rule's reason. Object-level
    rules (is this their group's application?) stay in the view, which answers 404 for what the
    person may not see, exactly as for what does not exist. To a person of another council
    (`of_another_council`) the page is not there: 404, by every method."""

    def decorate(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if of_another_council(request.user):
                raise Http404(NOT_HERE)
            if write is None and request.method not in SAFE_METHODS:
                return HttpResponseNotAllowed(SAFE_METHODS)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            reason = refusal_for(request.method, request.user, read, write or read)
            if reason is not None:
                raise PermissionDenied(reason)
            return view(request, *args, **kwargs)

        wrapped.access = {"read": read, "write": write}  # type: ignore[attr-defined]
        return wrapped

    return decorate


def public(view=None, *, writes: bool = False):
    """A page anyone may see, signed in or not; read-only (405 for POST) unless `writes`."""

    def decorate(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not writes and request.method not in SAFE_METHODS:
                return HttpResponseNotAllowed(SAFE_METHODS)
            return view(request, *args, **kwargs)

        wrapped.access = {"read": None, "write": None if not writes else "anyone"}  # type: ignore[attr-defined]
        return wrapped

    return decorate(view) if view is not None else decorate


def own_account(view):
    """A page about the person's own sign-in (/account/two-factor/...): anyone signed in reads
    and changes their own, auditors included (as `AuditorsReadOnly` lets /account/ through)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.access = {"read": signed_in, "write": signed_in}  # type: ignore[attr-defined]
    return wrapped


# --- the API ------------------------------------------------------------------------------------


def api(read: Rule, write: Rule | None = None):
    """A DRF permission class from the rules: `read` for safe methods, `write` for the rest.
    DRF checks it before the view reads the body, so a person who may not act learns nothing
    about the input's rules or the object's state."""
    from rest_framework.permissions import BasePermission

    write = write or read

    class RulePermission(BasePermission):
        rules = {"read": read, "write": write}

        def has_permission(self, request, view) -> bool:
            if not request.user or not request.user.is_authenticated:
                return False
            if of_another_council(request.user):
                raise Http404(NOT_HERE)
            reason = refusal_for(request.method, request.user, read, write)
            if reason is not None:
                self.message = reason
                return False
            return True

    RulePermission.__name__ = f"Access_{read.__name__}_{write.__name__}"
    return RulePermission


ApiSignedIn = api(signed_in)


# --- auditors, everywhere -----------------------------------------------------------------------

# Addresses where an auditor still acts on their own account, not on the council's data.
OWN_ACCOUNT_PREFIXES = ("/sign-in/", "/sign-out/", "/account/")


class AuditorsReadOnly:
    """Middleware: a request from an auditor that could change something (any method but GET,
    HEAD or OPTIONS) is refused with 403 before any view, page, API route or admin action runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS or request.path.startswith(OWN_ACCOUNT_PREFIXES):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # the API's token users are checked by `api` rules, which use `writes`
        reason = writes.refusal(user)
        if reason is None:
            return None
        if request.path.startswith("/api/"):
            body = {
                "type": "about:blank",
                "title": "Not permitted",
                "status": 403,
                "detail": reason,
            }
            return JsonResponse(body, status=403, content_type="application/problem+json")
        raise PermissionDenied(reason)


_SEALED = ("has_add_permission", "has_change_permission", "has_delete_permission")


def _seal(model_admin) -> None:
    """An admin (or an inline) that lets nobody the `writes` rule refuses add, change or delete
    anything, or run any action, whatever its own methods and the person's permissions say."""
    if getattr(model_admin, "_sealed_by_access", False):
        return
    for name in _SEALED:
        original = getattr(model_admin, name)

        def sealed(request, *args, _original=original, **kwargs):
            return writes(request.user) and _original(request, *args, **kwargs)

        setattr(model_admin, name, sealed)
    if hasattr(model_admin, "get_actions"):  # a ModelAdmin; inlines have none
        get_actions = model_admin.get_actions

        def actions(request, _original=get_actions):
            return _original(request) if writes(request.user) else {}

        model_admin.get_actions = actions
    if hasattr(model_admin, "get_inline_instances"):
        get_inlines = model_admin.get_inline_instances

        def inlines(request, obj=None, _original=get_inlines):
            found = _original(request, obj)
            for inline in found:
                _seal(inline)
            return found

        model_admin.get_inline_instances = inlines
    model_admin._sealed_by_access = True


def seal_admin(site) -> None:
    """Called once the admin is registered (fundmgr.apps): every ModelAdmin of the site, ours and
    third parties' (tokens, lockouts, two-factor devices), read-only to auditors."""
    for model_admin in site._registry.values():
        _seal(model_admin)
