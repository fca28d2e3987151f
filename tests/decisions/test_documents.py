# ruff: noqa: F811 (the fixtures imported below are used as arguments)
"""The council's documents: what each PDF says, that every page carries its reference, that the
bytes kept are the bytes sent, who may download them, and how they are produced."""

import datetime
import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from budgets import documents as budget_documents
from budgets import ledger
from budgets.models import Account, Entry, LedgerTransaction
from decisions import documents, panel_pack
from decisions import services as d
from fundmgr import letterhead as lh
from fundmgr.documents import document_store, stored_content
from fundmgr.errors import Refused
from fundmgr.models import Document
from tests.documents_fixtures import (  # noqa: F401 (fixtures)
    CONDITIONS,
    approved,
    awaiting,
    flat,
    media,
    meeting,
    other_applicant,
    panel_members,
    pdf_pages,
    pdf_text,
)
from tests.factories import CouncilFactory, UserFactory

D = Decimal
pytestmark = pytest.mark.django_db


def stored(kind):
    return list(Document.objects.filter(kind=kind).order_by("pk"))


def today_long() -> str:
    day = timezone.localdate()
    return f"{day.day} {day:%B %Y}"


# --- the offer letter -----------------------------------------------------------------------


def test_offer_letter_names_the_group_the_award_and_the_decisions_conditions(approved):
    app = approved.application
    text = flat(pdf_text(stored_content(documents.offer_letter(application=app))))
    assert "Friends of Abbey Park" in text
    assert "1 Park Lane Thornbury Vale TV1 2AB" in text
    assert f"Our reference {app.reference}" in text
    assert (
        "I am pleased to offer you a grant of £450.00 from the Councillors' Community "
        "Initiative Fund 2026/27 towards New benches for the park." in text
    )
    assert "Amount you asked for £500.00" in text and "Grant offered £450.00" in text
    assert "1. Credit the council on the benches" in text
    assert "2. Send photographs of the benches in place" in text
    assert f"Decided on {today_long()}" in text


def test_offer_letter_schedules_one_payment_of_the_award_on_acceptance(approved):
    text = flat(pdf_text(stored_content(documents.offer_letter(application=approved.application))))
    assert "1 of 1 When you accept this offer £450.00 Total £450.00" in text


def test_offer_letter_sets_the_monitoring_report_due_date_from_the_fund_year(approved):
    app = approved.application
    due = app.project_end + datetime.timedelta(days=app.fund_year.monitoring_due_days)
    text = flat(pdf_text(stored_content(documents.offer_letter(application=app))))
    assert f"within 90 days of the project's end, by {due.day} {due:%B %Y}" in text
    assert "more than £50.00" in text  # the fund year's clawback threshold


def test_offer_letter_shows_the_bank_account_masked(approved):
    text = flat(pdf_text(stored_content(documents.offer_letter(application=approved.application))))
    assert "We will pay into FRIENDS OF ABBEY P, 20-**-** ****5678." in text
    assert "12345678" not in text and "200000" not in text


def test_offer_letter_is_two_pages_each_with_its_reference_and_page_number(approved):
    reference = approved.application.reference
    pages = pdf_pages(stored_content(documents.offer_letter(application=approved.application)))
    assert len(pages) == 2
    for number, page in enumerate(pages, start=1):
        assert f"Reference {reference}" in page
        assert f"Page {number} of 2" in page
    assert "Terms and conditions" in flat("\n".join(pages))


def test_offer_letter_of_an_application_not_approved_is_refused(awaiting):
    with pytest.raises(Refused, match="has not been approved"):
        documents.offer_letter_produce(application=awaiting)


# --- the decision notice --------------------------------------------------------------------


def test_decision_notice_shows_outcome_amount_authority_reasons_and_declarations(approved):
    app = approved.application
    text = flat(pdf_text(stored_content(documents.decision_notice(decision=approved))))
    assert "Decision notice" in text
    assert f"Reference {app.reference}" in text
    assert "Applicant Friends of Abbey Park" in text
    assert "Amount requested £500.00" in text
    assert "Decision Approved, £450.00" in text
    assert "Decided by Officer under delegated authority" in text
    assert "Good value for the ward." in text
    assert "1. Credit the council on the benches" in text
    assert "Non-registrable interest: A neighbour of the park." in text


