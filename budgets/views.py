from django.http import Http404
from django.shortcuts import render

from budgets import downloads, selectors
from budgets.models import Account, Councillor, FundYear
from fundmgr import access, exports
from fundmgr.errors import InvalidInput
from fundmgr.roles import sees_all_budgets


def _fund_year(code: str, year: int) -> FundYear:
    try:
        return selectors.fund_year(code, str(year))
    except InvalidInput as error:
        raise Http404(error.message) from None


@access.page(access.reads_budgets)
def index(request):
    """A councillor's budgets, or for officers every fund year."""
    terms = list(Councillor.objects.filter(user=request.user).select_related("ward"))
    officer = sees_all_budgets(request.user)
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


@access.page(access.reads_every_budget)
def overview(request, code: str, year: int):
    """Every councillor's balances in the fund year; `?download=csv|xlsx` gives them as a file."""
    fund_year = _fund_year(code, year)
    balances = selectors.overview(fund_year=fund_year)
    if fmt := exports.requested_format(request):
        return downloads.overview(balances, fmt)
    return render(request, "budgets/overview.html", {"fund_year": fund_year, "overview": balances})


@access.page(access.signed_in)
def statement(request, code: str, year: int, councillor: int):
    """A councillor's postings with the running balance, a page at a time, for them and for
    officers only; the download (`?download=csv|xlsx`), every posting, is read after the same
    check, so it is no way round it."""
    fund_year = _fund_year(code, year)
    member = Councillor.objects.select_related("ward", "user").filter(pk=councillor).first()
    if member is None or (member.user_id != request.user.pk and not sees_all_budgets(request.user)):
        raise Http404("There is no such budget statement.")  # another's: as if there were none
    if fmt := exports.requested_format(request):  # every posting, however many
        lines = selectors.statement(fund_year=fund_year, councillor=member)
        return downloads.statement(lines, fund_year, member, fmt)
    lines = selectors.statement(
        fund_year=fund_year, councillor=member, page=request.GET.get("page") or 1
    )
    return render(
        request,
        "budgets/statement.html",
        {"fund_year": fund_year, "councillor": member, "statement": lines},
    )
