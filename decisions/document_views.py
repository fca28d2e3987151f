"""Downloads of the council's documents, each for those allowed to see it, as attachments.

- offer letters and decision notices: the applicant group's members, and council officers;
  anyone else is told there is no such application (404), as the group's own pages do;
- budget statements: the councillor themself, and officers and auditors (403 for others);
- panel packs: grants officers, auditors and the panel's members (403 for others).

Offer letters and notices are served as they were stored when the decision was made (or
produced now, byte for byte the same, if none was). Statements and panel packs follow records that
change: each is served as stored if the stored version says what the records say now, otherwise
the worker is asked to make it and the page says it is being prepared
(`fundmgr.documents.document_prepared`). These views live in `decisions`, the one app that may
import all three (a statement is `budgets`' document, an offer letter `applications`').
"""

from __future__ import annotations

from django.apps import apps
from django.http import Http404
from django.shortcuts import get_object_or_404

from applications.models import Application
from budgets.documents import statement_digest, statement_document
from budgets.models import Councillor
from budgets.selectors import fund_year as find_fund_year
from decisions import documents, selectors
from decisions.models import Decision, PanelMeeting
from decisions.panel_pack import PANEL_PACK, panel_pack_digest, panel_pack_document
from fundmgr import access, councils
from fundmgr.documents import document_prepared, document_response
from fundmgr.errors import InvalidInput, Refused
from fundmgr.models import Document

# Council officers and auditors read every document (fundmgr.access).
is_officer = access.reads_every_budget


def may_see_application(user, app: Application) -> bool:
    return is_officer(user) or app.organisation.members.filter(pk=user.pk).exists()


def _application(user, reference: str) -> Application:
    app = Application.objects.select_related("organisation").filter(reference=reference).first()
    if app is None or not may_see_application(user, app):
        raise Http404(f"There is no application {reference}.")
    return app


def _may_see_statement(user, councillor: Councillor) -> bool:
    return councillor.user_id == user.pk or access.reads_every_budget(user)


@access.page(access.signed_in)
def offer_letter(request, reference: str):
    app = _application(request.user, reference)
    try:
        document = documents.offer_letter(application=app, by=request.user)
    except Refused as error:
        raise Http404(error.message) from None
    return document_response(document)


@access.page(access.signed_in)
def decision_notice(request, reference: str, decision: int):
    app = _application(request.user, reference)
    found = get_object_or_404(Decision, pk=decision, application=app)
    return document_response(documents.decision_notice(decision=found, by=request.user))


@access.page(access.signed_in)
def statement(request, code: str, year: int, councillor: int):
    member = Councillor.objects.select_related("user", "ward").filter(pk=councillor).first()
    if member is None or not _may_see_statement(request.user, member):
        raise Http404("There is no such budget statement.")  # not theirs: as if none
    try:
        fund_year = find_fund_year(code, str(year))
    except InvalidInput as error:
        raise Http404(error.message) from None
    digest = statement_digest(fund_year=fund_year, councillor=member)
    return document_prepared(
        request,
        task=statement_document,
        args=[fund_year.pk, member.pk, digest],
        what="budget statement",
    )


@access.page(access.signed_in)
def panel_pack(request, pk: int):
    meeting = PanelMeeting.objects.select_related("fund").filter(pk=pk).first()
    if meeting is None or not selectors.may_see_meeting(request.user, meeting):
        raise Http404("There is no such panel meeting.")  # not theirs: as if none
    return document_prepared(
        request,
        task=panel_pack_document,
        args=[meeting.pk, panel_pack_digest(meeting)],
        what="panel pack",
    )


def may_see_document(user, document: Document) -> bool:
    """Whether `user` may download this stored version: the rule of its kind."""
    kind, _, ident = document.key.partition(":")
    if document.kind in (documents.OFFER, documents.NOTICE):
        app = Application.objects.filter(reference=document.reference).first()
        return app is not None and may_see_application(user, app)
    if document.kind == "statement" and kind == "statement":
        councillor_id = ident.rsplit(":", 1)[-1]
        member = Councillor.objects.filter(pk=councillor_id).first()
        return member is not None and _may_see_statement(user, member)
    if document.kind == PANEL_PACK and kind == "meeting":
        meeting = PanelMeeting.objects.filter(pk=ident).first()
        return meeting is not None and selectors.may_see_meeting(user, meeting)
    # Other kinds (remittances, clawback requests, answers copies, reconciliations): council
    # staff, and only the council's whose record the document is about.
    return is_officer(user) and _about_this_council(kind, ident)


# For the kinds of document whose key names a council's record ("run-line:12"): where the record
# is (a Document is the whole service's; its record says whose it is).
SUBJECTS = {
    "run-line": ("budgets", "PaymentRunLine", "pk"),
    "clawback": ("budgets", "Clawback", "pk"),
    "application": ("applications", "Application", "reference"),
    "bank-reconciliation": ("finance", "BankReconciliation", "pk"),
}


def _about_this_council(kind: str, ident: str) -> bool:
    """Whether the record a document's key names is the council's in scope (any council's, for
    the service administrator's scope). A key that names no record of a council (or one whose
    app is not installed) is no council's: only service-wide."""
    if councils.service_wide():
        return True
    if kind == "reconciliation":  # reconciliation:<council id>:<year label>
        return ident.split(":", 1)[0] == str(councils.current_id())
    subject = SUBJECTS.get(kind)
    if subject is None or not apps.is_installed(subject[0]):
        return False
    app_label, model_name, field = subject
    value = ident.split(":", 1)[0]
    if field == "pk" and not value.isdigit():
        return False
    model = apps.get_model(app_label, model_name)
    return model._default_manager.filter(**{field: value}).exists()


@access.page(access.signed_in)
def stored_document(request, pk: int):
    """One stored version, exactly as it was produced."""
    document = get_object_or_404(Document, pk=pk)
    if not may_see_document(request.user, document):
        raise Http404("There is no such document.")
    return document_response(document)
