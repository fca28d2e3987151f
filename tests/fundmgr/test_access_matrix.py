"""Every route against every role: the URLconf and the API router, read from the code itself.

A page or API route that is not in the tables below fails `test_every_route_has_a_rule`, so a
new route cannot ship without someone deciding who may use it. Each route is then called, by
each method it answers, as each role of DESIGN.md (signed out, a group's treasurer, a ward
councillor, a panel member, a grants officer, a finance officer, an auditor and an
administrator), on the demo council with the objects the route names, and the answer must be
the one the table gives: allowed (anything but 401, 403, 404, 405 or a redirect to sign in) or
refused. Each call runs in a savepoint that is rolled back, so one call changes nothing for the
next. The auditor's every write is refused, and refused by the rule that auditors change
nothing. A person asking about an object that is not theirs gets exactly the answer (status and
body) they get for one that does not exist.

The demo has two councils, and the matrix runs for each (issue 18): Thornbury Vale's world at the
bare address with every route, and Ashcombe's at /ashcombe/, with its own people and objects,
over a representative subset of the routes (REPRESENTATIVE: the whole table there would
nearly double the module's time). Across councils: every route of Thornbury Vale (the
representative ones of Ashcombe), named with its objects at its address, answers 404 by every
method to the other council's staff and councillor wherever it is not public; and Thornbury
Vale's objects named at Ashcombe's address (Ashcombe's, for the representative routes, at
Thornbury Vale's) are not there (404, the same answer as for nothing) for every role there that
may use the route, that council's own officers and the service administrator included.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import roles_ensure

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ANON, APPLICANT, COUNCILLOR, PANEL, GRANTS, FINANCE, AUDITOR, ADMIN = ROLES = (
    "anonymous",
    "applicant",
    "councillor",
    "panel member",
    "grants officer",
    "finance officer",
    "auditor",
    "administrator",
)
SIGNED_IN = frozenset(ROLES) - {ANON}
EVERYONE = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
WRITERS = SIGNED_IN - {AUDITOR}


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


# Who reads and who writes, as DESIGN.md's roles table says (the administrator is a superuser:
# every role's rules admit them, but they are no member of a group).
OFFICERS_READ = roles(GRANTS, AUDITOR, ADMIN)
OFFICERS_WRITE = roles(GRANTS, ADMIN)
FINANCE_READ = roles(FINANCE, AUDITOR, ADMIN)
FINANCE_WRITE = roles(FINANCE, ADMIN)
BUDGETS_READ = roles(GRANTS, FINANCE, AUDITOR, ADMIN)
PANELS_READ = roles(GRANTS, PANEL, AUDITOR, ADMIN)
GROUP = roles(APPLICANT)
DRAFT_READ = roles(APPLICANT) | OFFICERS_READ


@dataclass(frozen=True)
class Access:
    """Who may GET (HEAD) a route, and who may use each of its other methods."""

    get: frozenset[str] = NOBODY
    post: frozenset[str] = NOBODY
    put: frozenset[str] = NOBODY
    patch: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY


def page(get: frozenset[str], post: frozenset[str] = NOBODY) -> Access:
    return Access(get=get, post=post)


# --- pages ----------------------------------------------------------------------------------

PAGES: dict[str, Access] = {
    "home": page(EVERYONE),
    "favicon": page(EVERYONE),
    "healthz": page(EVERYONE),
    # the person's own account: signing in and out, resetting a password, confirming an address
    # (each answers the same to anyone), and their own two-factor authentication
    "login": page(EVERYONE, EVERYONE),
    "logout": page(NOBODY, EVERYONE),
    "password_reset": page(EVERYONE, EVERYONE),
    "password_reset_done": page(EVERYONE),
    "password_reset_confirm": page(EVERYONE, EVERYONE),
    "password_reset_complete": page(EVERYONE),
    "account_check_email": page(EVERYONE),
    "account_confirm": page(EVERYONE, EVERYONE),
    "two_factor": page(SIGNED_IN, SIGNED_IN),  # the overview ignores a POST
    "two_factor_setup": page(SIGNED_IN, SIGNED_IN),
    "two_factor_code": page(SIGNED_IN, SIGNED_IN),
    "two_factor_recovery_codes": page(SIGNED_IN, SIGNED_IN),
    # an invitation to join a group: its link is the key, so anyone may read it; answering it
    # needs the account it was sent to (others are told why, on the page)
    "applications:invitation": page(EVERYONE, EVERYONE - {AUDITOR}),
    "applications:invitation_revoke": page(NOBODY, GROUP),
    # a community group's pages: the group's own members
    "applications:groups_home": page(EVERYONE),
    "applications:register": page(EVERYONE, EVERYONE - {AUDITOR}),
    "applications:eligibility": page(EVERYONE),
    "applications:eligibility_results": page(EVERYONE),
    "applications:organisation_new": page(SIGNED_IN, WRITERS),
    "applications:organisation": page(GROUP),
    "applications:organisation_edit": page(GROUP, GROUP),
    "applications:organisation_members": page(GROUP, GROUP),
    "applications:bank_details": page(GROUP, GROUP),
    "applications:application_new": page(SIGNED_IN),
    "applications:before_you_start": page(SIGNED_IN, WRITERS),
    **{
        f"applications:{name}": page(GROUP, GROUP)
        for name in (
            "tasks",
            "about",
            "dates",
            "costs",
            "amount",
            "other_funding",
            "documents",
            "check_answers",
            "withdraw",
            "accept_offer",
            "monitoring",
        )
    },
    # buttons on the pages above: POST only
    **{
        f"applications:{name}": page(NOBODY, GROUP)
        for name in ("budget_line_add", "budget_line_remove", "other_funding_remove")
    },
    "applications:document_remove": page(NOBODY, GROUP),
    "applications:status": page(GROUP),
    "applications:confirmation": page(GROUP),
    # the copy of the answers a group sent: the group, and the officers who read every bid
    "applications:answers_copy": page(roles(APPLICANT) | OFFICERS_READ),
    # councillors: bids of their wards, their own budget
    **{
        f"councillor:{name}": page(roles(COUNCILLOR), roles(COUNCILLOR))
        for name in ("support", "decline", "interest", "withdraw", "transfer")
    },
    **{
        f"councillor:{name}": page(roles(COUNCILLOR))
        for name in ("dashboard", "bid", "supported", "transferred")
    },
    # grants officers; auditors read
    "decisions:workbench": page(OFFICERS_READ),
    "decisions:bulk": page(NOBODY, OFFICERS_WRITE),  # a POST only
    "decisions:saved_view_create": page(OFFICERS_WRITE, OFFICERS_WRITE),
    # an officer's own saved view: another (the administrator too) finds none
    "decisions:saved_view_delete": page(NOBODY, roles(GRANTS)),
    "decisions:application": page(OFFICERS_READ),
    "decisions:step": page(OFFICERS_WRITE, OFFICERS_WRITE),
    "decisions:panels": page(PANELS_READ),
    "decisions:panel_create": page(OFFICERS_WRITE, OFFICERS_WRITE),
    "decisions:panel": page(PANELS_READ),
    "decisions:panel_agenda": page(OFFICERS_WRITE, OFFICERS_WRITE),
    "decisions:panel_register": page(roles(GRANTS, PANEL, ADMIN), roles(GRANTS, PANEL, ADMIN)),
    "decisions:panel_item": page(PANELS_READ, roles(GRANTS, PANEL, ADMIN)),
    # budgets: a councillor their own, officers every one
    "budgets:index": page(BUDGETS_READ | roles(COUNCILLOR)),
    "budgets:overview": page(BUDGETS_READ),
    "budgets:statement": page(BUDGETS_READ | roles(COUNCILLOR)),
    # documents: as the thing they are about
    "documents:stored": page(roles(APPLICANT) | BUDGETS_READ),
    "documents:offer_letter": page(roles(APPLICANT) | BUDGETS_READ),
    "documents:decision_notice": page(roles(APPLICANT) | BUDGETS_READ),
    "documents:statement": page(BUDGETS_READ | roles(COUNCILLOR)),
    "documents:panel_pack": page(PANELS_READ),
    # a group's uploads: those who may read the application (a draft: the group and officers)
    "files:attachment": page(roles(APPLICANT) | OFFICERS_READ),
    "files:quote": page(roles(APPLICANT) | OFFICERS_READ),
    "files:organisation_file": page(roles(APPLICANT, COUNCILLOR) | BUDGETS_READ),
    # finance: finance officers act, auditors read
    **{
        f"finance:{name}": page(FINANCE_READ)
        for name in (
            "home",
            "payments",
            "runs",
            "run",
            "bank_waiting",
            "statement",
            "reconciliation",
            "gl_import",
            "reports",
            "report_xlsx",
            "report_pdf",
            "clawback",
            "clawback_letter",
            "bank_reconciliations",
            "bank_reconciliation",
            "bank_reconciliation_xlsx",
            "bank_reconciliation_pdf",
        )
    },
    **{
        f"finance:{name}": page(FINANCE_READ, FINANCE_WRITE)
        for name in ("bank_check", "bank_history", "statements", "gl", "clawback_detail")
    },
    "finance:run_new": page(FINANCE_WRITE, FINANCE_WRITE),
    "finance:bank_reconciliation_new": page(FINANCE_WRITE, FINANCE_WRITE),
    "finance:run_file": page(FINANCE_WRITE),
    "finance:run_check": page(FINANCE_WRITE),
    "finance:run_authorised": page(FINANCE_WRITE),
    **{
        f"finance:{name}": page(NOBODY, FINANCE_WRITE)
        for name in (
            "reissue",
            "run_authorise",
            "run_cancel",
            "line_action",
            "match_undo",
            "clawback_raise",
            "bank_reconciliation_check",
        )
    },
    "finance:grant": page(BUDGETS_READ),
    "finance:instalments": page(roles(GRANTS, FINANCE, ADMIN), roles(GRANTS, FINANCE, ADMIN)),
    "finance:condition": page(roles(GRANTS, FINANCE, ADMIN), roles(GRANTS, FINANCE, ADMIN)),
    # what the public sees
    **{
        f"transparency:{name}": page(EVERYONE)
        for name in (
            "grants",
            "wards",
            "ward",
            "threesixty",
            "threesixty_file",
            "register_file",
        )
    },
    # dashboards: councillors (their wards) and officers
    **{
        f"dashboards:{name}": page(BUDGETS_READ | roles(COUNCILLOR))
        for name in ("index", "dashboard", "download")
    },
    # importing the council's own files: its administrator only
    "imports:index": page(roles(ADMIN), roles(ADMIN)),
    "imports:run": page(roles(ADMIN), roles(ADMIN)),
    "imports:report_csv": page(roles(ADMIN)),
    "imports:sample": page(roles(ADMIN)),
}


# --- the API --------------------------------------------------------------------------------


def api(get=NOBODY, post=NOBODY, put=NOBODY, patch=NOBODY, delete=NOBODY) -> Access:
    return Access(get=get, post=post, put=put, patch=patch, delete=delete)


API: dict[str, Access] = {
    "api:api-root": api(SIGNED_IN),
    "api:schema": api(SIGNED_IN),
    "api:docs": api(SIGNED_IN),
    # reference data: everyone signed in reads
    **{
        f"api:{name}": api(SIGNED_IN)
        for name in (
            "financial-year-list",
            "financial-year-detail",
            "fund-list",
            "fund-detail",
            "fund-year-list",
            "fund-year-detail",
            "ward-list",
            "ward-detail",
            "councillor-list",
            "councillor-detail",
        )
    },
    "api:fund-year-overview": api(BUDGETS_READ),
    "api:budget-list": api(BUDGETS_READ | roles(COUNCILLOR)),
    "api:budget-detail": api(BUDGETS_READ | roles(COUNCILLOR)),
    "api:budget-statement": api(BUDGETS_READ | roles(COUNCILLOR)),
    "api:ledger-transaction-list": api(BUDGETS_READ),
    "api:ledger-transaction-detail": api(BUDGETS_READ),
    # finance
    **{
        f"api:{name}": api(FINANCE_READ)
        for name in (
            "payment-list",
            "payment-detail",
            "statement-detail",
            "statement-line-list",
            "statement-line-detail",
            "match-list",
            "match-detail",
            "payment-run-due",
            "payment-run-detail",
            "bank-account-list",
            "bank-account-detail",
            "clawback-underspends",
            "clawback-detail",
            "gl-import-detail",
            "gl-import-comparison",
            "reconciliation-report-list",
            "reconciliation-report-detail",
            "reconciliation-report-pdf",
            "reconciliation-report-xlsx",
            "bank-reconciliation-detail",
            "bank-reconciliation-xlsx",
            "bank-reconciliation-pdf",
        )
    },
    **{
        f"api:{name}": api(post=FINANCE_WRITE)
        for name in (
            "payment-reissue",
            "statement-line-match",
            "statement-line-restore",
            "statement-line-returned",
            "statement-line-set-aside",
            "match-reconcile",
            "match-undo",
            "payment-run-authorise",
            "payment-run-cancel",
            "bank-account-reject",
            "bank-account-verify",
            "clawback-refunds",
            "bank-reconciliation-check",
        )
    },
    **{
        f"api:{name}": api(FINANCE_READ, FINANCE_WRITE)
        for name in (
            "statement-list",
            "payment-run-list",
            "clawback-list",
            "gl-import-list",
            "bank-reconciliation-list",
        )
    },
    "api:payment-run-bacs": api(FINANCE_WRITE),
    "api:payment-run-finance-csv": api(FINANCE_WRITE),
    "api:payment-schedule-list": api(BUDGETS_READ),
    "api:payment-schedule-detail": api(BUDGETS_READ),
    "api:payment-schedule-condition-met": api(post=roles(GRANTS, FINANCE, ADMIN)),
    "api:payment-schedule-instalments": api(put=roles(GRANTS, FINANCE, ADMIN)),
    # groups
    "api:organisation-list": api(SIGNED_IN, WRITERS),
    "api:organisation-detail": api(roles(APPLICANT) | BUDGETS_READ, patch=GROUP),
    "api:organisation-invitation-list": api(GROUP, GROUP),
    "api:organisation-invitation-revoke": api(post=GROUP),
    "api:invitation-accept": api(post=WRITERS),
    "api:invitation-decline": api(post=WRITERS),
    "api:organisation-bank-details-list": api(GROUP | FINANCE_READ, GROUP | FINANCE_WRITE),
    "api:organisation-member-list": api(GROUP),
    # applications
    "api:application-list": api(SIGNED_IN, WRITERS),
    # a draft: the group and the officers who read every application
    "api:application-detail": api(DRAFT_READ, patch=GROUP),
    "api:application-transitions": api(DRAFT_READ),
    "api:application-budget-lines": api(DRAFT_READ, GROUP),
    "api:application-budget-line-quote": api(DRAFT_READ),
    "api:application-budget-line-remove": api(delete=GROUP),
    "api:application-match-funding": api(DRAFT_READ, GROUP),
    "api:application-match-funding-remove": api(delete=GROUP),
    "api:application-monitoring-reports": api(post=GROUP),
    "api:application-pledges": api(roles(APPLICANT, COUNCILLOR) | OFFICERS_READ, roles(COUNCILLOR)),
    "api:application-decline": api(post=roles(COUNCILLOR)),
    "api:application-pledge-withdraw": api(post=roles(COUNCILLOR)),
    "api:application-declarations": api(
        roles(APPLICANT, COUNCILLOR) | OFFICERS_READ, roles(COUNCILLOR, GRANTS, ADMIN)
    ),
    "api:application-document-list": api(roles(APPLICANT) | BUDGETS_READ),
    "api:document-detail": api(roles(APPLICANT) | BUDGETS_READ),
    # The application is named in the upload's body: who may add to it is known only once the
    # body is read (an upload that is not multipart is 415 first).
    "api:attachment-list": api(SIGNED_IN, WRITERS),
    "api:attachment-detail": api(DRAFT_READ, delete=GROUP),
    "api:attachment-download": api(DRAFT_READ),
    # the transitions: whoever the state machine's permission names (the state may still
    # refuse with 409, which is an answer to someone who may act)
    "api:application-submit": api(post=GROUP),
    "api:application-withdraw": api(post=GROUP | OFFICERS_WRITE),
    "api:application-accept_offer": api(post=GROUP),
    "api:application-endorse": api(post=roles(COUNCILLOR) | OFFICERS_WRITE),
    **{
        f"api:application-{name}": api(post=OFFICERS_WRITE)
        for name in (
            "mark_eligible",
            "mark_ineligible",
            "return_to_applicant",
            "recommend",
            "lapse",
            "close",
            "revoke",
        )
    },
    # A panel member decides only the bids on their panels' agendas: this draft is on none.
    "api:application-approve": api(post=OFFICERS_WRITE),
    "api:application-reject": api(post=OFFICERS_WRITE),
    # decisions
    "api:assessment-list": api(PANELS_READ, OFFICERS_WRITE),
    "api:assessment-detail": api(OFFICERS_READ),  # not on the panel member's agenda
    "api:decision-list": api(SIGNED_IN, OFFICERS_WRITE),
    # an award: its group, officers, and finance who pay it
    "api:decision-detail": api(roles(APPLICANT, COUNCILLOR) | BUDGETS_READ),
    "api:panel-meeting-list": api(PANELS_READ, OFFICERS_WRITE),  # ids in the body: after
    "api:panel-meeting-detail": api(PANELS_READ),
    "api:panel-meeting-attendance": api(post=roles(GRANTS, PANEL, ADMIN)),
    "api:panel-meeting-items": api(post=OFFICERS_WRITE),
    "api:panel-meeting-decision": api(post=roles(PANEL)),
    "api:allocation-transfer-list": api(post=roles(COUNCILLOR)),
}

# Routes outside the two tables, and why: the admin has its own test below; the API's catch-all
# answers 404 to every address it does not know.
UNLISTED = re.compile(r"^(admin:|api:\?$)")


# --- the routes, read from the code ---------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: object
    api: bool


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace + (p.name or "?"), p.callback


def every_route() -> list[Route]:
    found: dict[str, Route] = {}
    for pattern, name, callback in _walk(get_resolver().url_patterns):
        if "(?P<format>" in pattern or UNLISTED.match(name):
            continue
        found.setdefault(name, Route(name, pattern, callback, name.startswith("api:")))
    return sorted(found.values(), key=lambda r: r.name)


ROUTES = every_route()


def test_every_route_has_a_rule():
    """A route added to the URLconf or the router without a row here fails, and a row for a
    route that has gone fails too."""
    names = {r.name for r in ROUTES}
    listed = set(PAGES) | set(API)
    assert sorted(names - listed) == [], (
        "routes with no rule in tests/fundmgr/test_access_matrix.py"
    )
    assert sorted(listed - names) == [], "rules for routes that no longer exist"


def test_every_page_declares_its_access_rules():
    """Each page view carries its rules (fundmgr.access.page or public), so who may see it is
    written where the view is; Django's own sign-in and sign-out views are the exception."""
    undeclared = [
        r.name
        for r in ROUTES
        if not r.api and r.name not in ("login", "logout") and not hasattr(r.callback, "access")
    ]
    assert undeclared == []


