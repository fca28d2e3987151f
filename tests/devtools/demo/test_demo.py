"""The demo: two councils on one service, built through the real services. Thornbury Vale (about
150 applications in every state) is read in its own scope, as its staff see it; Ashcombe is
smaller, and nothing of one council's is in the other's scope. Its published data (a 360Giving
file that validates, dashboards that add up to the ledger, nothing public naming a person), its
payments and bank statement, and its kept summaries, which equal a recount.

One module, so that the demo is loaded once for all of them (tests/devtools/demo/conftest.py):
the test runner hands each file to one process whole."""

from __future__ import annotations

import datetime
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from applications.models import Application, BankAccount, Organisation, Pledge, TransitionLog
from applications.organisations import current_bank_account
from applications.workflow import Status
from budgets import ledger, reconcile
from budgets.integrity import ledger_violations
from budgets.models import (
    Account,
    Councillor,
    FinancialYear,
    Fund,
    FundYear,
    LedgerTransaction,
    Payment,
    PaymentRun,
    PaymentRunLine,
    StatementLine,
    Ward,
)
from budgets.statement_files import PRESETS
from decisions.models import Decision, PanelMeeting
from finance import payments as pay
from fundmgr import councils
from fundmgr.models import Council, Notification, StaffRole, User
from transparency import schema, threesixty
from transparency.published import published
from transparency.scope import EVERYTHING, Filters
from transparency.spend import breakdowns

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def in_thornbury(demo_output):
    """Thornbury Vale's demo, read in its scope, as its staff see it."""
    with councils.acting_for(Council.objects.get(slug="thornbury-vale")):
        yield


def snapshot():
    return (
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        list(Application.objects.order_by("pk").values_list("pk", "status", "paid_to_date")),
        *(
            model.objects.count()
            for model in (TransitionLog, LedgerTransaction, Notification, User, Organisation)
        ),
    )


