"""Issue 7's "done when": the whole demo journey driven through the API alone, each person a
program calling with their own API token. A group member registers their organisation and
applies; the ward councillor pledges from their allocation; one grants officer marks the bid
eligible and assesses it, another approves it with reasons and conditions; the group accepts
the offer; one finance officer prepares a payment run and another authorises it and takes the
BACS file; a bank statement naming the payment is uploaded and matched, and the payment is
cleared. Each step's result is read back through the API.

Set up outside the flow, as a council administrator would: the fund year with its budget and
allocations, the ward and its councillor, and the people with their roles and tokens. The
group's bank details are entered by its member and verified by the second finance officer
through the API too.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from budgets import ledger
from budgets.integrity import ledger_violations
from tests.api_fixtures import PROBLEM, client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"
D = Decimal


def next_weekday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


@pytest.fixture
def council(fund_year, shaw, okafor):
    """What an administrator sets up: CCIF 2026/27 with its £10,000 budget allocated £1,000 to
    each councillor of Abbey Meadow, and the people who will act, each with a role and a token."""
    ledger.allocate_year(fund_year=fund_year, by=None)
    return {
        "fund_year": fund_year,
        "shaw": shaw,
        "member": UserFactory(username="tess", first_name="Tess", roles=["Applicant"]),
        "officer": UserFactory(username="grants.a", roles=["Grants officer"]),
        "officer2": UserFactory(username="grants.b", roles=["Grants officer"]),
        "finance": UserFactory(username="finance.a", roles=["Finance officer"]),
        "finance2": UserFactory(username="finance.b", roles=["Finance officer"]),
    }


def ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.content)
    return response.json()


def budget_of(client, fund_year_id: int, councillor_id: int) -> dict:
    rows = ok(
        client.get(f"{API}/budgets/", {"fund_year": fund_year_id, "councillor": councillor_id})
    )
    assert rows["count"] == 1
    return rows["results"][0]


def transitions(client, app_id: int) -> list[str]:
    return [t["name"] for t in ok(client.get(f"{API}/applications/{app_id}/transitions/"))]


def test_the_demo_journey_from_a_new_group_to_a_reconciled_payment_through_the_api(council):
    fund_year, shaw = council["fund_year"], council["shaw"]
    group = client_for(council["member"])
    councillor = client_for(shaw.user)
    officer, officer2 = client_for(council["officer"]), client_for(council["officer2"])
    finance, finance2 = client_for(council["finance"]), client_for(council["finance2"])

    # What the group finds: the fund year open for bids, and its ward.
    fy = ok(group.get(f"{API}/fund-years/", {"fund": "CCIF", "year": "2026/27"}))["results"]
    assert [f["id"] for f in fy] == [fund_year.pk]
    wards = ok(group.get(f"{API}/wards/", {"name": "Abbey Meadow"}))["results"]
    assert [w["id"] for w in wards] == [shaw.ward_id]
    ward_id = wards[0]["id"]

    # The councillor's budget before: £1,000 to pledge, nothing committed or paid.
    before = budget_of(councillor, fund_year.pk, shaw.pk)
    assert (before["available"], before["committed"], before["paid"]) == (
        "1000.00",
        "0.00",
        "0.00",
    )

    # --- 1. the group registers, drafts, budgets and submits -------------------------------
    org = ok(
        group.post(
            f"{API}/organisations/",
            {
                "name": "Friends of Abbey Park",
                "kind": "constituted_group",
                "address": "1 Park Lane\nThornbury Vale",
                "postcode": "TV1 2AB",
                "ward": ward_id,
                "email": "friends@example.org",
            },
        ),
        201,
    )
    app = ok(
        group.post(
            f"{API}/applications/",
            {
                "fund_year": fund_year.pk,
                "organisation": org["id"],
                "title": "New benches for the park",
                "purpose": "Three benches so older residents can rest on their walk.",
                "wards": [ward_id],
                "project_start": "2027-01-10",
                "project_end": "2027-03-20",
                "amount_requested": "500.00",
                "total_cost": "650.00",
                "people_benefiting": 400,
            },
        ),
        201,
    )
    app_id, ref = app["id"], app["reference"]
    assert app["status"] == "draft"

    # Submitting before the costs add up is refused with the reason, and nothing changes.
    refused = group.post(f"{API}/applications/{app_id}/submit/", {})
    assert refused.status_code == 409 and refused["Content-Type"] == PROBLEM
    assert "at least one budget line" in refused.json()["detail"]
    assert ok(group.get(f"{API}/applications/{app_id}/"))["status"] == "draft"

    for item, cost in (("Three benches", "540.00"), ("Fitting", "110.00")):
        ok(
            group.post(f"{API}/applications/{app_id}/budget-lines/", {"item": item, "cost": cost}),
            201,
        )
    ok(
        group.post(
            f"{API}/applications/{app_id}/match-funding/",
            {"source": "Parish council", "amount": "150.00", "secured": True},
        ),
        201,
    )
    assert "submit" in transitions(group, app_id)
    submitted = ok(group.post(f"{API}/applications/{app_id}/submit/", {}))
    assert submitted["status"] == "submitted" and submitted["submitted_at"]
    assert submitted["match_funding"] == "150.00"

    # --- 2. an officer finds it eligible; the ward councillor pledges ----------------------
    assert "mark_eligible" in transitions(officer, app_id)
    assert transitions(group, app_id) == ["withdraw"]  # the group cannot judge its own bid
    eligible = ok(
        officer.post(
            f"{API}/applications/{app_id}/mark_eligible/", {"note": "A constituted group."}
        )
    )
    assert eligible["status"] == "awaiting_support"

    # The councillor sees the bid waiting in their ward and pledges all of it.
    mine = ok(councillor.get(f"{API}/applications/", {"status": "awaiting_support"}))
    assert [a["reference"] for a in mine["results"]] == [ref]
    pledge = ok(
        councillor.post(
            f"{API}/applications/{app_id}/pledges/",
            {"amount": "500.00", "statement": "Residents asked for benches."},
        ),
        201,
    )
    assert (pledge["councillor"], pledge["amount"], pledge["status"]) == (
        shaw.pk,
        "500.00",
        "pledged",
    )
    # Support complete: the bid goes to assessment by itself.
    assert ok(councillor.get(f"{API}/applications/{app_id}/"))["status"] == "under_assessment"
    # A pledge is not yet a commitment: the allocation's balance is untouched until the award,
    # but the pledge holds half of it: £500 is left to pledge.
    pledged = budget_of(councillor, fund_year.pk, shaw.pk)
    assert (pledged["balance"], pledged["pledged"], pledged["pledgeable"]) == (
        "1000.00",
        "500.00",
        "500.00",
    )

    # --- 3. one officer assesses, another approves with reasons and conditions -------------
    assessed = ok(
        officer.post(
            f"{API}/applications/{app_id}/recommend/",
            {
                "recommendation": "approve",
                "notes": "Meets every criterion; good value.",
                "recommended_amount": "500.00",
            },
        )
    )
    assert assessed["status"] == "awaiting_decision"

    # The assessor may not decide it too: refused with the reason, nothing changed.
    assert "approve" not in transitions(officer, app_id)
    own = officer.post(
        f"{API}/applications/{app_id}/approve/",
        {"amount": "500.00", "reasons": "Mine to decide?"},
    )
    assert own.status_code == 403 and own["Content-Type"] == PROBLEM
    assert "assessed this application" in own.json()["detail"]
    assert ok(officer.get(f"{API}/applications/{app_id}/"))["status"] == "awaiting_decision"

    assert "approve" in transitions(officer2, app_id)
    approved = ok(
        officer2.post(
            f"{API}/applications/{app_id}/approve/",
            {
                "amount": "500.00",
                "reasons": "Good value for the park's users.",
                "conditions": "Acknowledge the council's support on a plaque.",
            },
        )
    )
    assert approved["status"] == "approved" and approved["amount_awarded"] == "500.00"
    assert approved["offer_expires_on"]

    decisions = ok(officer2.get(f"{API}/decisions/", {"application": app_id}))["results"]
    assert [
        (d["outcome"], d["amount_awarded"], d["authority"], d["reasons"], d["conditions"])
        for d in decisions
    ] == [
        (
            "approve",
            "500.00",
            "delegated",
            "Good value for the park's users.",
            "Acknowledge the council's support on a plaque.",
        )
    ]

    # The award is committed from the councillor's allocation.
    after_award = budget_of(councillor, fund_year.pk, shaw.pk)
    assert (after_award["available"], after_award["committed"], after_award["paid"]) == (
        "500.00",
        "500.00",
        "0.00",
    )

    # --- 4. the group accepts the offer ----------------------------------------------------
    assert transitions(group, app_id) == ["accept_offer", "withdraw"]
    accepted = ok(group.post(f"{API}/applications/{app_id}/accept_offer/", {}))
    assert accepted["status"] == "offer_accepted"

    payments = ok(finance.get(f"{API}/payments/", {"grant": ref}))["results"]
    assert [(p["amount"], p["status"]) for p in payments] == [("500.00", "scheduled")]
    payment_id, payment_ref = payments[0]["id"], payments[0]["reference"]

    # Without verified bank details the payment is held, and a run would not take it.
    due = ok(finance.get(f"{API}/payment-runs/due/"))
    assert ref in str(due["held"]) and ref not in str(due["due"])
    # The member enters the group's bank details; they are shown masked and wait for a check
    # by a finance officer other than whoever entered them (finance B verifies them).
    entered = ok(
        group.post(
            f"{API}/organisations/{org['id']}/bank-details/",
            {
                "account_name": "Friends Abbey Park",
                "sort_code": "20-00-00",
                "account_number": "12345678",
            },
        ),
        201,
    )
    assert (entered["account"], entered["status"]) == ("20-**-** ****5678", "unverified")
    waiting = ok(finance.get(f"{API}/bank-accounts/", {"status": "unverified"}))["results"]
    assert [a["id"] for a in waiting] == [entered["id"]]
    checked = ok(
        finance2.post(f"{API}/bank-accounts/{entered['id']}/verify/", {"note": "Rang the group"})
    )
    assert (checked["status"], checked["checked_by"]) == ("verified", str(council["finance2"]))
    assert ok(group.get(f"{API}/organisations/{org['id']}/bank-details/"))["payable"] is True
    due = ok(finance.get(f"{API}/payment-runs/due/"))
    assert ref in str(due["due"]) and ref not in str(due["held"])

    # --- 5. finance A prepares a run; A may not authorise it; finance B does ---------------
    pay_date = next_weekday(timezone.localdate())
    run = ok(finance.post(f"{API}/payment-runs/", {"pay_date": pay_date.isoformat()}), 201)
    assert run["status"] == "prepared" and run["total"] == "500.00" and run["count"] == 1
    assert [(line["reference"], line["amount"]) for line in run["lines"]] == [
        (payment_ref, "500.00")
    ]
    run_id = run["id"]

    own_run = finance.post(f"{API}/payment-runs/{run_id}/authorise/", {})
    assert own_run.status_code == 403 and own_run["Content-Type"] == PROBLEM
    assert own_run.json()["detail"] == (
        "You prepared this payment run, so another finance officer must authorise it."
    )
    unchanged = ok(finance.get(f"{API}/payment-runs/{run_id}/"))
    assert unchanged["status"] == "prepared" and unchanged["files"] == []
    assert unchanged["authorised_by"] is None
    assert finance.get(f"{API}/payment-runs/{run_id}/bacs/").status_code == 404
    assert ok(finance.get(f"{API}/payments/{payment_id}/"))["status"] == "in_run"
    assert budget_of(councillor, fund_year.pk, shaw.pk)["paid"] == "0.00"

    check = ok(finance2.get(f"{API}/payment-runs/{run_id}/"))["check"]
    authorised = ok(finance2.post(f"{API}/payment-runs/{run_id}/authorise/", {"check": check}))
    assert authorised["status"] == "authorised"
    assert sorted(f["kind"] for f in authorised["files"]) == ["bacs", "finance_csv"]
    assert authorised["authorised_by"] and authorised["authorised_by"] != authorised["prepared_by"]
    assert [line["status"] for line in authorised["lines"]] == ["sent"]

    bacs = finance2.get(f"{API}/payment-runs/{run_id}/bacs/", HTTP_ACCEPT="text/plain")
    assert bacs.status_code == 200, bacs.content
    assert "attachment" in bacs["Content-Disposition"]
    (credit,) = [r for r in bacs.content.decode().splitlines() if payment_ref in r]
    assert "00000050000" in credit and credit.endswith("FRIENDS ABBEY PARK")  # £500 in pence

    assert ok(finance.get(f"{API}/payments/{payment_id}/"))["status"] == "sent"
    assert ok(group.get(f"{API}/applications/{app_id}/"))["paid_to_date"] == "500.00"
    paid = budget_of(councillor, fund_year.pk, shaw.pk)
    assert (paid["available"], paid["committed"], paid["paid"]) == ("500.00", "0.00", "500.00")

    # --- 6. the bank statement comes in and is matched -------------------------------------
    statement = (
        "Date,Type,Description,Paid out,Paid in,Balance\r\n"
        f"{pay_date:%d/%m/%Y},BACS,{payment_ref} FRIENDS OF ABBEY,£500.00,,\r\n"
    ).encode("cp1252")
    imported = ok(
        finance.post(
            f"{API}/statements/",
            {"file": SimpleUploadedFile("november.csv", statement), "layout": "albion"},
            format="multipart",
        ),
        201,
    )
    assert imported["matched"] == 1 and imported["statement"]["unmatched"] == 0
    statement_id = imported["statement"]["id"]
    lines = ok(finance.get(f"{API}/statement-lines/", {"statement": statement_id}))["results"]
    assert [(line["amount"], line["reference"], line["status"]) for line in lines] == [
        ("-500.00", payment_ref, "matched")
    ]
    matches = ok(finance.get(f"{API}/matches/", {"statement": statement_id}))["results"]
    assert [(m["reference"], m["amount"], m["kind"], m["method"]) for m in matches] == [
        (payment_ref, "500.00", "cleared", "reference")
    ]
    # Running the matching again finds nothing left to match.
    assert ok(finance.post(f"{API}/matches/reconcile/", {})) == {"matched": 0}

    # The finance system's general ledger agrees, and the year's report says reconciled.
    gl_file = (
        "Cost code,Date,Reference,Amount\r\n"
        f"{fund_year.cost_code},{pay_date:%d/%m/%Y},{payment_ref},500.00\r\n"
    ).encode()
    gl_import = finance.post(
        f"{API}/gl-imports/",
        {"file": SimpleUploadedFile("gl-p08.csv", gl_file)},
        format="multipart",
    )
    assert gl_import.status_code == 201, gl_import.content
    comparison = ok(finance.get(f"{API}/gl-imports/{gl_import.json()['id']}/comparison/"))
    assert comparison["agrees"] is True, comparison["differences"]
    report = ok(finance.get(f"{API}/reconciliation-reports/{fund_year.year.start.year}/"))
    assert report["reconciled"] is True

    assert ok(finance.get(f"{API}/payments/{payment_id}/"))["status"] == "cleared"
    cleared = ok(finance.get(f"{API}/payment-runs/{run_id}/"))
    assert [(line["status"], line["cleared_on"]) for line in cleared["lines"]] == [
        ("cleared", pay_date.isoformat())
    ]

    # --- finally: the councillor's statement, the ledger, and its soundness ----------------
    account_id = budget_of(councillor, fund_year.pk, shaw.pk)["id"]
    own_statement = ok(councillor.get(f"{API}/budgets/{account_id}/statement/"))
    assert (
        own_statement["allocated"],
        own_statement["commitments"],
        own_statement["available"],
        own_statement["committed"],
        own_statement["paid"],
    ) == ("1000.00", "500.00", "500.00", "0.00", "500.00")
    # Its rows are the allocation account's postings: the allocation and the commitment; the
    # payment moves the commitment to paid, which the totals show.
    assert [(r["kind"], r["reference"], r["amount"]) for r in own_statement["rows"]] == [
        ("allocation", "", "1000.00"),
        ("commitment", ref, "-500.00"),
    ]

    kinds = [
        t["kind"]
        for t in ok(officer.get(f"{API}/ledger-transactions/", {"reference": ref}))["results"]
    ]
    assert sorted(kinds) == ["commitment", "payment"]
    assert ledger_violations() == []

    # Paid in full, the grant waits for the group's monitoring report.
    final = ok(group.get(f"{API}/applications/{app_id}/"))
    assert (final["status"], final["paid_to_date"]) == ("monitoring", "500.00")