def test_every_api_view_takes_its_permission_from_the_access_rules():
    from fundmgr import access

    foreign = []
    for r in ROUTES:
        view_class = getattr(r.callback, "cls", None)
        if view_class is None or r.name in ("api:schema", "api:docs"):
            continue
        for name in (getattr(r.callback, "actions", None) or {}).values():
            action = getattr(view_class, name, None)
            kwargs = getattr(action, "kwargs", {}) or {}
            classes = kwargs.get("permission_classes", view_class.permission_classes)
            if not classes or not all(
                getattr(c, "rules", None) is not None or c is access.ApiSignedIn for c in classes
            ):
                foreign.append(f"{r.name}.{name}: {classes}")
    assert foreign == []


# --- the world the routes are called in -----------------------------------------------------


@dataclass
class World:
    people: dict[str, object]
    stranger: object
    kwargs: dict[str, dict]
    prefix: str = ""  # where the council is served: "" (the default council) or "/ashcombe"
    council: object = None
    staff: tuple = ()  # the council's own staff and a councillor, for the other council's check


@dataclass(frozen=True)
class Town:
    """A council of the demo: who plays each role there, and what is its own."""

    slug: str
    prefix: str
    people: dict[str, str]
    bank_account: str
    # Its staff (its own administrator, not the service's) and a councillor: for the check that
    # another council's people find nothing at this council.
    staff: tuple[str, ...]