def test_decision_notice_names_no_one_but_the_decision_makers_office(approved, officer2, okafor):
    text = flat(pdf_text(stored_content(documents.decision_notice(decision=approved))))
    assert officer2.get_full_name() not in text
    assert okafor.name not in text


def test_a_panel_decision_notice_names_the_meeting_and_item(
    meeting, panel_members, django_capture_on_commit_callbacks
):
    d.attendance_record(meeting=meeting, attended=panel_members, by=panel_members[0])
    with django_capture_on_commit_callbacks(execute=True):
        decision = d.panel_decision_record(
            item=meeting.items.get(),
            by=panel_members[0],
            outcome="reject",
            reasons="Other bids met the criteria better.",
        )
    text = flat(pdf_text(stored_content(documents.decision_notice(decision=decision))))
    assert "Decision Rejected" in text
    assert "Decided by Grants panel: Abbey Meadow grants panel (01 February 2027), item 1" in text
    assert "Other bids met the criteria better." in text


def decision_documents():
    """The documents decisions produce: not the copy of the answers made when the group sent
    them (applications.answers_copy)."""
    return Document.objects.exclude(kind="answers").order_by("pk")


# --- produced by the step that needs it -----------------------------------------------------


def test_approval_produces_the_offer_letter_and_the_notice_after_commit(approved):
    reference = approved.application.reference
    assert [(doc.kind, doc.reference, doc.version) for doc in decision_documents()] == [
        ("notice", reference, 1),
        ("offer", reference, 1),
    ]
    assert stored("offer")[0].created_by is None  # produced by the system, with the decision


def test_no_document_is_produced_before_the_decision_commits(awaiting, officer2):
    with transaction.atomic():
        d.decision_record(
            application=awaiting, by=officer2, outcome="approve", amount=D("450.00"), reasons="Ok"
        )
        assert decision_documents().count() == 0
        transaction.set_rollback(True)


