"""Community groups' profiles and bank details: the mandate-fraud controls of DESIGN.md."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import organisations as o
from applications import services as s
from applications.models import BankAccount, Membership
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from fundmgr.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(ward, treasurer):
    return o.organisation_create(
        by=treasurer,
        role=Membership.Role.TREASURER,
        name="Abbey Meadow Allotment Society",
        kind="constituted_group",
        address="The Allotments\nAbbey Lane",
        postcode="tv1 3xy",
        ward=ward,
        email="allotments@example.org",
    )


def test_registering_a_group_makes_the_person_a_member(group, treasurer):
    assert group.postcode == "TV1 3XY"
    assert list(group.members.all()) == [treasurer]


def test_a_charity_without_a_number_is_registered(ward, treasurer):
    trust = o.organisation_create(
        by=treasurer,
        name="Trust",
        kind="charity",
        address="x",
        postcode="TV1 1AA",
        ward=ward,
        email="t@example.org",
    )
    assert trust.charity_number == ""


def test_a_malformed_company_number_is_refused(ward, treasurer):
    with pytest.raises(InvalidInput, match="Enter the company number in the correct format"):
        o.organisation_create(
            by=treasurer,
            name="CIC",
            kind="cic",
            company_number="12",
            address="x",
            postcode="TV1 1AA",
            ward=ward,
            email="c@example.org",
        )


def test_new_bank_details_wait_for_a_second_person_to_verify(group, treasurer, finance):
    account = o.bank_account_change(
        organisation=group,
        by=treasurer,
        account_name="Abbey Allotments",
        sort_code="20-00-00",
        account_number="5555 1234",
    )
    assert account.status == BankAccount.Status.UNVERIFIED
    assert account.masked == "20-**-** ****1234"
    assert o.payable_bank_account(group) is None
    o.bank_account_verify(bank_account=account, by=finance, approve=True)
    assert o.payable_bank_account(group) == account


def test_the_person_who_entered_bank_details_cannot_verify_them(group, finance):
    Membership.objects.create(organisation=group, user=finance)
    account = o.bank_account_change(
        organisation=group,
        by=finance,
        account_name="X",
        sort_code="200000",
        account_number="12345678",
    )
    with pytest.raises(NotPermitted, match="another finance officer must verify them"):
        o.bank_account_verify(bank_account=account, by=finance, approve=True)


def test_changing_verified_details_makes_the_group_unpayable_until_verified_again(
    group, treasurer, finance
):
    first = o.bank_account_change(
        organisation=group,
        by=treasurer,
        account_name="A",
        sort_code="200000",
        account_number="12345678",
    )
    o.bank_account_verify(bank_account=first, by=finance, approve=True)
    second = o.bank_account_change(
        organisation=group,
        by=treasurer,
        account_name="B",
        sort_code="400000",
        account_number="87654321",
    )
    assert o.payable_bank_account(group) is None
    first.refresh_from_db()
    assert first.status == BankAccount.Status.SUPERSEDED
    assert list(group.bank_accounts.order_by("pk")) == [first, second]  # the history stays


def test_only_finance_verifies_bank_details(group, treasurer, officer):
    account = o.bank_account_change(
        organisation=group,
        by=treasurer,
        account_name="A",
        sort_code="200000",
        account_number="12345678",
    )
    with pytest.raises(NotPermitted, match="Only a finance officer"):
        o.bank_account_verify(bank_account=account, by=officer, approve=True)


def test_a_bad_sort_code_is_refused(group, treasurer):
    with pytest.raises(InvalidInput, match="A sort code is 6 digits"):
        o.bank_account_change(
            organisation=group,
            by=treasurer,
            account_name="A",
            sort_code="20-00",
            account_number="12345678",
        )


def test_a_stranger_cannot_change_a_groups_bank_details(group):
    with pytest.raises(NotPermitted):
        o.bank_account_change(
            organisation=group,
            by=UserFactory(),
            account_name="Fraudster",
            sort_code="200000",
            account_number="12345678",
        )


def test_attachments_over_10_mb_or_of_the_wrong_type_are_refused(draft, treasurer):
    big = SimpleUploadedFile("plan.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "application/pdf")
    with pytest.raises(InvalidInput, match="files must be 10 MB or smaller"):
        s.attachment_add(application=draft, by=treasurer, description="Plan", file=big)
    exe = SimpleUploadedFile("virus.exe", b"MZ", "application/octet-stream")
    with pytest.raises(InvalidInput, match="File extension “exe” is not allowed"):
        s.attachment_add(application=draft, by=treasurer, description="Plan", file=exe)
    ok = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", "application/pdf")
    attachment = s.attachment_add(application=draft, by=treasurer, description="Quote", file=ok)
    assert attachment.size == 14 and attachment.content_type == "application/pdf"


def test_a_budget_line_must_cost_something(draft, treasurer):
    with pytest.raises(InvalidInput, match="more than £0.00"):
        s.budget_line_add(application=draft, by=treasurer, item="Paint", cost=Decimal("0"))


def test_submitted_answers_cannot_be_changed(draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    with pytest.raises(Refused, match="can no longer be changed"):
        s.application_update(application=draft, by=treasurer, title="Changed")


@pytest.mark.django_db(transaction=True)
def test_notifications_are_sent_only_after_the_step_commits(draft, treasurer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    s.application_submit(application=draft, by=treasurer)
    assert any(m.subject == f"{draft.reference} submitted" for m in mail.outbox)
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    mail.outbox.clear()
    with pytest.raises(Refused):
        s.application_submit(application=draft, by=treasurer)
    assert mail.outbox == []