TOWNS = {
    "thornbury-vale": Town(
        slug="thornbury-vale",
        prefix="",  # settings.DEFAULT_COUNCIL: the bare address
        people={
            APPLICANT: "treasurer",
            COUNCILLOR: "cllr.shaw",
            PANEL: "panel",
            GRANTS: "officer",
            FINANCE: "finance",
            AUDITOR: "auditor",
            ADMIN: "admin",
        },
        bank_account="30-99-50 10203040",
        staff=("officer", "finance", "auditor", "panel", "cllr.shaw"),
    ),
    "ashcombe": Town(
        slug="ashcombe",
        prefix="/ashcombe",
        people={
            APPLICANT: "ashcombe.treasurer",
            COUNCILLOR: "ashcombe.cllr.reed",
            PANEL: "ashcombe.panel",
            GRANTS: "ashcombe.officer",
            FINANCE: "ashcombe.finance",
            AUDITOR: "ashcombe.auditor",
            ADMIN: "admin",  # the service administrator: every council's
        },
        bank_account="30-99-50 55667788",
        staff=(
            "ashcombe.admin",
            "ashcombe.officer",
            "ashcombe.finance",
            "ashcombe.auditor",
            "ashcombe.panel",
            "ashcombe.cllr.reed",
        ),
    ),
}
COUNCILS = list(TOWNS)


