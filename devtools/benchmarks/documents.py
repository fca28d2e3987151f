"""`manage.py benchmark documents`: offer letters per second and the time of a panel pack.

It seeds its own throwaway database (never the one in use) with approved applications, each
with its decision, conditions and verified bank details, and a panel meeting whose agenda holds
`pack_items` applications with budgets, pledges, assessments and declarations (valid rows,
written in bulk). Then, in this one process and thread (one core):

- letters: two-page offer letters with the font embedded, built from records already read,
  cycling through the applications; then the same produced end to end (read, build, store);
- panel pack: the pack of the whole meeting, read from the database and built.
"""

from __future__ import annotations

import datetime
import re
import tempfile
import time
from decimal import Decimal

from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from applications.models import (
    Application,
    BankAccount,
    BudgetLine,
    InterestDeclaration,
    MatchFunding,
    Organisation,
    Pledge,
)
from applications.workflow import Status
from budgets.models import Council, Councillor, FinancialYear, Fund, FundYear, Ward
from decisions import documents
from decisions.models import Assessment, Decision, PanelItem, PanelMeeting, PanelMembership
from decisions.panel_pack import panel_pack_pdf
from fundmgr.models import User

TARGET_LETTERS_PER_SECOND = 60
PAGE = re.compile(rb"/Type /Page\b(?!s)")


def pages(pdf: bytes) -> int:
    return len(PAGE.findall(pdf))


def seed(*, letters: int, pack_items: int) -> PanelMeeting:
    council = Council.objects.create(name="Benchmark District", gss_code="E07000995")
    year = FinancialYear.objects.create(start=datetime.date(2026, 4, 1))
    fund_year = FundYear.objects.create(
        fund=Fund.objects.create(
            council=council, kind="community_asset", name="Community Asset Fund", code="CAF"
        ),
        year=year,
        min_award=Decimal("500.00"),
        max_award=Decimal("25000.00"),
        funded_from=FundYear.FundedFrom.CENTRAL_POT,
        councillor_support_required=False,
        delegated_limit=Decimal("5000.00"),
        opens_on=year.start,
        closes_on=year.end,
        cost_code="BENCH-3",
    )
    ward = Ward.objects.create(council=council, name="Abbey Meadow", gss_code="E05600999")
    officer = User.objects.create(username="bench-officer", first_name="Olu", last_name="Bench")
    finance = User.objects.create(username="bench-finance", first_name="Fin", last_name="Bench")
    applicant = User.objects.create(username="bench-applicant")
    members = User.objects.bulk_create(
        User(username=f"panel{i}", first_name="Panel", last_name=f"Member {i}") for i in range(5)
    )
    councillors = Councillor.objects.bulk_create(
        Councillor(user=u, ward=ward, name=f"Panel Member {i}", term_start=year.start)
        for i, u in enumerate(members[:2])
    )
    total = letters + pack_items
    groups = Organisation.objects.bulk_create(
        Organisation(
            name=f"Friends of Abbey Park {i}",
            kind=Organisation.Kind.CHARITY,
            charity_number=f"{1100000 + i}",
            address=f"{i + 1} Park Lane\nAbbey Meadow\nThornbury Vale",
            postcode="TV1 2AB",
            ward=ward,
            email=f"group{i}@example.org",
        )
        for i in range(total)
    )
    BankAccount.objects.bulk_create(
        BankAccount(
            organisation=g,
            account_name=f"FRIENDS ABBEY {i}"[:18],
            sort_code="200000",
            account_number=f"{12345678 + i:08d}"[-8:],
            status=BankAccount.Status.VERIFIED,
            entered_by=applicant,
            checked_by=finance,
            checked_at=timezone.now(),
        )
        for i, g in enumerate(groups)
    )
    today = timezone.localdate()
    apps = Application.objects.bulk_create(
        Application(
            fund_year=fund_year,
            organisation=g,
            reference=f"CAF26-{i + 1:06d}",
            status=Status.APPROVED if i < letters else Status.AWAITING_DECISION,
            title=f"Refurbish the community hall, phase {i + 1}",
            purpose="New kitchen, accessible toilets and a hearing loop, so that the hall can "
            "host lunch clubs, classes and surgeries for everyone in the ward. " * 2,
            project_start=datetime.date(2026, 9, 1),
            project_end=datetime.date(2027, 3, 1),
            amount_requested=Decimal(2000 + 250 * (i % 40)),
            total_cost=Decimal(4000 + 250 * (i % 40)),
            people_benefiting=100 + i,
            amount_awarded=Decimal(2000 + 250 * (i % 40)) if i < letters else None,
            offer_expires_on=today + datetime.timedelta(days=28) if i < letters else None,
            awarded_at=timezone.now() if i < letters else None,
            created_by=applicant,
            submitted_at=timezone.now(),
        )
        for i, g in enumerate(groups)
    )
    Decision.objects.bulk_create(
        Decision(
            application=a,
            outcome=Decision.Outcome.APPROVE,
            amount_awarded=a.amount_awarded,
            conditions="Acknowledge the council's support in publicity.\n"
            "Send the contractor's final invoice before the second payment.\n"
            f"Keep the hall open to every group in the ward ({a.reference}).",
            reasons="Meets every criterion of the fund and is good value.",
            authority=Decision.Authority.DELEGATED,
            decided_by=officer,
        )
        for a in apps[:letters]
    )
    on_agenda = apps[letters:]
    BudgetLine.objects.bulk_create(
        BudgetLine(application=a, item=item, cost=cost)
        for a in on_agenda
        for item, cost in (
            ("Kitchen units and fitting", a.amount_requested),
            ("Accessible toilet", a.total_cost - a.amount_requested - 500),
            ("Hearing loop", Decimal("500.00")),
        )
    )
    MatchFunding.objects.bulk_create(
        MatchFunding(application=a, source="Parish council", amount=a.match_funding, secured=True)
        for a in on_agenda
    )
    Pledge.objects.bulk_create(
        Pledge(
            application=a,
            councillor=c,
            statement="The hall is the heart of the ward; I support this bid warmly.",
            created_by=c.user,
        )
        for a in on_agenda
        for c in councillors
    )
    Assessment.objects.bulk_create(
        Assessment(
            application=a,
            assessor=officer,
            recommendation=Assessment.Recommendation.APPROVE,
            recommended_amount=a.amount_requested,
            notes="Eligible; costs backed by three quotes; strong evidence of need.",
        )
        for a in on_agenda
    )
    meeting = PanelMeeting.objects.create(
        title="Community Asset Fund panel", fund=fund_year.fund, date=today, created_by=officer
    )
    PanelMembership.objects.bulk_create(PanelMembership(meeting=meeting, user=u) for u in members)
    PanelItem.objects.bulk_create(
        PanelItem(meeting=meeting, application=a, position=n)
        for n, a in enumerate(on_agenda, start=1)
    )
    InterestDeclaration.objects.bulk_create(
        InterestDeclaration(
            application=a,
            user=members[0],
            kind=InterestDeclaration.Kind.NON_REGISTRABLE,
            details="A member of the hall's committee.",
            panel_meeting=meeting,
        )
        for a in on_agenda[::10]
    )
    return meeting


