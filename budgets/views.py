from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from budgets import selectors
from budgets.models import Account, Councillor, FundYear
from fundmgr.errors import InvalidInput
from fundmgr.roles import sees_all_budgets


def _fund_year(code: str, year: int) -> FundYear:
    try:
        return selectors.fund_year(code, str(year))
    except InvalidInput as error:
        raise Http404(error.message) from None


@login_required
def index(request):
    """A councillor's budgets, or for officers every fund year."""
    terms = list(Councillor.objects.filter(user=request.user).select_related("ward"))
    officer = sees_all_budgets(request.user)
    if not terms and not officer:
        raise PermissionDenied("You have no budgets to see.")
    mine = (
        Account.objects.filter(kind=Account.Kind.ALLOCATION, councillor__in=terms)
        .select_related("fund_year__fund", "fund_year__year", "councillor__ward")
        .order_by("-fund_year__year__start", "fund_year__fund__name")
    )
    fund_years = (
        FundYear.objects.select_related("fund", "year").order_by("-year__start", "fund__name")
        if officer
        else FundYear.objects.none()
    )
    return render(
        request,
        "budgets/index.html",
        {"allocations": mine, "fund_years": fund_years, "officer": officer},
    )


@login_required
def overview(request, code: str, year: int):
    if not sees_all_budgets(request.user):
        raise PermissionDenied("Only council officers can see every councillor's balances.")
    fund_year = _fund_year(code, year)
    return render(
        request,
        "budgets/overview.html",
        {"fund_year": fund_year, "overview": selectors.overview(fund_year=fund_year)},
    )


@login_required
def statement(request, code: str, year: int, councillor: int):
    fund_year = _fund_year(code, year)
    member = get_object_or_404(Councillor.objects.select_related("ward", "user"), pk=councillor)
    if member.user_id != request.user.pk and not sees_all_budgets(request.user):
        raise PermissionDenied("You can see only your own budget statement.")
    return render(
        request,
        "budgets/statement.html",
        {
            "fund_year": fund_year,
            "councillor": member,
            "statement": selectors.statement(fund_year=fund_year, councillor=member),
        },
    )