def _first(queryset, what: str):
    found = queryset.first()
    assert found is not None, f"the demo has no {what}"
    return found


def _statement_of_payments(account: str) -> bytes:
    """A bank statement (the demo's own layout, fixtures/demo-statement.csv) of the payments the
    council in scope has sent: for a council whose payments the fixture does not hold."""
    from budgets.models import Payment

    sent = list(
        Payment.objects.filter(run__status="authorised")
        .select_related("run")
        .order_by("run__pay_date", "pk")
    )
    assert sent, "the council has sent no payment"
    balance = Decimal("250000.00")
    lines = ["Date,Type,Description,Paid out,Paid in,Balance"]
    for payment in sent:
        balance -= payment.amount
        lines.append(
            f"{payment.run.pay_date:%d/%m/%Y},BACS,BACS {payment.reference} GRANT,"
            f'"£{payment.amount:,.2f}",,"£{balance:,.2f}"'
        )
    return ("\n".join(lines) + "\n").encode("cp1252")


def _build_world(town: Town, council) -> World:
    from applications.models import (
        Application,
        Attachment,
        BudgetLine,
        MatchFunding,
        Organisation,
    )
    from budgets.models import (
        Account,
        Clawback,
        Councillor,
        FundYear,
        GLImport,
        LedgerTransaction,
        Match,
        Payment,
        PaymentFile,
        PaymentRun,
        PaymentSchedule,
        Statement,
        StatementLine,
        Ward,
    )
    from decisions.models import Assessment, Decision, PanelMeeting

    User = get_user_model()
    people = {ANON: None, **{r: User.objects.get(username=u) for r, u in town.people.items()}}
    treasurer = people[APPLICANT]
    shaw = Councillor.objects.get(user=people[COUNCILLOR])
    orgs = Organisation.objects.filter(members=treasurer).order_by("pk")
    org = _first(orgs, "group of the treasurer's")
    stranger = _first(
        User.objects.filter(groups__name="Applicant").exclude(organisations__in=orgs).distinct(),
        "applicant of another group",
    )
    mine = Application.objects.filter(organisation__in=orgs)
    draft = _first(mine.filter(status="draft"), "draft of the treasurer's")
    # A draft with one of everything a group adds, so each route has something to name.
    line = BudgetLine.objects.create(application=draft, item="Water butts", cost="100.00")
    line.quote.save("quote.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    source = MatchFunding.objects.create(
        application=draft, source="Parish council", amount="50.00", secured=True
    )
    attachment = Attachment(
        application=draft,
        description="Constitution",
        size=15,
        content_type="application/pdf",
        uploaded_by=treasurer,
    )
    attachment.file.save("constitution.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    org.governing_document.save("rules.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    bid = _first(
        Application.objects.filter(status="awaiting_support", pledges__councillor=shaw),
        "bid Cllr Shaw supports",
    )
    pledge = bid.pledges.get(councillor=shaw)
    decided = _first(
        Decision.objects.filter(application__in=mine, outcome="approve"),
        "approval of the treasurer's",
    )
    meeting = _first(PanelMeeting.objects.filter(members=people[PANEL]), "panel with a member")
    fund_year = _first(
        FundYear.objects.filter(funded_from="allocations", year__label="2026/27"),
        "fund year paid from allocations",
    )
    schedule = _first(
        PaymentSchedule.objects.filter(reference__in=mine.values("reference")), "schedule"
    )
    payment = _first(Payment.objects.filter(schedule=schedule), "payment")
    run = _first(PaymentRun.objects.order_by("-pk"), "payment run")
    run_file = _first(PaymentFile.objects.filter(run=run), "payment file")
    # What a finance officer brings in: the demo's bank statement and a general-ledger export,
    # and a clawback where a group has reported an underspend.
    from budgets import gl, reconcile
    from budgets.statement_files import PRESETS

    here = Path(settings.BASE_DIR)
    reconcile.statement_import(
        content=(here / "fixtures" / "demo-statement.csv").read_bytes()
        if town.slug == "thornbury-vale"
        else _statement_of_payments(town.bank_account),
        filename="demo-statement.csv",
        by=people[FINANCE],
        layout=PRESETS["albion"],
    )
    gl_export = (here / "tests" / "data" / "gl" / "gl-export.csv").read_bytes()
    if town.slug != "thornbury-vale":  # its own cost code: a file of its own
        gl_export = gl_export.replace(b"R4410-7310", b"A3100-4410")
    gl.gl_import(
        content=gl_export,
        filename="gl-export.csv",
        by=people[FINANCE],
    )
    from finance import clawbacks

    owed = clawbacks.underspends()
    if owed and not Clawback.objects.exists():
        clawbacks.clawback_raise(application=owed[0].application, by=people[FINANCE])
    statement = _first(Statement.objects.all(), "statement")
    line_ = _first(StatementLine.objects.filter(statement=statement), "statement line")
    match = _first(Match.objects.all(), "match")
    gl_import = _first(GLImport.objects, "general-ledger import")
    clawback = _first(Clawback.objects, "clawback")
    # A bank reconciliation another finance officer prepared, waiting to be checked.
    from django.utils import timezone

    from finance.models import BankReconciliation
    from tests.factories import UserFactory

    zero = Decimal("0.00")
    bank_reconciliation = BankReconciliation.objects.create(
        account=town.bank_account,
        as_at=fund_year.year.start,
        opening_date=fund_year.year.start,
        **{
            name: zero
            for name in (
                "opening_balance",
                "statement_balance",
                "unpresented_total",
                "uncleared_receipts_total",
                "expected_refunds_total",
                "unexplained_total",
                "payments_total",
                "refunds_total",
                "returns_total",
                "other_items_total",
                "cash_book_balance",
                "difference",
            )
        },
        statement_balance_source="Made for the access matrix.",
        prepared_by=UserFactory(username=f"{town.slug}.preparer", roles=["Finance officer"]),
        prepared_at=timezone.now(),
    )
    from decisions import documents

    stored = documents.decision_notice(decision=decided, by=people[GRANTS])
    ward = _first(Ward.objects.order_by("pk"), "ward")
    bank = org.bank_accounts.order_by("-pk").first()
    year_start = fund_year.year.start.year
    app_args = {"pk": draft.pk}
    # An invitation the treasurer sent, waiting for an answer.
    from applications import group_services

    invitation, invitation_token = group_services.member_invite(
        organisation=org,
        email="new.member@example.org",
        role="member",
        by=treasurer,
        site="http://testserver",
    )
    # A transfer Cllr Shaw made to a ward colleague, for the page that confirms it.
    from budgets import ledger

    transfer_key = f"6f1c2a3e-0000-4000-8000-00000000000{COUNCILS.index(town.slug) + 1}"
    colleague = _first(
        Councillor.objects.filter(ward=shaw.ward).exclude(pk=shaw.pk), "ward colleague"
    )
    ledger.allocation_transfer(
        fund_year=fund_year,
        from_councillor=shaw,
        to_councillor=colleague,
        amount=Decimal("1.00"),
        by=people[COUNCILLOR],
        key=f"transfer:{transfer_key}",
    )
    budget = _first(
        Account.objects.filter(kind="allocation", councillor=shaw, fund_year=fund_year),
        "Cllr Shaw's allocation",
    )
    one = {"pk": draft.pk}
    from decisions.models import SavedView

    saved_view = SavedView.objects.create(officer=people[GRANTS], name="Mine", query="")
    # A check of a file, kept (its file let go: "Import these rows" finds nothing to import).
    from fundmgr import imports
    from fundmgr.models import ImportRun

    if not imports.importers():  # before any app has one: the framework's test importer
        from tests.fundmgr.test_imports import TinyWardsImporter

        imports.register(TinyWardsImporter)
    kind = next(iter(imports.importers()))
    import_run = ImportRun.objects.create(
        kind=kind,
        filename="wards.csv",
        sha256="0" * 64,
        dry_run=True,
        refused=False,
        counts={"create": 1},
        report="row,action,column,value,reason,record\r\n2,create,,,,Ward Abbey\r\n",
        by=people[ADMIN],
    )
    kwargs = {
        "imports:run": {"pk": import_run.pk},
        "imports:report_csv": {"pk": import_run.pk},
        "imports:sample": {"kind": kind},
        "applications:organisation": {"pk": org.pk},
        "applications:organisation_edit": {"pk": org.pk},
        "applications:organisation_members": {"pk": org.pk},
        "applications:bank_details": {"pk": org.pk},
        "applications:before_you_start": {"fund_year": draft.fund_year_id},
        "applications:budget_line_remove": {"pk": draft.pk, "line": line.pk},
        "applications:other_funding_remove": {"pk": draft.pk, "source": source.pk},
        "applications:document_remove": {"pk": draft.pk, "document": attachment.pk},
        "applications:confirmation": {"pk": draft.pk, "what": "submitted"},
        "applications:answers_copy": {"pk": decided.application_id},
        **{
            f"applications:{n}": app_args
            for n in (
                "status",
                "tasks",
                "about",
                "dates",
                "costs",
                "amount",
                "budget_line_add",
                "other_funding",
                "documents",
                "check_answers",
                "withdraw",
                "accept_offer",
                "monitoring",
            )
        },
        **{
            f"councillor:{n}": {"reference": bid.reference}
            for n in ("bid", "support", "supported", "decline", "interest", "withdraw")
        },
        "councillor:transferred": {"key": transfer_key},
        "applications:invitation": {"token": invitation_token},
        "applications:invitation_revoke": {"pk": org.pk, "invitation": invitation.pk},
        "api:organisation-invitation-revoke": {"organisation_pk": org.pk, "pk": invitation.pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "account_confirm": {"uidb64": "MQ", "token": "not-a-token"},
        "decisions:application": {"reference": bid.reference},
        "decisions:step": {"reference": bid.reference, "slug": "eligibility"},
        "decisions:panel": {"pk": meeting.pk},
        "decisions:panel_agenda": {"pk": meeting.pk},
        "decisions:panel_register": {"pk": meeting.pk},
        "decisions:panel_item": {"pk": meeting.pk, "position": 1},
        "decisions:saved_view_delete": {"pk": saved_view.pk},
        "budgets:overview": {"code": fund_year.fund.code, "year": year_start},
        "budgets:statement": {
            "code": fund_year.fund.code,
            "year": year_start,
            "councillor": shaw.pk,
        },
        "documents:stored": {"pk": stored.pk},
        "documents:offer_letter": {"reference": decided.application.reference},
        "documents:decision_notice": {
            "reference": decided.application.reference,
            "decision": decided.pk,
        },
        "documents:statement": {
            "code": fund_year.fund.code,
            "year": year_start,
            "councillor": shaw.pk,
        },
        "documents:panel_pack": {"pk": meeting.pk},
        "files:attachment": {"pk": attachment.pk},
        "files:quote": {"pk": line.pk},
        "files:organisation_file": {"pk": org.pk, "kind": "governing-document"},
        "finance:condition": {"pk": payment.pk},
        "finance:reissue": {"pk": payment.pk},
        "finance:grant": {"reference": schedule.reference},
        "finance:instalments": {"reference": schedule.reference},
        "finance:run": {"pk": run.pk},
        "finance:run_authorise": {"pk": run.pk},
        "finance:run_check": {"pk": run.pk},
        "finance:run_authorised": {"pk": run.pk},
        "finance:run_cancel": {"pk": run.pk},
        "finance:run_file": {"pk": run.pk, "kind": run_file.kind},
        "finance:bank_check": {"pk": bank.pk if bank else 1},
        "finance:bank_history": {"pk": org.pk},
        "finance:statement": {"pk": statement.pk},
        "finance:line_action": {"pk": line_.pk, "action": "set-aside"},
        "finance:match_undo": {"pk": match.pk},
        "finance:gl_import": {"pk": gl_import.pk},
        "finance:report_xlsx": {"start": year_start},
        "finance:report_pdf": {"start": year_start},
        "finance:clawback_raise": {"reference": decided.application.reference},
        "finance:clawback_detail": {"pk": clawback.pk},
        "finance:clawback_letter": {"pk": clawback.pk},
        **{
            f"finance:{name}": {"pk": bank_reconciliation.pk}
            for name in (
                "bank_reconciliation",
                "bank_reconciliation_check",
                "bank_reconciliation_xlsx",
                "bank_reconciliation_pdf",
            )
        },
        **{
            f"api:bank-reconciliation-{name}": {"pk": bank_reconciliation.pk}
            for name in ("detail", "check", "xlsx", "pdf")
        },
        "transparency:ward": {"gss_code": ward.gss_code},
        "transparency:threesixty_file": {"year": "all", "format": "json"},
        "transparency:register_file": {"year": "all"},
        "dashboards:dashboard": {"slug": "spend"},
        "dashboards:download": {"slug": "spend"},
        # the API
        "api:financial-year-detail": {"pk": fund_year.year_id},
        "api:fund-detail": {"pk": fund_year.fund_id},
        "api:fund-year-detail": {"pk": fund_year.pk},
        "api:fund-year-overview": {"pk": fund_year.pk},
        "api:ward-detail": {"pk": ward.pk},
        "api:councillor-detail": {"pk": shaw.pk},
        "api:budget-detail": {"pk": budget.pk},
        "api:budget-statement": {"pk": budget.pk},
        "api:ledger-transaction-detail": {"pk": _first(LedgerTransaction.objects, "posting").pk},
        "api:payment-detail": {"pk": payment.pk},
        "api:payment-reissue": {"pk": payment.pk},
        "api:statement-detail": {"pk": statement.pk},
        **{
            f"api:statement-line-{n}": {"pk": line_.pk}
            for n in ("detail", "match", "restore", "returned", "set-aside")
        },
        "api:match-detail": {"pk": match.pk},
        "api:match-undo": {"pk": match.pk},
        **{f"api:organisation-{n}": {"pk": org.pk} for n in ("detail",)},
        "api:organisation-invitation-list": {"organisation_pk": org.pk},
        "api:organisation-bank-details-list": {"organisation_pk": org.pk},
        "api:organisation-member-list": {"organisation_pk": org.pk},
        "api:attachment-detail": {"pk": attachment.pk},
        "api:attachment-download": {"pk": attachment.pk},
        **{
            f"api:application-{n}": one
            for n in (
                "detail",
                "transitions",
                "budget-lines",
                "match-funding",
                "monitoring-reports",
                "submit",
                "withdraw",
                "accept_offer",
                "mark_eligible",
                "mark_ineligible",
                "return_to_applicant",
                "recommend",
                "lapse",
                "close",
                "revoke",
                "approve",
                "reject",
            )
        },
        **{
            f"api:application-{n}": {"pk": bid.pk}
            for n in ("pledges", "decline", "declarations", "endorse")
        },
        "api:application-pledge-withdraw": {"pk": bid.pk, "pledge_id": pledge.pk},
        "api:application-budget-line-quote": {"pk": draft.pk, "line_id": line.pk},
        "api:application-budget-line-remove": {"pk": draft.pk, "line_id": line.pk},
        "api:application-match-funding-remove": {"pk": draft.pk, "source_id": source.pk},
        "api:application-document-list": {"application_pk": decided.application_id},
        "api:document-detail": {"pk": stored.pk},
        "api:payment-run-detail": {"pk": run.pk},
        "api:payment-run-authorise": {"pk": run.pk},
        "api:payment-run-cancel": {"pk": run.pk},
        "api:payment-run-bacs": {"pk": run.pk},
        "api:payment-run-finance-csv": {"pk": run.pk},
        "api:assessment-detail": {"pk": _first(Assessment.objects, "assessment").pk},
        "api:decision-detail": {"pk": decided.pk},
        "api:panel-meeting-detail": {"pk": meeting.pk},
        "api:panel-meeting-attendance": {"pk": meeting.pk},
        "api:panel-meeting-items": {"pk": meeting.pk},
        "api:panel-meeting-decision": {"pk": meeting.pk, "position": 1},
        "api:bank-account-detail": {"pk": bank.pk if bank else 1},
        "api:bank-account-reject": {"pk": bank.pk if bank else 1},
        "api:bank-account-verify": {"pk": bank.pk if bank else 1},
        "api:payment-schedule-detail": {"reference": schedule.reference},
        "api:payment-schedule-condition-met": {"reference": schedule.reference, "number": 1},
        "api:payment-schedule-instalments": {"reference": schedule.reference},
        "api:clawback-detail": {"pk": clawback.pk},
        "api:clawback-refunds": {"pk": clawback.pk},
        "api:gl-import-detail": {"pk": gl_import.pk},
        "api:gl-import-comparison": {"pk": gl_import.pk},
        **{
            f"api:reconciliation-report-{n}": {"year": year_start}
            for n in ("detail", "pdf", "xlsx")
        },
    }
    staff = tuple(User.objects.get(username=u) for u in town.staff)
    return World(people, stranger, kwargs, prefix=town.prefix, council=council, staff=staff)


def constraints_checked_now() -> None:
    """The world's deferred foreign keys checked now, once, in the module's transaction. Left
    pending, each test's teardown (Django's TestCase checks constraints before it rolls back)
    checks them again inside the test's savepoint, whose rollback leaves them pending for the
    next: 0.3 s of every one of the module's 938 tests."""
    from django.db import connection

    connection.check_constraints()


@pytest.fixture(scope="module")
def world_media(tmp_path_factory):
    return tmp_path_factory.mktemp("world-media")


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(settings, world_media):
    """The world's uploads and documents live for the module, as the world does."""
    settings.MEDIA_ROOT = world_media


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, world_media):
    """The demo's councils, loaded once for the module and rolled back after it: a world of
    each council's people and objects, each made in its council's scope."""
    from fundmgr import councils
    from fundmgr.models import Council

    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=world_media),
        transaction.atomic(),
    ):
        roles_ensure()
        call_command("loaddemo", stdout=io.StringIO(), stderr=io.StringIO())
        built = {}
        for slug, town in TOWNS.items():
            council = Council.objects.get(slug=slug)
            with councils.acting_for(council):
                built[slug] = _build_world(town, council)
        constraints_checked_now()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def world(worlds):
    """Thornbury Vale's world, at the bare address."""
    return worlds["thornbury-vale"]