@pytest.mark.usefixtures("demo_output", "in_thornbury")
class TestTheDemo:
    def test_it_is_a_district_with_wards_councillors_funds_and_transfers(self, demo_output):
        assert "every password is demo-grants-2026" in demo_output
        for role in ("Administrator", "Councillor", "Grants officer", "Finance officer"):
            assert role in demo_output
        assert Ward.objects.count() >= 12
        assert Councillor.objects.count() >= 30
        assert Fund.objects.count() == 3
        assert FundYear.objects.filter(year__start__year__in=[2025, 2026]).count() == 6
        assert LedgerTransaction.objects.filter(kind="transfer").count() >= 3
        assert "every invariant holds" in run("check_ledger")

    def test_ward_budgets_carry_forward_and_ccif_lapses(self):
        shaw = Councillor.objects.get(user__username="cllr.shaw")
        cb_2026 = FundYear.objects.get(fund__code="CB", year__start__year=2026)
        # £2,000 for 2025/26 less the £500 transferred to Cllr Okafor, carried into 2026/27.
        assert ledger.allocation_account(cb_2026, shaw).balance == Decimal("3500.00")
        ccif_2026 = FundYear.objects.get(fund__code="CCIF", year__start__year=2026)
        assert ledger.allocation_account(ccif_2026, shaw).balance == Decimal("875.00")

    def test_it_holds_about_150_applications_in_every_state(self, demo_output):
        counts = Counter(Application.objects.values_list("status", flat=True))
        assert 140 <= sum(counts.values()) <= 160
        assert {status for status in Status if counts[status] == 0} == set()
        # Thornbury Vale's line comes first.
        summary = next(line for line in demo_output.splitlines() if "applications:" in line)
        summary = summary.strip()
        assert summary.startswith(f"{sum(counts.values())} applications: draft {counts['draft']},")

    def test_every_fund_has_applications_in_both_years(self):
        pairs = set(
            Application.objects.values_list("fund_year__fund__code", "fund_year__year__label")
        )
        assert pairs == {
            (code, year) for code in ("CCIF", "CB", "CAF") for year in ("2025/26", "2026/27")
        }

    def test_the_planner_knows_what_was_loaded(self):
        """Loading ends with ANALYZE: the planner's row counts are the demo's, not the empty
        tables' from before it (which made the public list take 15 s on PostgreSQL)."""
        with councils.across_the_service():  # the planner counts the table's rows, all of them
            count = Application.objects.count()
        table = Application._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
                planned = cursor.fetchone()[0]
            else:
                # Each index's row: the first number is its entries (a partial index has fewer).
                cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
                planned = max(int(row[0].split()[0]) for row in cursor.fetchall())
        assert count > 100 and planned == count

    def test_the_ledger_is_sound(self):
        assert "every invariant holds" in run("check_ledger")  # exits 1 if not
        assert ledger_violations() == []

    def test_each_application_history_is_a_chain_of_transitions(self):
        for app in Application.objects.prefetch_related("transitions"):
            log = list(app.transitions.all())
            if app.status != Status.DRAFT:
                assert log, app.reference
            if not log:
                continue
            assert (log[0].transition, log[0].from_state) == ("submit", Status.DRAFT)
            assert all(a.to_state == b.from_state for a, b in zip(log, log[1:], strict=False))
            assert log[-1].to_state == app.status, app.reference

    def test_the_treasurer_login_shows_real_work(self):
        treasurer = User.objects.get(username="treasurer")
        groups = list(treasurer.organisations.all())
        assert 2 <= len(groups) <= 3
        apps = Application.objects.filter(organisation__in=groups)
        statuses = set(apps.values_list("status", flat=True))
        assert {"draft", "awaiting_support", "approved", "monitoring"} <= statuses
        offer = apps.get(status="approved")
        assert offer.offer_expires_on >= timezone.localdate()  # still open to accept

    def test_money_fits_each_funds_rules(self):
        for app in Application.objects.exclude(status=Status.DRAFT).select_related("fund_year"):
            rules = app.fund_year
            assert rules.min_award <= app.amount_requested <= rules.max_award, app.reference
            assert app.total_cost * (100 - rules.match_funding_share) / 100 >= app.amount_requested
            if app.amount_awarded and app.amount_requested > rules.delegated_limit:
                assert app.decisions.get(outcome="approve").authority == "panel", app.reference
        pooled = [
            app
            for app in Application.objects.filter(fund_year__fund__code="CCIF")
            if app.pledges.filter(status="pledged", amount__gt=0).count() == 2
        ]
        assert len(pooled) >= 3

    def test_each_year_has_a_quorate_panel_with_a_declared_interest(self):
        meetings = PanelMeeting.objects.order_by("date")
        assert [m.title[-7:] for m in meetings] == ["2025/26", "2026/27"]
        for meeting in meetings:
            assert (meeting.quorum, meeting.members.count()) == (2, 3)
            assert meeting.declarations.exists()
            assert Decision.objects.filter(panel_item__meeting=meeting, outcome="approve").exists()

    def test_a_decisions_reasons_do_not_repeat_its_outcome(self):
        """The pages put the outcome before the reasons ("Deferred: ..."): the reasons are the
        officer's or the panel's own words, not a second label."""
        for decision in Decision.objects.all():
            label = decision.get_outcome_display()
            assert not decision.reasons.lower().startswith(label.lower()), decision.reasons
        assert Decision.objects.filter(outcome="defer").exists()

    def test_bank_details_of_paid_groups_were_checked_by_someone_else(self):
        paid = Organisation.objects.filter(applications__paid_to_date__gt=0).distinct()
        assert paid.exists()
        for group in paid:
            checked = group.bank_accounts.exclude(checked_by=None).get()
            assert checked.entered_by in group.members.all()
            assert checked.checked_by != checked.entered_by
        waiting = [
            group
            for group in Organisation.objects.all()
            if (account := current_bank_account(group)) is not None
            and account.status == BankAccount.Status.UNVERIFIED
        ]
        assert len(waiting) == 2

    def test_the_earlier_year_is_closed_and_windows_are_as_set(self):
        earlier = FundYear.objects.filter(year__start__year=2025)
        assert earlier.exists() and all(fund_year.is_closed for fund_year in earlier)
        assert not FundYear.objects.filter(year__start__year=2026, is_closed=True).exists()
        windows = set(FundYear.objects.values_list("year__start__year", "opens_on", "closes_on"))
        assert windows == {
            (2025, datetime.date(2025, 4, 1), datetime.date(2026, 2, 28)),
            (2026, datetime.date(2026, 4, 1), datetime.date(2027, 2, 28)),
        }
        assert not Pledge.objects.filter(
            application__fund_year__year__start__year=2025,
            application__status__in=["awaiting_support", "under_assessment", "awaiting_decision"],
        ).exists()

    def test_its_e_mails_are_in_the_outbox_marked_sent_as_the_smtp_service_marks_them(self):
        from fundmgr.mail_services import message_id

        notes = list(Notification.objects.order_by("pk"))
        assert len(notes) > 1000
        assert [n for n in notes if n.sent_at is None or n.attempts != 1] == []
        assert [n for n in notes if n.provider_id != message_id(n)] == []

    def test_loading_it_again_changes_nothing(self):
        before = snapshot()
        output = run("loaddemo")
        assert "already loaded; nothing changed" in output
        assert snapshot() == before


