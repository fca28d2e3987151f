"""Who may read which applications and organisations: one answer for the API, the pages that
hand out a group's uploaded files, and anything else that must agree with the pages.

A group member reads their own organisations' applications, a councillor the bids of their wards
(and any they answered), a panel member the bids on their panels' agendas, a finance officer the
grants awarded, grants officers and auditors everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from applications import rules
from applications.councillor_selectors import current_terms, is_councillor, visible_bids
from applications.group_selectors import applications_for, organisations_for
from applications.models import Application, KnownOrganisation, Organisation
from fundmgr import access
from fundmgr.roles import Role, has_role

if TYPE_CHECKING:
    from fundmgr.models import User


def visible_applications(user: User) -> QuerySet[Application]:
    """The applications this person may read, by the same rules as their pages."""
    if access.reads_applications(user):
        return Application.objects.all()
    mine = Q(pk__in=applications_for(user).order_by().values("pk"))
    if is_councillor(user):
        terms = current_terms(user, rules.today())
        mine |= Q(pk__in=visible_bids(user, terms).order_by().values("pk"))
    if has_role(user, Role.PANEL_MEMBER):
        # Through the relation decisions' PanelItem gives an application (application.panel_items):
        # applications does not import decisions.
        on_my_panels = Application.objects.filter(panel_items__meeting__panelmembership__user=user)
        mine |= Q(pk__in=on_my_panels.order_by().values("pk"))
    if has_role(user, Role.FINANCE_OFFICER):
        mine |= Q(amount_awarded__isnull=False)  # the grants finance pays
    return Application.objects.filter(mine)


def organisations_here() -> QuerySet[Organisation]:
    """The groups of the council in scope: those that have applied to it, named one of its
    wards, or are on its own list (imported: `KnownOrganisation`); every group, for the whole
    service. A group's profile, bank details and members are shared by the councils it applies
    to, and seen by their officers only."""
    from budgets.models import Ward
    from fundmgr import councils

    if councils.service_wide():
        return Organisation.objects.all()
    applied = Application.objects.order_by().values("organisation_id")
    known = KnownOrganisation.objects.order_by().values("organisation_id")
    return Organisation.objects.filter(
        Q(pk__in=applied) | Q(ward__in=Ward.objects.order_by().values("pk")) | Q(pk__in=known)
    )


def visible_organisations(user: User) -> QuerySet[Organisation]:
    if user.is_superuser or has_role(user, Role.GRANTS_OFFICER, Role.FINANCE_OFFICER, Role.AUDITOR):
        return organisations_here().select_related("ward").order_by("name", "pk")
    return organisations_for(user)