def run(*, letters: int = 300, pack_items: int = 100, out=print) -> dict:
    out(f"Seeding {letters:,} approved applications and a panel of {pack_items} ...")
    meeting = seed(letters=letters, pack_items=pack_items)
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="fundmgr-documents-") as media:
        with override_settings(MEDIA_ROOT=media):
            approved = list(
                Application.objects.filter(status=Status.APPROVED).order_by("pk")[:letters]
            )
            accounts = {
                b.organisation_id: b
                for b in BankAccount.objects.filter(status=BankAccount.Status.VERIFIED)
            }
            loaded = []
            for app in approved:  # read first: the letters are timed from records in memory
                full = documents._application(app.pk)
                loaded.append(
                    (
                        full,
                        documents._approval(full),
                        accounts[full.organisation_id],
                        documents.payment_schedule(full),
                    )
                )
            documents.offer_letter_pdf(*loaded[0])  # warm up: the font is loaded once
            started, cpu = time.perf_counter(), time.process_time()
            sizes = []
            for letter in loaded:
                pdf = documents.offer_letter_pdf(*letter)
                sizes.append((pages(pdf), len(pdf)))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            # A second of one core's time: the wall clock counts other processes' turns too.
            rate = len(loaded) / cpu
            page_counts = sorted({p for p, _ in sizes})
            out(
                f"Offer letters: {rate:.1f} a second of one core ({len(loaded)} letters in "
                f"{cpu:.2f} s of CPU, {elapsed:.2f} s of wall clock; "
                f"{'/'.join(map(str, page_counts))} pages each, font embedded, mean "
                f"{sum(s for _, s in sizes) / len(sizes) / 1024:.0f} KiB); "
                f"target {TARGET_LETTERS_PER_SECOND} a second: "
                + ("met" if rate >= TARGET_LETTERS_PER_SECOND else "NOT MET")
            )
            results["letters_per_second"] = rate
            stored = approved[: max(1, min(100, letters))]
            started = time.perf_counter()
            for app in stored:
                documents.offer_letter_produce(application=app)
            elapsed = time.perf_counter() - started
            out(
                f"Offer letters read, built and stored: {len(stored) / elapsed:.1f} a second "
                f"({len(stored)} on {connection.vendor})"
            )
            results["stored_per_second"] = len(stored) / elapsed
            started = time.perf_counter()
            pack = panel_pack_pdf(meeting)
            elapsed = time.perf_counter() - started
            out(
                f"Panel pack of {pack_items} applications: {elapsed:.2f} s "
                f"({pages(pack)} pages, {len(pack) / 1024:.0f} KiB, read and built)"
            )
            results["pack_seconds"] = elapsed
    return results
