"""Who sees which figures on the dashboards, and what the figures are filtered by.

Council officers (grants, finance, administrators) and auditors see every ward and councillor.
A councillor sees the grants of the ward (or wards) they represent and their own allocations,
never a colleague's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from applications.councillor_selectors import terms_of
from applications.models import Application
from budgets.models import FinancialYear, Fund
from fundmgr import access
from fundmgr.roles import sees_all_budgets


@dataclass(frozen=True)
class Scope:
    wards: frozenset[int] | None  # None: every ward
    councillors: frozenset[int] | None  # None: every councillor, and the central pot
    label: str

    @property
    def everything(self) -> bool:
        return self.wards is None


EVERYTHING = Scope(wards=None, councillors=None, label="every ward")


may_see_dashboards = access.reads_dashboards


def scope_for(user) -> Scope | None:
    """What the person may see, or None if they may not see the dashboards at all."""
    if not user.is_authenticated:
        return None
    if sees_all_budgets(user):
        return EVERYTHING
    terms = terms_of(user)
    if not terms:
        return None
    names = sorted({t.ward.name for t in terms})
    return Scope(
        wards=frozenset(t.ward_id for t in terms),
        councillors=frozenset(t.pk for t in terms),
        label=" and ".join(names),
    )


@dataclass(frozen=True)
class Filters:
    year: FinancialYear | None = None  # None: every year
    fund: Fund | None = None

    def applications(self, scope: Scope) -> QuerySet[Application]:
        """Applications under the filters, of the scope's wards: one row each, however many of
        its wards the scope holds."""
        apps = Application.objects.all()
        if self.year is not None:
            apps = apps.filter(fund_year__year=self.year)
        if self.fund is not None:
            apps = apps.filter(fund_year__fund=self.fund)
        if not scope.everything:
            through = Application.wards.through.objects.filter(ward_id__in=scope.wards)
            apps = apps.filter(pk__in=through.values("application_id"))
        return apps

    def fund_years(self, prefix: str = "account__") -> Q:
        """Rows whose fund year (reached through `prefix`) is under the filters."""
        q = Q()
        if self.year is not None:
            q &= Q(**{f"{prefix}fund_year__year": self.year})
        if self.fund is not None:
            q &= Q(**{f"{prefix}fund_year__fund": self.fund})
        return q

    @property
    def describe(self) -> str:
        parts = [self.fund.name if self.fund else "every fund"]
        parts.append(self.year.label if self.year else "every year")
        return ", ".join(parts)


def current_year() -> FinancialYear | None:
    """The financial year that holds today, or else the latest one set up."""
    today = timezone.localdate()
    found = FinancialYear.objects.filter(start=FinancialYear.start_for(today)).first()
    return found or FinancialYear.objects.order_by("-start").first()