def _url(route: Route, kwargs: dict, prefix: str = "") -> str:
    """The route's address with the world's objects in it, at the council's address."""
    from django.urls import reverse

    return prefix + reverse(route.name, kwargs=kwargs)


def _call(client: Client, method: str, url: str, api: bool):
    """One request in a savepoint that is rolled back: it changes nothing for the next."""
    extra = {"content_type": "application/json", "data": "{}"} if api and method != "get" else {}
    if method == "put" or method == "patch":
        extra["HTTP_IF_MATCH"] = '"0"'
    with transaction.atomic():
        response = getattr(client, method)(url, **extra)
        transaction.set_rollback(True)
    if hasattr(response, "streaming_content"):
        response.content_bytes = b"".join(response.streaming_content)
    else:
        response.content_bytes = response.content
    return response


def _allowed(response, route: Route) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return False
    if response.status_code == 302 and "/sign-in/" in response["Location"]:
        return route.name == "logout"  # signing out ends on the sign-in page
    return True


def _methods(route: Route) -> list[str]:
    actions = getattr(route.callback, "actions", None)
    if actions:
        return sorted(set(actions) - {"head", "options"})
    if route.api:
        return ["get"]
    return ["get", "post"]


def _client_for(person) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


# The second council's own matrix runs over a representative subset of the routes, to keep the
# module's time modest (the whole table there would nearly double it): a page and an API
# route of each area, every kind of download, and the shared profiles' pages.
REPRESENTATIVE = {
    "applications:organisation",
    "applications:tasks",
    "applications:status",
    "applications:answers_copy",
    "councillor:dashboard",
    "councillor:bid",
    "councillor:support",
    "decisions:workbench",
    "decisions:application",
    "decisions:panel",
    "decisions:panel_item",
    "budgets:overview",
    "budgets:statement",
    "documents:stored",
    "documents:offer_letter",
    "documents:statement",
    "documents:panel_pack",
    "files:attachment",
    "files:organisation_file",
    "finance:run",
    "finance:run_file",
    "finance:bank_waiting",
    "finance:bank_check",
    "finance:bank_history",
    "finance:statement",
    "finance:report_pdf",
    "finance:clawback_letter",
    "finance:bank_reconciliation_pdf",
    "finance:instalments",
    "transparency:ward",
    "dashboards:download",
    "api:application-list",
    "api:application-detail",
    "api:organisation-detail",
    "api:organisation-bank-details-list",
    "api:bank-account-list",
    "api:payment-run-bacs",
    "api:statement-detail",
    "api:document-detail",
    "api:budget-statement",
    "api:ledger-transaction-list",
    "api:reconciliation-report-pdf",
}
SECOND = COUNCILS[1]


