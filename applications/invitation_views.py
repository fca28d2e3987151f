"""The pages of membership by invitation: the page an invitation e-mail links to, where the person
it was sent to accepts or declines it, and a member withdrawing an invitation still waiting.

Who may: anyone holding the link sees which group it is from and how to answer (signing in, or
creating an account with the address first); only the person signed in with the invited
address answers it; only the group's members withdraw it (anyone else: 404, as for every record
of a group that is not theirs).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from applications import group_selectors, group_services
from applications.models import Invitation
from applications.views import own_organisation
from fundmgr import access
from fundmgr.errors import DomainError, InvalidInput


@access.public(writes=True)  # the token is the key: for whom it was e-mailed to, signed in or not
def invitation(request, token: str):
    """GET: what the invitation is and how to answer it. POST (signed in): accept or decline."""
    found = group_selectors.invitation_for_token(token)
    if found is None:
        return render(request, "applications/invitation.html", {"invitation": None}, status=404)
    refusal, status = group_services.open_refusal(found), 200
    if refusal is None and request.user.is_authenticated:
        refusal = group_services.invitee_refusal(found, request.user)
    if request.method == "POST" and request.user.is_authenticated:
        answer = request.POST.get("answer")
        try:
            if answer == "accept":
                membership = group_services.invitation_accept(token=token, by=request.user)
                messages.success(
                    request,
                    f"You are now a member of {found.organisation}: "
                    f"{membership.get_role_display()}.",
                )
                return redirect("applications:organisation", pk=found.organisation_id)
            if answer == "decline":
                group_services.invitation_decline(token=token, by=request.user)
                messages.success(
                    request, f"You have declined the invitation to join {found.organisation}."
                )
                return redirect("applications:groups_home")
            raise InvalidInput("Choose whether to accept or decline the invitation.")
        except DomainError as error:
            refusal, status = error.message, error.status_code
    return render(
        request,
        "applications/invitation.html",
        {"invitation": found, "refusal": refusal},
        status=status,
    )


@access.page(access.signed_in, access.signed_in)  # and a member of the group, else 404
@require_POST
def invitation_revoke(request, pk: int, invitation: int):
    org = own_organisation(request, pk)
    waiting = get_object_or_404(Invitation, organisation=org, pk=invitation)
    try:
        group_services.invitation_revoke(invitation=waiting, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"You have withdrawn the invitation to {waiting.email}. Its link no longer works.",
        )
    return redirect("applications:organisation_members", pk=org.pk)
