"""The panel pack: the agenda of a grants panel meeting, then one page for each application on
it (summary, budget, pledges, the officer's recommendation, declarations of interest).

Produced when an officer or a member of the panel asks for it, as the agenda stands then, by a
background task (`panel_pack_document`), and stored like every document (reference
`PANEL-<meeting id>`).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch

from applications.models import Pledge
from decisions.models import Assessment, PanelItem, PanelMeeting, PanelMembership
from fundmgr.documents import document_store, story_digest
from fundmgr.errors import InvalidInput
from fundmgr.models import Document, User
from fundmgr.money import pounds
from fundmgr.tasks import background

PANEL_PACK = "panel-pack"
ZERO = Decimal("0.00")


def panel_reference(meeting: PanelMeeting) -> str:
    return f"PANEL-{meeting.pk}"


def meeting_for_reference(text: str) -> PanelMeeting:
    """The meeting `3` or `PANEL-3`; InvalidInput saying what is wrong."""
    raw = (text or "").strip().upper().removeprefix("PANEL-")
    if not raw.isdigit():
        raise InvalidInput(
            f"'{text}' is not a panel meeting: give its number, such as 3 or PANEL-3."
        )
    meeting = PanelMeeting.objects.select_related("fund").filter(pk=int(raw)).first()
    if meeting is None:
        raise InvalidInput(f"There is no panel meeting {int(raw)}.")
    return meeting


def _items(meeting: PanelMeeting) -> list[PanelItem]:
    """The agenda with everything the pack prints: a fixed number of queries."""
    return list(
        PanelItem.objects.filter(meeting=meeting)
        .select_related(
            "application__organisation",
            "application__fund_year__fund",
            "application__fund_year__year",
        )
        .prefetch_related(
            "application__wards",
            "application__budget_lines",
            "application__match_funding_sources",
            Prefetch(
                "application__pledges",
                queryset=Pledge.objects.exclude(status=Pledge.Status.WITHDRAWN)
                .select_related("councillor__ward")
                .order_by("pk"),
            ),
            "application__declarations__user",
            Prefetch(
                "application__assessments",
                queryset=Assessment.objects.select_related("assessor").order_by("pk"),
            ),
        )
        .order_by("position")
    )


def _recommendation(assessment: Assessment | None) -> str:
    if assessment is None:
        return "None"
    text = assessment.get_recommendation_display()
    if assessment.recommended_amount:
        text += f", {pounds(assessment.recommended_amount)}"
    return text


def _agenda(meeting: PanelMeeting, seats: list[PanelMembership], items: list[PanelItem]):
    from fundmgr import letterhead as lh

    members = ", ".join(str(seat.user) for seat in seats) or "None named"
    rows = []
    for item in items:
        app = item.application
        assessments = list(app.assessments.all())
        latest = assessments[-1] if assessments else None
        rows.append(
            [
                str(item.position),
                app.reference,
                f"{app.organisation.name}: {app.title}",
                app.amount_requested or ZERO,
                latest.recommended_amount
                if latest and latest.recommended_amount
                else _recommendation(latest),
            ]
        )
    story = [
        lh.heading(meeting.title),
        lh.key_values(
            [
                ("Fund", meeting.fund.name),
                ("Date", lh.long_date(meeting.date)),
                ("Quorum", f"{meeting.quorum} members without an interest in the item"),
                ("Members", members),
            ]
        ),
        lh.heading("Agenda", 2),
        lh.paragraph(
            "Members declare any interest before each item. A member with a disclosable "
            "pecuniary interest or another registrable interest in an application takes no part "
            "in its discussion or decision."
        ),
    ]
    if rows:
        story.append(
            lh.amounts_table(
                ["Item", "Reference", "Applicant and project", "Requested", "Recommended"],
                rows,
                widths=[0.07, 0.17, 0.44, 0.16, 0.16],
                amounts=[3, 4],
                total=sum((r[3] for r in rows), ZERO),
                total_label="Total requested",
                total_column=3,
            )
        )
    else:
        story.append(lh.paragraph("Nothing is on the agenda yet."))
    return story


def _item_page(item: PanelItem):
    from fundmgr import letterhead as lh

    app = item.application
    org = app.organisation
    fy = app.fund_year
    pledges = list(app.pledges.all())
    assessments = list(app.assessments.all())
    latest = assessments[-1] if assessments else None
    registered = [
        f"{label} number {number}"
        for label, number in (("Charity", org.charity_number), ("Company", org.company_number))
        if number
    ]
    pledged = sum((p.amount for p in pledges if p.status == Pledge.Status.PLEDGED), ZERO)
    summary = [
        ("Organisation", "\n".join([org.name, org.get_kind_display(), *registered])),
        ("Wards that benefit", ", ".join(w.name for w in app.wards.all()) or "None given"),
        ("What it is for", app.purpose or "Not given"),
        (
            "Project dates",
            f"{lh.long_date(app.project_start)} to {lh.long_date(app.project_end)}"
            if app.project_start and app.project_end
            else "Not given",
        ),
    ]
    if app.people_benefiting:
        summary.append(("People who benefit", str(app.people_benefiting)))
    summary += [
        ("Amount requested", app.amount_requested or ZERO),
        ("Total cost", app.total_cost or ZERO),
        ("Other funding", app.match_funding),
    ]
    if fy.uses_allocations:
        summary.append(("Pledged by councillors", pledged))
    lines = list(app.budget_lines.all())
    story = [
        lh.PageBreak(),
        lh.paragraph(f"Item {item.position}", style="small"),
        lh.heading(f"{app.reference}: {org.name}"),
        lh.paragraph(app.title, style="lead"),
        lh.key_values(summary),
        lh.heading("Budget", 2),
        lh.amounts_table(
            ["Item", "Cost"],
            [[line.item, line.cost] for line in lines],
            amounts=[1],
            total=sum((line.cost for line in lines), ZERO),
        )
        if lines
        else lh.paragraph("No budget lines were given."),
    ]
    sources = list(app.match_funding_sources.all())
    if sources:
        story += [
            lh.heading("Match funding", 2),
            lh.amounts_table(
                ["Source", "Secured", "Amount"],
                [[s.source, "Yes" if s.secured else "Not yet", s.amount] for s in sources],
                amounts=[2],
                total=sum((s.amount for s in sources), ZERO),
            ),
        ]
    story.append(lh.heading("Councillor support", 2))
    if pledges and fy.uses_allocations:
        story.append(
            lh.amounts_table(
                ["Councillor", "Response", "Statement", "Pledged"],
                [
                    [
                        f"{p.councillor}\n{p.councillor.ward} ward",
                        p.get_status_display(),
                        p.statement,
                        p.amount,
                    ]
                    for p in pledges
                ],
                widths=[0.24, 0.14, 0.46, 0.16],
                amounts=[3],
            )
        )
    elif pledges:  # support without money: the fund is paid from the central pot
        story.append(
            lh.amounts_table(
                ["Councillor", "Response", "Statement"],
                [
                    [
                        f"{p.councillor}\n{p.councillor.ward} ward",
                        p.get_status_display(),
                        p.statement,
                    ]
                    for p in pledges
                ],
                widths=[0.26, 0.16, 0.58],
            )
        )
    else:
        story.append(lh.paragraph("No councillor has responded."))
    story.append(lh.heading("Officer's recommendation", 2))
    if latest is None:
        story.append(lh.paragraph("Not assessed."))
    else:
        story.append(
            lh.key_values(
                [
                    ("Recommendation", _recommendation(latest)),
                    ("Assessed by", f"{latest.assessor}, {lh.long_date(latest.created_at)}"),
                    ("Assessment", latest.notes),
                ]
            )
        )
    story.append(lh.heading("Declarations of interest", 2))
    declarations = list(app.declarations.all())
    if declarations:
        story += lh.bullets(
            f"{d.user}: {d.get_kind_display().lower()}. {d.details}" for d in declarations
        )
    else:
        story.append(lh.paragraph("None declared."))
    return story


def panel_pack_story(meeting: PanelMeeting) -> list:
    seats = list(
        PanelMembership.objects.filter(meeting=meeting).select_related("user").order_by("pk")
    )
    items = _items(meeting)
    story = _agenda(meeting, seats, items)
    for item in items:
        story += _item_page(item)
    return story


def panel_pack_pdf(meeting: PanelMeeting) -> bytes:
    from fundmgr import letterhead as lh

    return lh.render(
        panel_pack_story(meeting),
        title=f"Panel pack: {meeting.title}",
        reference=panel_reference(meeting),
        council=meeting,
    )


def panel_pack_digest(meeting: PanelMeeting) -> str:
    """What the pack says now (`story_digest`): a new digest once the agenda, an assessment or a
    pledge changes."""
    return story_digest(meeting.title, panel_reference(meeting), panel_pack_story(meeting))


def panel_pack_produce(*, meeting: PanelMeeting, by: User | None = None) -> Document:
    return document_store(
        kind=PANEL_PACK,
        reference=panel_reference(meeting),
        key=f"meeting:{meeting.pk}",
        description=f"Panel pack for {meeting}",
        content=panel_pack_pdf(meeting),
        by=by,
    )


@background()
def panel_pack_document(meeting_id: int, digest: str) -> int:
    """The task a download asks for: the pack as the agenda stands, stored (once per distinct
    content). `digest` is what the download asked for (`panel_pack_digest`); returns the stored
    document's id."""
    meeting = PanelMeeting.objects.select_related("fund").get(pk=meeting_id)
    return panel_pack_produce(meeting=meeting).pk