@pytest.mark.usefixtures("demo_output")
class TestEachDemoLoginLandsOnItsWork:
    """`make demo` prints a login per role: each must land on a page that shows its work."""

    @pytest.mark.parametrize(
        ("username", "landing", "shows"),
        [
            ("admin", "/officer/", "Check eligibility"),
            ("cllr.shaw", "/councillor/", "A secure tool store for the community plot"),
            ("officer", "/officer/", "Check eligibility"),
            ("finance", "/finance/", "Payments due"),
            ("auditor", "/officer/", "Check eligibility"),
            ("panel", "/officer/panels/", "Community Asset Fund"),
            ("treasurer", "/apply/", "Raised beds for the accessible plot"),
        ],
    )
    def test_login_lands_on_its_work(self, client, username, landing, shows):
        client.force_login(User.objects.get(username=username))
        response = client.get("/", follow=True)
        assert response.redirect_chain[-1][0] == landing
        assert response.status_code == 200
        assert shows in response.text


COUNCIL_OWNED = [Application, Account, LedgerTransaction, Ward, Councillor, Fund, FundYear]


@pytest.mark.usefixtures("demo_output")
class TestTwoCouncils:
    """The demo's second council, Ashcombe, and the walls between the two."""

    def councils(self) -> tuple[Council, Council]:
        return Council.objects.get(slug="thornbury-vale"), Council.objects.get(slug="ashcombe")

    def test_the_service_holds_two_councils_each_with_its_people(self, demo_output):
        thornbury, ashcombe = self.councils()
        assert Council.objects.count() == 2
        with councils.across_the_service():
            staff = {
                council: set(
                    StaffRole.objects.filter(council=council).values_list("user__username", "role")
                )
                for council in (thornbury, ashcombe)
            }
        roles = {role for _, role in staff[ashcombe]}
        assert roles == {
            "Administrator",
            "Grants officer",
            "Finance officer",
            "Auditor",
            "Panel member",
            "Councillor",
        }
        # Ashcombe's staff say whose they are, and have no role at Thornbury Vale.
        assert all(username.startswith("ashcombe.") for username, _ in staff[ashcombe])
        ashcombe_people = {username for username, _ in staff[ashcombe]}
        assert ashcombe_people.isdisjoint(username for username, _ in staff[thornbury])
        # Only the service administrator is a superuser.
        assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == [
            "admin"
        ]
        # The printed logins name each council, its address and its people.
        assert "Thornbury Vale District Council, at http://127.0.0.1:8000/\n" in demo_output
        assert "Ashcombe Borough Council, at http://127.0.0.1:8000/ashcombe/\n" in demo_output
        for username in ("ashcombe.officer", "ashcombe.finance", "ashcombe.cllr.reed"):
            assert f" {username} " in demo_output

    def test_ashcombe_is_smaller_with_bids_in_several_states_and_a_sound_ledger(self):
        _, ashcombe = self.councils()
        with councils.acting_for(ashcombe):
            assert Ward.objects.count() == 3
            assert Councillor.objects.count() == 6
            assert list(Fund.objects.values_list("code", flat=True)) == ["AWG"]
            states = Counter(Application.objects.values_list("status", flat=True))
            assert 8 <= sum(states.values()) <= 20
            assert {"draft", "awaiting_support", "approved", "offer_accepted", "closed"} <= set(
                states
            )
            assert PanelMeeting.objects.filter(members__username="ashcombe.panel").exists()
            assert ledger_violations() == []
            treasurer = User.objects.get(username="ashcombe.treasurer")
            assert Application.objects.filter(organisation__members=treasurer).count() == 4

    def test_nothing_of_one_council_is_in_the_others_scope(self):
        thornbury, ashcombe = self.councils()
        seen = {}
        for council in (thornbury, ashcombe):
            with councils.acting_for(council):
                for model in COUNCIL_OWNED:
                    rows = set(model.objects.values_list("pk", "council_id"))
                    assert rows, (council, model)
                    assert {c for _, c in rows} == {council.pk}, (council, model)
                    seen[(council.pk, model)] = {pk for pk, _ in rows}
        for model in COUNCIL_OWNED:
            assert seen[(thornbury.pk, model)].isdisjoint(seen[(ashcombe.pk, model)])
        with councils.across_the_service():
            assert Application.objects.count() == sum(
                len(seen[(c.pk, Application)]) for c in (thornbury, ashcombe)
            )

    @pytest.mark.parametrize(
        ("username", "address", "landing", "shows"),
        [
            ("ashcombe.officer", "/ashcombe/", "/ashcombe/officer/", "Check eligibility"),
            ("ashcombe.cllr.reed", "/ashcombe/", "/ashcombe/councillor/", "Seed library"),
            ("ashcombe.finance", "/ashcombe/", "/ashcombe/finance/", "Payments due"),
            ("ashcombe.treasurer", "/ashcombe/", "/ashcombe/apply/", "Tool store and tools"),
            ("officer", "/", "/officer/", "Check eligibility"),
        ],
    )
    def test_each_council_is_at_its_address(self, client, username, address, landing, shows):
        client.force_login(User.objects.get(username=username))
        response = client.get(address, follow=True)
        assert response.redirect_chain[-1][0] == landing
        assert response.status_code == 200
        assert shows in response.content.decode()

    @pytest.mark.parametrize(
        ("username", "url"),
        [
            ("ashcombe.officer", "/officer/"),
            ("ashcombe.finance", "/finance/"),
            ("ashcombe.cllr.reed", "/councillor/"),
            ("officer", "/ashcombe/officer/"),
            ("cllr.shaw", "/ashcombe/councillor/"),
        ],
    )
    def test_each_councils_staff_find_nothing_at_the_other(self, client, username, url):
        client.force_login(User.objects.get(username=username))
        assert client.get(url).status_code == 404