def _cases(routes) -> list:
    """Every route for the first council, the representative ones for the second."""
    return [(r, COUNCILS[0]) for r in routes] + [
        (r, SECOND) for r in routes if r.name in REPRESENTATIVE
    ]


CASES = _cases(ROUTES)


@pytest.mark.parametrize(("route", "council"), CASES, ids=[f"{slug}-{r.name}" for r, slug in CASES])
def test_each_role_gets_the_answer_the_table_gives(route, council, worlds):
    world = worlds[council]
    rules = (API if route.api else PAGES)[route.name]
    url = _url(route, world.kwargs.get(route.name, {}), world.prefix)
    wrong = []
    for role in ROLES:
        client = _client_for(world.people[role])
        for method in _methods(route):
            expected = role in getattr(rules, method if method != "head" else "get")
            response = _call(client, method, url, route.api)
            if _allowed(response, route) != expected:
                wrong.append(
                    f"{role} {method.upper()} {url}: {response.status_code} "
                    f"{response.content_bytes[:160]!r}, expected "
                    f"{'allowed' if expected else 'refused'}"
                )
            own_account = route.name in ("login", "logout") or route.pattern.startswith("account/")
            if method != "get" and role == AUDITOR and not own_account:
                if response.status_code != 403:
                    wrong.append(f"auditor {method.upper()} {url}: {response.status_code}")
            if (
                role == ANON
                and not expected
                and route.api
                and route.name != "api:docs"  # a page for people: sent to sign in
                and response.status_code != 401
            ):
                wrong.append(f"anonymous {method.upper()} {url}: {response.status_code}, not 401")
    assert not wrong, "\n".join(wrong)


