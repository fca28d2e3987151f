"""The community-group pages before an application: the start page and home, signing up, the
eligibility checker, and the organisation with its members and bank details.

Views check who may see what, build a form and call a service; a refusal (DomainError) is shown
in the form's error summary. A person reaches only their own organisations' records.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from applications import eligibility, group_selectors, group_services, organisations
from applications.models import Organisation
from applications.organisation_forms import (
    BankDetailsForm,
    EligibilityForm,
    InviteForm,
    OrganisationForm,
    OrganisationNewForm,
    RegisterForm,
)
from applications.views import PAGE_SIZE, own_organisation, posted
from fundmgr import access
from fundmgr.account_views import CHECK_EMAIL_SESSION_KEY
from fundmgr.accounts import account_sign_up
from fundmgr.errors import DomainError
from fundmgr.forms import add_refusal

# --- start, sign-up and home ----------------------------------------------------------------


@access.public
def groups_home(request):
    """Signed out: the start page of the service. Signed in: the person's organisations and
    their applications, each with what it needs next."""
    if not request.user.is_authenticated:
        funds = [(fy, eligibility.scheme(fy)) for fy in eligibility.open_fund_years()]
        return render(request, "applications/start.html", {"funds": funds})
    orgs = list(group_selectors.organisations_for(request.user))
    page = Paginator(group_selectors.applications_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(app, group_selectors.needs_next(app)) for app in page]
    return render(
        request,
        "applications/home.html",
        {"organisations": orgs, "page": page, "rows": rows},
    )


@access.public(writes=True)
def register(request):
    if request.user.is_authenticated:
        return redirect("applications:groups_home")
    form = RegisterForm(posted(request))
    if request.method == "POST" and form.is_valid():
        # The same answer whether or not the address has an account: fundmgr.accounts e-mails
        # a confirmation link, or tells the address's owner someone tried.
        data = form.cleaned_data
        account_sign_up(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            password=data["password1"],
            site=request.build_absolute_uri("/"),
        )
        request.session[CHECK_EMAIL_SESSION_KEY] = data["email"].strip().lower()
        return redirect("account_check_email")
    return render(request, "applications/register.html", {"form": form})


# --- eligibility ----------------------------------------------------------------------------


@access.public
def eligibility_questions(request):
    """The questions; coming back to change them, the earlier answers are filled in."""
    form = EligibilityForm(initial=request.GET.dict())
    return render(request, "applications/eligibility.html", {"form": form})


@access.public
def eligibility_results(request):
    form = EligibilityForm(request.GET)
    if not form.is_valid():
        return render(request, "applications/eligibility.html", {"form": form})
    data = form.cleaned_data
    answers = eligibility.Answers(
        kind=data["kind"],
        ward=data["ward"],
        amount=data["amount"],
        capital=data["capital"] == "yes",
    )
    # Kept for the application the person may go on to start (views.before_you_start).
    eligibility.remember(request.session, answers)
    return render(
        request,
        "applications/eligibility_results.html",
        {
            "answers": answers,
            "kind_label": Organisation.Kind(answers.kind).label,
            "result": eligibility.check(answers),
        },
    )


# --- organisations --------------------------------------------------------------------------


@access.page(access.signed_in, access.signed_in)
def organisation_new(request):
    form = OrganisationNewForm(posted(request))
    if request.method == "POST" and form.is_valid():
        role = form.cleaned_data["role"]
        try:
            org = organisations.organisation_create(by=request.user, role=role, **form.profile())
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, f"{org} is registered. {organisations.your_role_sentence(role)}"
            )
            return redirect("applications:organisation", pk=org.pk)
    return render(request, "applications/organisation_form.html", {"form": form, "org": None})


@access.page(access.signed_in)
def organisation_detail(request, pk: int):
    org = own_organisation(request, pk)
    return render(
        request,
        "applications/organisation.html",
        {
            "org": org,
            "members": group_selectors.members(org),
            "bank": group_selectors.latest_bank_account(org),
            "my_role": group_selectors.role_label(org.my_role),
            "my_role_sentence": organisations.your_role_sentence(org.my_role)
            if org.my_role
            else "",
        },
    )


@access.page(access.signed_in, access.signed_in)
def organisation_edit(request, pk: int):
    org = own_organisation(request, pk)
    form = OrganisationForm(posted(request), instance=org)
    if request.method == "POST" and form.is_valid():
        try:
            organisations.organisation_update(organisation=org, by=request.user, **form.profile())
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Your organisation’s details have been saved.")
            return redirect("applications:organisation", pk=org.pk)
    org.refresh_from_db()  # the form changed the instance in memory: show the saved name
    return render(request, "applications/organisation_form.html", {"form": form, "org": org})


@access.page(access.signed_in, access.signed_in)
def organisation_members(request, pk: int):
    """The group's members and the invitations waiting for an answer; a member invites someone
    by e-mail address. The answer is the same whoever the address belongs to, or if nobody has
    an account with it: the invitation says how to create one."""
    org = own_organisation(request, pk)
    form = InviteForm(posted(request))
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            group_services.member_invite(
                organisation=org,
                email=email,
                role=form.cleaned_data["role"],
                by=request.user,
                site=request.build_absolute_uri("/"),
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(request, group_services.invitation_sent_message(org, email))
            return redirect("applications:organisation_members", pk=org.pk)
    return render(
        request,
        "applications/members.html",
        {
            "org": org,
            "members": group_selectors.members(org),
            "invitations": group_selectors.pending_invitations(org),
            "form": form,
        },
    )


@access.page(access.signed_in, access.signed_in)
def bank_details(request, pk: int):
    org = own_organisation(request, pk)
    current = group_selectors.latest_bank_account(org)
    form = BankDetailsForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            organisations.bank_account_change(
                organisation=org, by=request.user, **form.cleaned_data
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                "Your bank details have been saved. The council will check them before it pays "
                "anything into the account.",
            )
            return redirect("applications:organisation", pk=org.pk)
    return render(
        request, "applications/bank_details.html", {"org": org, "current": current, "form": form}
    )