# --- its published data (360Giving, dashboards) ---------------------------------------------

SAMPLE = Path(settings.BASE_DIR) / "transparency" / "samples" / "demo-ward-population.csv"


def pence(amount) -> int:
    return int(Decimal(amount or 0) * 100)


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


@pytest.mark.usefixtures("demo_output", "in_thornbury")
class TestTheDemosPublishedData:
    def test_its_360giving_package_validates_against_the_schema_with_no_errors(self):
        years = [None, *FinancialYear.objects.filter(fund_years__applications__in=published())]
        for year in dict.fromkeys(years):
            package = json.loads("".join(threesixty.json_chunks(year)))
            assert package["grants"], year
            assert schema.errors(package) == [], year

    def test_every_awarded_grant_is_in_the_file_once(self):
        package = json.loads("".join(threesixty.json_chunks()))
        ids = [g["id"] for g in package["grants"]]
        assert len(ids) == len(set(ids)) == published().count() > 50

    def test_its_dashboards_add_up_to_the_ledger(self):
        tables = breakdowns(Filters(), EVERYTHING)
        paid = pence(Account.objects.filter(kind="paid").aggregate(t=Sum("balance"))["t"])
        committed = pence(
            Account.objects.filter(kind="commitment").aggregate(t=Sum("balance"))["t"]
        )
        assert paid > 0 and committed > 0
        for by in ("ward", "fund", "councillor", "year"):
            assert tables[by].totals[2:4] == [paid, committed], by
        rows = {row[0]: row for row in tables["councillor"].rows}
        for councillor in Councillor.objects.select_related("ward"):
            label = f"Cllr {councillor.name} ({councillor.ward.name})"
            held = Account.objects.filter(councillor=councillor)
            expected = [
                pence(held.filter(kind="paid").aggregate(t=Sum("balance"))["t"]),
                pence(held.filter(kind="commitment").aggregate(t=Sum("balance"))["t"]),
            ]
            assert (rows[label][2:4] if label in rows else [0, 0]) == expected, label

    def test_its_dashboards_show_the_demos_money_to_an_officer(self, client):
        client.force_login(User.objects.get(username="admin"))
        page = body(client.get("/dashboards/", {"year": ""}))
        paid = Account.objects.filter(kind="paid").aggregate(t=Sum("balance"))["t"]
        assert f"£{paid:,.2f}" in page

    def test_nothing_public_names_a_person_or_shows_a_groups_contact_details(self, client):
        forbidden = set()
        for user in User.objects.all():
            forbidden |= {user.get_full_name(), user.email}
        forbidden |= set(Councillor.objects.values_list("name", flat=True))
        for org in Organisation.objects.all():
            forbidden |= {org.email, org.phone, org.postcode, org.address.splitlines()[0]}
        forbidden.discard("")
        urls = [
            "/grants/",
            "/grants/?page=2",
            "/grants/wards/",
            "/grants/360giving/",
            "/grants/360giving/grants-all.json",
            "/grants/360giving/grants-all.csv",
            "/grants/transparency-code/grants-all.csv",
            *[f"/grants/wards/{gss}/" for gss in ("E05900001", "E05900002", "E05900012")],
        ]
        for url in urls:
            text = body(client.get(url))
            assert [value for value in forbidden if value in text] == [], url

    def test_the_sample_ward_populations_load_and_give_money_per_head(self, client):
        out = io.StringIO()
        call_command("import_ward_population", str(SAMPLE), stdout=out)
        assert "12 figure(s) for 12 ward(s): 12 added" in out.getvalue()
        page = body(client.get("/grants/wards/E05900001/"))
        assert "8,511 (2021)" in page and "Per head" in page