MISSING = {int: 987654321, str: "CCIF26-987654"}
CHOICES = ("kind", "slug", "what", "action", "format", "year", "code", "start", "token", "uidb64")
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"|csrftoken=[^;]*')


def _as_missing(kwargs: dict) -> dict:
    """The same address with every object it names replaced by one that does not exist."""
    out = {}
    for key, value in kwargs.items():
        if key in CHOICES:
            out[key] = value  # a choice, not an object
        elif key == "key":
            out[key] = "00000000-0000-4000-8000-000000000000"  # a transfer's idempotency key
        elif key == "number":
            out[key] = 9999  # an instalment's number: at most four digits
        else:
            out[key] = MISSING[type(value)] if type(value) in MISSING else value
    return out


PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")
OBJECT_ROUTES = [
    r
    for r in ROUTES
    if any((a or b) not in CHOICES for a, b in PLACEHOLDER.findall(r.pattern))
    and not r.name.startswith("password_reset")
]


OBJECT_CASES = _cases(OBJECT_ROUTES)


@pytest.mark.parametrize(
    ("route", "council"), OBJECT_CASES, ids=[f"{slug}-{r.name}" for r, slug in OBJECT_CASES]
)
def test_not_yours_is_answered_as_not_there(route, council, worlds):
    """Someone who may not see an object (the treasurer of another group) gets, for it, exactly
    the status and body they get for an object that does not exist: nothing tells them it is
    there."""
    world = worlds[council]
    kwargs = world.kwargs.get(route.name)
    if not kwargs or _as_missing(kwargs) == kwargs:
        pytest.fail(f"{route.name}: the world names no object for this route")
    client = _client_for(world.stranger)
    for method in _methods(route):
        theirs = _call(client, method, _url(route, kwargs, world.prefix), route.api)
        if _allowed(theirs, route):
            continue  # public, or theirs to use too: nothing to hide
        missing = _call(client, method, _url(route, _as_missing(kwargs), world.prefix), route.api)
        assert theirs.status_code == missing.status_code, (method, route.name)
        assert CSRF.sub(b"", theirs.content_bytes) == CSRF.sub(b"", missing.content_bytes), (
            method,
            route.name,
        )


def _snapshot() -> tuple:
    """Every table's row count, every balance and every application's state and version."""
    from django.apps import apps

    from applications.models import Application
    from budgets.models import Account

    return (
        {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.managed},
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        list(Application.objects.order_by("pk").values_list("pk", "status", "version")),
    )