def test_a_rejection_produces_a_notice_and_no_offer_letter(
    awaiting, officer2, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        d.decision_record(
            application=awaiting, by=officer2, outcome="reject", reasons="Not a priority."
        )
    assert [doc.kind for doc in decision_documents()] == ["notice"]
    assert "Decision Rejected" in flat(pdf_text(stored_content(stored("notice")[0])))


def test_a_deferral_produces_its_own_notice(awaiting, officer2, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        d.decision_record(
            application=awaiting, by=officer2, outcome="defer", reasons="Needs a second quote."
        )
    text = flat(pdf_text(stored_content(stored("notice")[0])))
    assert "Decision Deferred" in text and "Needs a second quote." in text


def test_a_failure_to_produce_documents_does_not_undo_the_decision(
    awaiting, officer2, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(*args, **kwargs):
        raise lh.LetterheadError("no font")

    monkeypatch.setattr(documents, "decision_notice_produce", broken)
    with django_capture_on_commit_callbacks(execute=True):
        d.decision_record(
            application=awaiting, by=officer2, outcome="approve", amount=D("450.00"), reasons="Ok"
        )
    awaiting.refresh_from_db()
    assert awaiting.status == "approved" and decision_documents().count() == 0
    monkeypatch.undo()
    assert documents.offer_letter(application=awaiting).version == 1  # made when first asked for


def test_documents_left_for_later_are_produced_on_their_first_download(
    client, awaiting, officer2, treasurer, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_AFTER_DECISIONS = False  # as the demo loads
    with django_capture_on_commit_callbacks(execute=True):
        d.decision_record(
            application=awaiting, by=officer2, outcome="approve", amount=D("450.00"), reasons="Ok"
        )
    assert decision_documents().count() == 0
    client.force_login(treasurer)
    response = client.get(offer_url(awaiting))
    assert response.status_code == 200
    assert [(doc.kind, doc.created_by) for doc in decision_documents()] == [("offer", treasurer)]


# --- records: the bytes kept are the bytes sent ---------------------------------------------


def test_the_stored_sha256_is_that_of_the_stored_bytes(approved):
    for document in Document.objects.all():
        content = stored_content(document)
        assert document.sha256 == hashlib.sha256(content).hexdigest()
        assert document.size == len(content)
        assert content.startswith(b"%PDF-")


def test_producing_a_document_again_gives_the_same_bytes_and_keeps_one_version(approved):
    again = documents.offer_letter_produce(application=approved.application)
    assert again.version == 1 and Document.objects.filter(kind="offer").count() == 1


def test_a_document_whose_content_changed_is_kept_as_a_new_version(approved):
    first = stored("offer")[0]
    second = document_store(
        kind="offer",
        reference=first.reference,
        key=first.key,
        description=first.description,
        content=b"%PDF-1.4 another version",
    )
    assert (first.version, second.version) == (1, 2)
    assert stored_content(first) != stored_content(second)
    with pytest.raises(TypeError, match="record"):
        first.save()


# --- the councillor's budget statement ------------------------------------------------------


def test_statement_lists_every_posting_with_its_running_balance(busy, shaw):
    text = flat(pdf_text(budget_documents.statement_pdf(statement_of(busy, shaw))))
    assert "Cllr Sam Shaw Abbey Meadow ward" in text
    assert "Our reference CCIF/2026/cllr.shaw" in text
    assert "Allocation £1,000.00" in text and "Left to pledge £750.00" in text
    assert "£1,000.00 £1,000.00" in text  # the allocation, and the balance after it
    assert "£150.00 £1,150.00" in text  # the transfer in
    assert "-£400.00 £750.00" in text  # the commitment to CCIF26-000007


def statement_of(fund_year, councillor):
    from budgets.selectors import statement

    return statement(fund_year=fund_year, councillor=councillor)


def five_hundred_postings(fund_year, shaw, okafor):
    """500 transfers between two ward colleagues' allocations, written in bulk."""
    ledger.allocate_year(fund_year=fund_year, by=None)
    mine = Account.objects.get(fund_year=fund_year, kind="allocation", councillor=shaw)
    theirs = Account.objects.get(fund_year=fund_year, kind="allocation", councillor=okafor)
    postings = LedgerTransaction.objects.bulk_create(
        LedgerTransaction(kind="transfer", idempotency_key=f"bulk:{n}", memo=f"Posting {n:03d}")
        for n in range(1, 500)
    )
    Entry.objects.bulk_create(
        Entry(transaction=t, account=account, amount=amount)
        for n, t in enumerate(postings, start=1)
        for account, amount in (
            (mine, D("1.00") if n % 2 else D("-1.00")),
            (theirs, D("-1.00") if n % 2 else D("1.00")),
        )
    )


def test_a_statement_of_500_postings_spans_pages_each_with_the_table_header(
    fund_year, shaw, okafor
):
    five_hundred_postings(fund_year, shaw, okafor)
    statement = statement_of(fund_year, shaw)
    assert len(statement.rows) == 500
    pages = pdf_pages(budget_documents.statement_pdf(statement))
    assert len(pages) > 5
    for number, page in enumerate(pages, start=1):
        assert "Reference CCIF/2026/cllr.shaw" in page
        assert f"Page {number} of {len(pages)}" in page
        assert re.search(r"Date\s+What\s+Details\s+Amount\s+Balance", page), number
    every = "\n".join(pages)
    assert [int(n) for n in re.findall(r"Posting (\d{3})", every)] == list(range(1, 500))
    assert every.rstrip().count("£1,001.00") >= 249  # odd postings bring it to £1,001.00


# --- the panel pack -------------------------------------------------------------------------


def test_panel_pack_has_the_agenda_then_a_page_per_application(meeting, awaiting):
    pages = pdf_pages(panel_pack.panel_pack_pdf(meeting))
    agenda = flat(pages[0])
    assert "Abbey Meadow grants panel" in agenda
    assert "Date 1 February 2027" in agenda
    assert (
        f"1 {awaiting.reference} Friends of Abbey Park: New benches for the park £500.00" in agenda
    )
    assert "Total requested £500.00" in agenda
    item = flat(pages[1])
    assert item.startswith("Thornbury Vale District Council: Panel pack") or "Item 1" in item
    assert f"{awaiting.reference}: Friends of Abbey Park" in item
    assert "Benches £500.00 Total £500.00" in item  # the budget
    assert "Cllr Sam Shaw Abbey Meadow ward Supported Much needed £300.00" in item
    assert "Recommendation Approve, £500.00" in item and "Meets every criterion." in item
    assert "non-registrable interest. A neighbour of the park." in item
    for number, page in enumerate(pages, start=1):
        assert f"Reference PANEL-{meeting.pk}" in page and f"Page {number} of " in page


# --- downloads: only for those who may see them ---------------------------------------------


def offer_url(app):
    return f"/documents/applications/{app.reference}/offer-letter/"


def test_a_member_of_the_group_downloads_the_offer_letter_as_sent(client, approved, treasurer):
    client.force_login(treasurer)
    response = client.get(offer_url(approved.application))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == stored_content(stored("offer")[0])


def test_officers_download_offer_letters_and_notices(client, approved, officer, finance):
    app = approved.application
    for person in (officer, finance):
        client.force_login(person)
        assert client.get(offer_url(app)).status_code == 200
        notice = f"/documents/applications/{app.reference}/decision-notices/{approved.pk}/"
        assert client.get(notice).status_code == 200


def test_no_one_else_can_download_a_groups_offer_letter_or_notice(
    client, approved, other_applicant, shaw
):
    app = approved.application
    notice = f"/documents/applications/{app.reference}/decision-notices/{approved.pk}/"
    stored_notice = f"/documents/{stored('notice')[0].pk}/"
    for person in (other_applicant, shaw.user):
        client.force_login(person)
        for url in (offer_url(app), notice, stored_notice):
            assert client.get(url).status_code == 404, (person, url)


def test_signing_in_comes_before_any_download(client, approved):
    response = client.get(offer_url(approved.application))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_a_councillor_downloads_their_own_statement_and_no_one_elses(client, busy, shaw, okafor):
    url = f"/documents/statements/CCIF/2026/councillors/{shaw.pk}/"
    client.force_login(shaw.user)
    response = client.get(url)
    assert response.status_code == 200
    assert "Left to pledge £750.00" in flat(pdf_text(b"".join(response.streaming_content)))
    client.force_login(okafor.user)
    assert client.get(url).status_code == 404  # another's: as if there were none


def test_officers_and_auditors_download_any_statement(client, busy, shaw, officer):
    auditor = UserFactory(roles=["Auditor"])
    for person in (officer, auditor):
        client.force_login(person)
        assert (
            client.get(f"/documents/statements/CCIF/2026/councillors/{shaw.pk}/").status_code == 200
        )


def test_panel_members_and_officers_download_the_pack_and_others_may_not(
    client, meeting, panel_members, officer, treasurer
):
    url = f"/documents/panels/{meeting.pk}/pack/"
    for person in (panel_members[0], officer):
        client.force_login(person)
        assert client.get(url).status_code == 200
    for person in (UserFactory(roles=["Panel member"]), treasurer):
        client.force_login(person)
        assert client.get(url).status_code == 404  # not their panel: as if there were none


# --- links from the pages -------------------------------------------------------------------


def test_the_groups_status_page_links_to_the_offer_letter_and_notice(client, approved, treasurer):
    client.force_login(treasurer)
    html = client.get(f"/apply/applications/{approved.application.pk}/").text
    assert f'href="{offer_url(approved.application)}"' in html
    assert "Download the offer letter (PDF)" in html
    assert "Download the decision notice" in html


def test_the_officer_page_lists_every_stored_version_with_its_sha256(client, approved, officer):
    client.force_login(officer)
    html = client.get(f"/officer/applications/{approved.application.reference}/").text
    for document in decision_documents():
        assert f'href="/documents/{document.pk}/"' in html
        assert document.sha256 in html


def test_the_statement_and_panel_pages_link_to_their_pdfs(client, meeting, busy, shaw, officer):
    client.force_login(officer)
    html = client.get(f"/budgets/CCIF/2026/councillors/{shaw.pk}/").text
    assert f'href="/documents/statements/CCIF/2026/councillors/{shaw.pk}/"' in html
    html = client.get(f"/officer/panels/{meeting.pk}/").text
    assert f'href="/documents/panels/{meeting.pk}/pack/"' in html


# --- the command ----------------------------------------------------------------------------


def run_document(*args) -> str:
    out = io.StringIO()
    call_command("document", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_the_offer_letter_as_stored(approved, tmp_path):
    target = tmp_path / "offer.pdf"
    output = run_document("offer", approved.application.reference, "--out", str(target))
    document = stored("offer")[0]
    assert target.read_bytes() == stored_content(document)
    assert f"SHA-256 {document.sha256}" in output


def test_the_command_writes_a_statement_and_a_panel_pack(busy, shaw, meeting, tmp_path):
    run_document("statement", "CCIF/2026/cllr.shaw", "--out", str(tmp_path / "s.pdf"))
    assert "Left to pledge" in pdf_text((tmp_path / "s.pdf").read_bytes())
    run_document("panel-pack", f"PANEL-{meeting.pk}", "--out", str(tmp_path / "p.pdf"))
    assert "Abbey Meadow grants panel" in pdf_text((tmp_path / "p.pdf").read_bytes())


def test_the_command_writes_a_notice_by_the_decisions_number(approved, tmp_path):
    run_document("notice", f"{approved.application.reference}/1", "--out", str(tmp_path / "n.pdf"))
    assert "Decision Approved, £450.00" in flat(pdf_text((tmp_path / "n.pdf").read_bytes()))


@pytest.mark.parametrize(
    "kind, reference, message",
    [
        ("offer", "CCIF26-999999", "There is no application CCIF26-999999"),
        ("notice", "CCIF26-999999", "There is no application CCIF26-999999"),
        ("statement", "CCIF-2026-shaw", "write FUND/YEAR/USERNAME, such as CCIF/2026/cllr.shaw"),
        ("statement", "CCIF/2026/nobody", "There is no councillor with the username 'nobody'"),
        ("statement", "XYZ/2026/cllr.shaw", "There is no fund 'XYZ' in 2026/27"),
        ("panel-pack", "PANEL-999", "There is no panel meeting 999"),
        ("panel-pack", "next week", "give its number, such as 3 or PANEL-3"),
        ("memo", "anything", "There is no kind of document 'memo'"),
    ],
)
def test_the_command_explains_a_bad_reference(busy, shaw, kind, reference, message, tmp_path):
    with pytest.raises(CommandError, match=re.escape(message)):
        run_document(kind, reference, "--out", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_the_command_explains_an_offer_letter_that_does_not_exist(awaiting, tmp_path):
    with pytest.raises(CommandError, match="has not been approved: there is no offer letter"):
        run_document("offer", awaiting.reference, "--out", str(tmp_path / "x.pdf"))


# --- the letterhead, the shared kernel ------------------------------------------------------


def test_letterhead_prints_names_as_typed_whatever_their_characters(db):
    pdf = lh.render(
        [
            lh.address_block(["Tom & Jerry's <Club>", "1 Café Row"], reference="X-1"),
            lh.paragraph("Dear Tom & Jerry's <Club>,"),
            lh.key_values([("Group", "Tom & Jerry's <Club>"), ("Award", D("1234.50"))]),
        ],
        title="Test",
        reference="X-1",
    )
    text = flat(pdf_text(pdf))
    assert "Dear Tom & Jerry's <Club>," in text and "1 Café Row" in text
    assert "Award £1,234.50" in text


def test_letterhead_carries_the_councils_name_and_contact_details_from_its_settings(db):
    CouncilFactory(
        name="Borsetshire County Council",
        address="County Hall\nBorchester\nBC1 1AA",
        email="grants@borsetshire.example",
        phone="01632 961234",
    )
    text = flat(pdf_text(lh.render([lh.paragraph("Hello")], title="T", reference="R-1")))
    assert text.startswith("Borsetshire County Council County Hall Borchester BC1 1AA")
    assert "grants@borsetshire.example 01632 961234" in text


def test_letterhead_draws_the_councils_logo(db, tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 100), (0, 94, 165)).save(logo)
    council = CouncilFactory(logo=str(logo))
    pdf = lh.render([lh.paragraph("Hello")], title="T", reference="R-1")
    assert b"/Subtype /Image" in pdf
    council.logo = str(tmp_path / "missing.png")
    council.save()
    with pytest.raises(lh.LetterheadError, match="cannot be read"):
        lh.render([lh.paragraph("Hello")], title="T", reference="R-1")


def test_letterhead_embeds_its_font_and_gives_the_same_bytes_for_the_same_content():
    story = lambda: [lh.heading("Title"), lh.paragraph("Body")]  # noqa: E731
    first = lh.render(story(), title="T", reference="R-1")
    assert first == lh.render(story(), title="T", reference="R-1")
    assert b"/FontFile2" in first and b"LiberationSans" in first


def test_a_missing_font_is_explained(settings, tmp_path):
    settings.DOCUMENT_FONT_DIR = str(tmp_path)
    with pytest.raises(lh.LetterheadError, match="apt-get install fonts-liberation"):
        lh.font_dir()


def test_amounts_table_right_aligns_amounts_and_totals_them():
    table = lh.amounts_table(
        ["What", "Amount"], [["One", D("1.50")], ["Two", D("1000")]], total=D("1001.50")
    )
    assert table._cellvalues[1][1] == "£1.50" and table._cellvalues[3][1] == "£1,001.50"
    assert table._cellStyles[1][1].alignment == "RIGHT"
    assert table.repeatRows == 1


def test_masked_bank_account_shows_only_the_ends():
    assert lh.masked_bank_account("20-00-00", "12345678") == "20-**-** ****5678"


# --- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_group_officers_and_councillors_download_their_documents_from_their_pages(
    page, live_server, awaiting, officer2, officer, shaw, tmp_path
):
    from playwright.sync_api import expect

    from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in

    d.decision_record(  # committed: its documents are produced as it would be in use
        application=awaiting,
        by=officer2,
        outcome="approve",
        amount=D("450.00"),
        reasons="Good value for the ward.",
        conditions=CONDITIONS,
    )
    offer = stored("offer")[0]

    sign_in(page, live_server, "treasurer")
    page.goto(f"{live_server.url}/apply/applications/{awaiting.pk}/")
    expect(page.get_by_role("heading", name="Letters from the council")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "documents-group-status")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the offer letter (PDF)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == offer.filename and saved.read_bytes() == stored_content(offer)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/officer/applications/{awaiting.reference}/")
    expect(page.get_by_test_id("stored-documents")).to_contain_text(offer.sha256)
    assert serious_accessibility_violations(page) == []
    screenshot(page, "documents-officer-application")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "cllr.shaw")
    fund_year = awaiting.fund_year
    page.goto(f"{live_server.url}/budgets/CCIF/2026/councillors/{shaw.pk}/")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "documents-councillor-statement")
    page.set_viewport_size({"width": 320, "height": 800})
    assert fits_width(page)
    screenshot(page, "documents-councillor-statement-320")
    with page.expect_download() as download:
        page.get_by_test_id("statement-pdf").click()
    text = flat(pdf_text(open(download.value.path(), "rb").read()))
    assert f"Budget statement: {fund_year.fund.name} 2026/27" in text
