"""A copy of the answers a group sent: a PDF of what they saw on Check your answers, for their
records.

It is made when the application is submitted (`applications.services` attaches it to the
confirmation e-mail) and kept by `fundmgr.documents` as kind "answers", one version per
submission, so the copy a group downloads later is the one they sent, even after an officer
returns the application and the group changes it. The group's members and the officers who read
every application download it from /apply/applications/<pk>/answers.pdf. reportlab (through
`fundmgr.letterhead`) is imported when a copy is built, never at start-up.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from applications.models import Application, TransitionLog
from applications.workflow import Status
from fundmgr import access
from fundmgr.documents import document_kind, document_response, document_store, latest
from fundmgr.errors import InvalidInput, Refused
from fundmgr.models import Document, User
from fundmgr.money import pounds

KIND = "answers"

log = logging.getLogger(__name__)

# What the group confirmed by pressing "Submit application" (applications/check_answers.html).
DECLARATION = (
    "By submitting this application you confirmed that, to the best of your knowledge, the "
    "details you gave are correct, and that you may apply on behalf of {organisation}."
)


def answers_key(app: Application) -> str:
    return f"application:{app.reference}"


def _submission(app: Application) -> TransitionLog | None:
    """The step that sent the answers this copy is of: the latest submission."""
    return app.transitions.filter(transition="submit").select_related("by").order_by("-pk").first()


def submitted_at(app: Application) -> datetime.datetime | None:
    log = _submission(app)
    return log.at if log is not None else app.submitted_at


def _when(moment: datetime.datetime | None) -> str:
    """4 December 2026 at 10:05am, in UK time."""
    if moment is None:
        return "Not submitted"
    local = timezone.localtime(moment)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email or user.username


def _kept_together(*flowables):
    """A heading and its short table on one page, so that neither the heading nor the total is
    left alone; a table longer than a page still breaks between rows."""
    from reportlab.platypus import KeepTogether

    return KeepTogether(list(flowables))


def _help_sentence(app: Application) -> str:
    from fundmgr import council_settings

    contact = council_settings.help_contact(council_settings.council_for(app))
    how = " or ".join(part for part in (contact.get("email"), contact.get("phone")) if part)
    hours = f" ({contact['hours']})" if contact.get("hours") else ""
    return (
        f"If you have a question, contact the {contact.get('name') or 'grants team'} at "
        f"{how}{hours}, quoting {app.reference}."
    )


def answers_copy_story(app: Application):
    """The answers as Check your answers showed them, section by section."""
    from fundmgr import letterhead as lh

    fy = app.fund_year
    org = app.organisation
    log = _submission(app)
    sent = log.at if log is not None else app.submitted_at
    lines = list(app.budget_lines.all())
    sources = list(app.match_funding_sources.all())
    documents = list(app.attachments.all())
    wards = [str(ward) for ward in app.wards.all()]
    story = [
        lh.heading("A copy of your answers"),
        lh.paragraph(
            f"This is the application {org.name} sent to {lh.council(app).name} for the "
            f"{fy.fund.name} {fy.year.label}. Keep it for your records.",
            style="lead",
        ),
        lh.key_values(
            [
                ("Reference", app.reference),
                ("Fund", f"{fy.fund.name} {fy.year.label}"),
                ("Organisation", org.name),
                ("Submitted", _when(sent)),
                *([("Submitted by", _person(log.by))] if log is not None and log.by else []),
            ]
        ),
        lh.heading("About your project", 2),
        lh.key_values(
            [
                ("Project title", app.title or "Not answered"),
                ("What the money is for", app.purpose or "Not answered"),
                ("Wards that benefit", "\n".join(wards) or "Not answered"),
                (
                    "People who will benefit",
                    "Not answered" if app.people_benefiting is None else str(app.people_benefiting),
                ),
            ]
        ),
        lh.heading("Dates", 2),
        lh.key_values(
            [
                ("Project starts", lh.long_date(app.project_start) or "Not answered"),
                ("Project ends", lh.long_date(app.project_end) or "Not answered"),
            ]
        ),
    ]
    if lines:
        story.append(
            _kept_together(
                lh.heading("Costs", 2),
                lh.amounts_table(
                    ["What you will spend it on", "Cost"],
                    [[line.item, line.cost] for line in lines],
                    total=sum((line.cost for line in lines), Decimal("0.00")),
                ),
            )
        )
    else:
        story += [lh.heading("Costs", 2), lh.paragraph("No costs were given.")]
    story += [
        lh.space(2),
        lh.key_values(
            [
                ("Total cost of the project", pounds(app.total_cost) or "Not answered"),
                ("Amount asked for", pounds(app.amount_requested) or "Not answered"),
            ]
        ),
    ]
    if sources:
        story.append(
            _kept_together(
                lh.heading("Other funding", 2),
                lh.amounts_table(
                    ["Where it comes from", "Secured", "Amount"],
                    [[s.source, "Yes" if s.secured else "Not yet", s.amount] for s in sources],
                    widths=[0.56, 0.2, 0.24],
                    amounts=[2],
                    total=sum((s.amount for s in sources), Decimal("0.00")),
                ),
            )
        )
    else:
        story += [lh.heading("Other funding", 2), lh.paragraph("None.")]
    story.append(lh.heading("Documents", 2))
    if documents:
        story += lh.bullets(doc.description for doc in documents)
    else:
        story.append(lh.paragraph("None."))
    story += [
        lh.heading("Declaration", 2),
        lh.paragraph(DECLARATION.format(organisation=org.name)),
        lh.space(2),
        lh.paragraph(_help_sentence(app), style="small"),
    ]
    return story


def answers_copy_pdf(app: Application) -> bytes:
    from fundmgr import letterhead as lh

    return lh.render(
        answers_copy_story(app),
        title=f"A copy of your answers: {app.reference}",
        reference=app.reference,
        council=app,
    )


def _loaded(pk: int) -> Application:
    """Everything the copy prints, in a fixed number of queries."""
    return (
        Application.objects.select_related("organisation", "fund_year__fund", "fund_year__year")
        .prefetch_related("wards", "budget_lines", "match_funding_sources", "attachments")
        .get(pk=pk)
    )


def answers_copy_produce(*, application: Application, by: User | None = None) -> Document:
    """Build and keep the copy of a submitted application's answers (Refused for a draft that
    was never sent): a new version when the answers differ from the last one kept."""
    app = _loaded(application.pk)
    if app.status == Status.DRAFT and _submission(app) is None:
        raise Refused(f"{app.reference} has not been submitted: there is no copy of it yet.")
    return document_store(
        kind=KIND,
        reference=app.reference,
        key=answers_key(app),
        description=f"A copy of the answers sent for {app.reference}",
        content=answers_copy_pdf(app),
        by=by,
    )


def answers_copy_for_email(application: Application, by: User | None) -> Document | None:
    """The copy to attach to the confirmation e-mail; None, logged, if it cannot be made (a
    font missing from the server, say): the submission must not fail for want of its copy,
    which the group can still download once the fault is put right."""
    try:
        with transaction.atomic():
            return answers_copy_produce(application=application, by=by)
    except Exception:  # noqa: BLE001 - any fault making a PDF; the submission goes on
        log.exception("Could not make the copy of the answers for %s", application.reference)
        return None


def answers_copy(application: Application) -> Document:
    """The copy kept when the application was last submitted; made now if none was kept (an
    application sent before copies were kept)."""
    return latest(KIND, answers_key(application)) or answers_copy_produce(application=application)


def was_sent(application: Application) -> bool:
    """Whether there are answers the group sent to have a copy of."""
    return application.status != Status.DRAFT or application.submitted_at is not None


def answers_copy_kept(application: Application) -> Document | None:
    """The copy kept at the last submission, for a page to link to; None if none was kept."""
    return latest(KIND, answers_key(application)) if was_sent(application) else None


# --- the download --------------------------------------------------------------------------


def readable_by(user: User):
    """The applications whose copy this person may download: their groups' own, or every one for
    the officers who read every application. Anyone else gets 404, as for no such page."""
    if access.reads_applications(user):
        return Application.objects.all()
    return Application.objects.filter(Q(organisation__membership__user=user)).distinct()


@access.page(access.signed_in)
def download(request, pk: int) -> FileResponse:
    app = get_object_or_404(readable_by(request.user), pk=pk)
    try:
        document = answers_copy(app)
    except Refused:
        raise Http404("This application has not been sent: there is no copy of it yet.") from None
    return document_response(document)


# --- manage.py document answers REFERENCE ----------------------------------------------------


def _produce(reference: str, fresh: bool) -> Document:
    app = Application.objects.filter(reference=reference.strip().upper()).first()
    if app is None:
        raise InvalidInput(
            f"There is no application {reference}: give its reference, such as CCIF26-000123."
        )
    return answers_copy_produce(application=app) if fresh else answers_copy(app)


def register() -> None:
    document_kind(KIND, "an application's reference, such as CCIF26-000123", _produce)