@pytest.mark.parametrize("council", COUNCILS)
def test_the_auditor_writes_nothing_anywhere(council, worlds):
    """Every route and method that changes anything, called for real (no savepoint) as the
    auditor: each is refused with the auditors' rule, and not one row of the database differs
    afterwards."""
    world = worlds[council]
    client = _client_for(world.people[AUDITOR])
    before = _snapshot()
    answers = []
    for route in ROUTES:
        if route.pattern.startswith("account/") or route.name in ("login", "logout"):
            continue  # their own sign-in, not the council's data
        url = _url(route, world.kwargs.get(route.name, {}), world.prefix)
        for method in _methods(route):
            if method == "get":
                continue
            extra = {"content_type": "application/json", "data": "{}"} if route.api else {}
            response = getattr(client, method)(url, **extra)
            answers.append((route.name, method, response.status_code))
    assert answers, "no write routes found"
    assert [a for a in answers if a[2] != 403] == []
    assert _snapshot() == before


@pytest.mark.parametrize("council", COUNCILS)
def test_the_header_offers_each_role_only_pages_it_may_open(council, worlds):
    from fundmgr import councils
    from fundmgr.navigation import nav_items

    world = worlds[council]
    offered = {}
    for role in sorted(SIGNED_IN):
        person = world.people[role]
        client = _client_for(person)
        with councils.acting_for(world.council):
            items = nav_items(person)
        offered[role] = [label for label, _, _ in items]
        for label, url, _ in items:
            response = _call(client, "get", world.prefix + url, api=False)
            assert _allowed(response, Route("", url, None, False)), (role, label, url)
    assert offered[AUDITOR] == ["Workbench", "Panels", "Budgets", "Dashboards", "Finance"]
    assert offered[COUNCILLOR] == ["Bids and support", "Budgets", "Dashboards"]
    assert offered[APPLICANT] == ["Your applications"]


# --- one council's people at another council --------------------------------------------------

OWN_ACCOUNT = ("login", "logout", "healthz", "favicon")


def _public(route: Route, method: str) -> bool:
    """Everyone's, a council's people or not, by every method (a public page answers a POST it
    does not take with 405 to everyone): what the table lets a signed-out visitor use, and the
    person's own sign-in and account."""
    if route.name in OWN_ACCOUNT or route.pattern.startswith("account/"):
        return True
    rules = (API if route.api else PAGES)[route.name]
    return ANON in rules.get or ANON in getattr(rules, method)


# Each council's routes, named with its objects at its address, called by the other's people:
# the first council's every route, the second's representative ones. Each route is called by one
# of the other council's people in turn (every one of them calls some forty routes), by every
# method: what answers 404 does so before any rule of a role, so the person matters less than
# the route.
ACROSS = [(r, COUNCILS[0], SECOND) for r in ROUTES] + [
    (r, SECOND, COUNCILS[0]) for r in ROUTES if r.name in REPRESENTATIVE
]


@pytest.mark.parametrize(
    ("route", "home", "away"), ACROSS, ids=[f"{h}-by-{a}-{r.name}" for r, h, a in ACROSS]
)
def test_another_councils_people_find_nothing_there(route, home, away, worlds):
    """Each staff role of the other council (its administrator, grants and finance officers, its
    auditor and panel member) and its councillor, at this council's address with this
    council's objects: 404 by every method, wherever the route is not public. Nothing tells
    them whether anything is there."""
    world, others = worlds[home], worlds[away]
    url = _url(route, world.kwargs.get(route.name, {}), world.prefix)
    wrong = []
    turn = ROUTES.index(route) % len(others.staff)
    for person in [others.staff[turn]]:
        client = _client_for(person)
        for method in _methods(route):
            if _public(route, method):
                continue
            response = _call(client, method, url, route.api)
            if response.status_code != 404:
                wrong.append(
                    f"{person.username} {method.upper()} {url}: {response.status_code} "
                    f"{response.content_bytes[:160]!r}"
                )
    assert not wrong, "\n".join(wrong)


# The first council's objects named at the second council's address (and the second's, for the
# representative routes, at the first's).
# Objects that are no council's: the financial years (dates only, the same for every council).
# (An invitation to join a group is named by its token, not an object: OBJECT_ROUTES leaves it.)
SHARED = {"api:financial-year-detail"}
ELSEWHERE = [(route, COUNCILS[0], SECOND) for route in OBJECT_ROUTES if route.name not in SHARED]
ELSEWHERE += [
    (route, SECOND, COUNCILS[0])
    for route in OBJECT_ROUTES
    if route.name in REPRESENTATIVE and route.name not in SHARED
]


@pytest.mark.parametrize(
    ("route", "home", "away"), ELSEWHERE, ids=[f"{h}-at-{a}-{r.name}" for r, h, a in ELSEWHERE]
)
def test_a_councils_objects_are_not_there_at_another_councils_address(route, home, away, worlds):
    """This council's objects (its pks, references, codes) at the other council's address
    (`/ashcombe/...` with Thornbury Vale's): for each role there that may use the route (for
    its own council's objects), the other council's own officers and the service
    administrator included, 404, and exactly the answer (status and body) for an object that
    does not exist. (The roles the route refuses are refused by its rule before any object is
    read: `test_not_yours_is_answered_as_not_there` holds that answer to the one for nothing.)"""
    world, there = worlds[home], worlds[away]
    kwargs = world.kwargs[route.name]
    url = _url(route, kwargs, there.prefix)
    missing_url = _url(route, _as_missing(kwargs), there.prefix)
    rules = (API if route.api else PAGES)[route.name]
    wrong = []
    for role in sorted(SIGNED_IN):
        methods = [m for m in _methods(route) if role in getattr(rules, m)]
        client = _client_for(there.people[role]) if methods else None
        for method in methods:
            theirs = _call(client, method, url, route.api)
            missing = _call(client, method, missing_url, route.api)
            same = theirs.status_code == missing.status_code and CSRF.sub(
                b"", theirs.content_bytes
            ) == CSRF.sub(b"", missing.content_bytes)
            if not same or theirs.status_code != 404:
                wrong.append(
                    f"{role} {method.upper()} {url}: {theirs.status_code} "
                    f"{theirs.content_bytes[:160]!r}, not there: {missing.status_code}"
                )
    assert not wrong, "\n".join(wrong)


def test_the_objects_shared_by_every_council_are_routes_that_exist():
    """SHARED names routes the cross-council check leaves out on purpose: each must still be a
    route with an object in it, so a renamed route cannot drop out of the check unseen."""
    named = {route.name for route in OBJECT_ROUTES}
    assert SHARED <= named, SHARED - named