# --- its payments and statement -----------------------------------------------------------------

STATEMENT = Path(settings.BASE_DIR) / "fixtures" / "demo-statement.csv"


@pytest.mark.slow
@pytest.mark.usefixtures("demo_output", "in_thornbury")
class TestTheDemosPayments:
    """Grants paid through payment runs, a payment held for changed bank details, and
    fixtures/demo-statement.csv importing and reconciling."""

    def test_the_demos_grants_were_paid_through_runs_authorised_by_a_second_officer(self):
        runs = PaymentRun.objects.filter(status="authorised")
        assert runs.count() >= 40
        assert all(run.prepared_by_id != run.authorised_by_id for run in runs)
        assert {run.files.count() for run in runs} == {2}
        assert ledger_violations() == []

    def test_the_demo_has_payments_due_and_one_held_for_changed_bank_details(self):
        due = pay.payable()
        assert len(due.due) >= 3
        assert [r.application.organisation.name for r in due.held] == [
            "Deanery Arts Collective CIC"
        ]
        assert "changed" in due.held[0].reason
        assert due.waiting and due.stopped

    def test_the_demo_statement_imports_and_reconciles(self):
        finance = User.objects.get(username="finance")
        result = reconcile.statement_import(
            content=STATEMENT.read_bytes(),
            filename=STATEMENT.name,
            by=finance,
            layout=PRESETS["albion"],
        )
        lines = StatementLine.objects.filter(statement=result.statement)
        with_reference = lines.exclude(reference="").filter(amount__lt=0)
        assert with_reference.count() >= 80
        assert not with_reference.filter(status="unmatched").exists()  # all by reference
        left = lines.filter(status="unmatched")
        assert {line.description for line in left if line.amount > 0} >= {
            "INT Interest on credit balance"
        }
        # The two lines the bank sent without a reference: matched by amount, or offered by hand.
        for line in left.filter(amount__lt=0).exclude(description__startswith="CHG"):
            assert reconcile.suggestions([line])[line.pk], line.description
        # The payment the bank sent back carries its reference: recorded as returned.
        returned = lines.get(description__startswith="BGC RETURNED")
        assert returned.status == "returned"
        assert returned.matches.get().method == "reference"
        assert PaymentRunLine.objects.filter(status="cleared").count() >= 80
        assert Payment.objects.filter(status="cleared").count() >= 80

    @pytest.mark.parametrize(
        "url",
        [
            "/finance/",
            "/finance/payments/",
            "/finance/runs/",
            "/finance/bank-details/",
            "/finance/statements/",
            "/finance/reconciliation/",
        ],
    )
    def test_the_finance_pages_open_on_the_demo(self, client, url):
        client.force_login(User.objects.get(username="finance"))
        assert client.get(url).status_code == 200


@pytest.mark.usefixtures("demo_output")
def test_the_summaries_equal_a_recount():
    from transparency import summaries
    from transparency.models import StateCount

    assert StateCount.objects.filter(n__gt=0).count() > 5
    assert summaries.differences() == []
