"""The grants officer's workbench: every bid they may see, in queues, filtered, sorted and paged;
the views an officer saves of it; and bulk actions on the bids they select.

Everything the list shows is in its address (filters, sort, page), so that a link, a saved view
and a download show the same list. The filter form is a GET form: no CSRF token in the address.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from applications import transitions
from applications.models import Application
from applications.workflow import Status
from decisions import downloads, selectors
from decisions.models import SavedView
from decisions.templatetags.status import status_words
from decisions.workbench_forms import (
    MOST_SELECTED,
    SORT_KEYS,
    SavedViewForm,
    Sort,
    WorkbenchFilterForm,
    describe_view,
    sort_from,
    view_query,
)
from fundmgr import access, exports
from fundmgr.addresses import addresses
from fundmgr.errors import DomainError
from fundmgr.money import pounds

PAGE_SIZE = 50
# The address's names that are not the list itself: kept out of sort links and saved views.
NOT_THE_LIST = ("page", "select", "download")


@dataclass(frozen=True)
class BulkAction:
    """A step an officer may take on many bids at once: one that asks nothing of each bid (no
    reason, no amount), taken by the very service a single bid's step calls."""

    transition: str
    button: str  # "Mark as eligible"
    done: str  # "18 marked as eligible"
    source: str  # the state a bid waits in for it
    given: Mapping[str, Any] = field(default_factory=dict)


# The steps of decisions.views.STEPS (and the API's) that need no input of their own: checking
# eligibility as eligible (its note is optional), moving a bid whose support is complete to
# assessment, lapsing an expired offer, closing a grant whose report is in. The rest ask for a
# reason the group is told, or an amount, and stay one at a time.
BULK_ACTIONS = {
    a.transition: a
    for a in [
        BulkAction(
            "mark_eligible",
            "Mark as eligible",
            "marked as eligible",
            Status.SUBMITTED,
            {"note": ""},
        ),
        BulkAction("endorse", "Move to assessment", "moved to assessment", Status.AWAITING_SUPPORT),
        BulkAction("lapse", "Mark offer as lapsed", "marked as lapsed", Status.APPROVED),
        BulkAction("close", "Close the grant", "closed", Status.MONITORING, {"note": ""}),
    ]
}


class CountedPaginator(Paginator):
    """A Paginator told its list's length (known already) instead of counting the list."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def _page_asked(number: str | None) -> slice:
    """The rows of the page the address asks for, as Paginator.get_page reads its number (the
    first page for anything but a whole number from 1)."""
    try:
        n = int(number or 1)
    except ValueError:
        n = 1
    # Past any list's end (a page past the end is asked again once the total is known), and
    # within the offsets a database holds: a number typed into the address is never a 500.
    n = min(max(n, 1), LAST_PAGE_ASKED)
    return slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE)


LAST_PAGE_ASKED = 1_000_000


def _list_query(query: QueryDict) -> QueryDict:
    kept = query.copy()
    for name in NOT_THE_LIST:
        kept.pop(name, None)
    return kept


def _headers(query: QueryDict, sort: Sort) -> list[dict[str, str]]:
    """The sortable column headings: each a link that sorts by it (ascending first, then the
    other way), and aria-sort saying how the list is sorted now."""
    headers = []
    for key, label in SORT_KEYS.items():
        current = sort.key == key
        link = _list_query(query)
        link["sort"] = key
        link["order"] = "desc" if current and not sort.descending else "asc"
        headers.append(
            {
                "key": key,
                "label": label,
                "href": f"?{link.urlencode()}",
                "aria_sort": (
                    ("descending" if sort.descending else "ascending") if current else "none"
                ),
            }
        )
    return headers


def _reminders() -> list[tuple[str, int]] | None:
    """Reminders sent in the last 7 days, by kind (applications.reminders), those sent only."""
    try:
        from applications.reminders import sent_counts
    except ImportError:  # the reminders are not there yet
        return None
    since = timezone.localdate() - datetime.timedelta(days=7)
    return [(label, n) for label, n in sent_counts(since).items() if n]


def _saved_views(request) -> list[SavedView]:
    """The officer's own views, the one the list shows now marked `current`."""
    now = view_query(_list_query(request.GET))
    views = list(SavedView.objects.filter(officer=request.user))
    for view in views:
        view.current = view.query == now
    return views


@dataclass
class Row:
    """One bid as the list shows it, its words made here once: a page of 50 rows costs little
    more than a page of 20, whatever the bids' history (the template only places them)."""

    reference: str
    href: str
    group: str
    project: str
    received: str
    fund: str
    wards: str
    amount: str
    tag: SafeString
    days: str


def _rows(apps: list[Application], today: datetime.date) -> list[Row]:
    """The page's bids as rows: their wards (in name order) read in one query for the page."""
    wards: dict[int, list[str]] = {app.pk: [] for app in apps}
    for application_id, name in (
        Application.wards.through.objects.filter(application_id__in=wards)
        .order_by("ward__name", "ward_id")
        .values_list("application_id", "ward__name")
    ):
        wards[application_id].append(name)
    address = addresses("decisions:application", str)
    rows = []
    for app in apps:
        received = app.submitted_at
        year = app.fund_year
        label, css_class = status_words(app.status)
        rows.append(
            Row(
                reference=app.reference,
                href=address(app.reference),
                group=app.organisation.name,
                project=app.title or "Untitled",
                received=dateformat.format(timezone.localtime(received), "j M Y")
                if received
                else "Not yet",
                fund=f"{year.fund.code} {year.year.label}",
                wards=", ".join(wards[app.pk]),
                amount=pounds(app.amount_requested),
                tag=format_html('<strong class="{}">{}</strong>', css_class, label),
                days=f"{selectors.days_waiting(app, today):,}",
            )
        )
    return rows


@access.page(access.reads_applications)
def workbench(request):
    form = WorkbenchFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else getattr(form, "cleaned_data", {})
    sort = sort_from(request.GET)
    applications = selectors.workbench_applications(
        filters, sort=sort.key, descending=sort.descending
    )
    if fmt := exports.requested_format(request):
        return downloads.workbench(applications, fmt)
    listing = selectors.workbench_list(filters, applications, sort=sort.key)
    if isinstance(listing, selectors.SearchedList):
        # The bids found are counted and the page asked for found in one statement (a page
        # past the end is found again when the paginator has counted it).
        queues = listing.queues(_page_asked(request.GET.get("page")))
    else:
        queues = selectors.queues(filters)
    # The list's length is its queues' counts: the page reads only its own rows.
    paginator = CountedPaginator(
        listing, PAGE_SIZE, count=selectors.listed(queues, filters.get("state"))
    )
    page = paginator.get_page(request.GET.get("page"))
    apps = list(page.object_list)
    rows = _rows(apps, timezone.localdate())
    may_act = selectors.is_grants_officer(request.user)
    statuses = {app.status for app in apps}
    list_query = _list_query(request.GET)
    return render(
        request,
        "decisions/workbench.html",
        {
            "form": form,
            "officer_queues": [q for q in queues if q.spec.officer],
            "other_queues": [q for q in queues if not q.spec.officer],
            "waiting": sum(q.count for q in queues if q.spec.officer),
            "page": page,
            "rows": rows,
            "state": filters.get("state") or "",
            "filtered": any(v not in (None, "") for v in filters.values()),
            "sort": sort,
            "headers": _headers(request.GET, sort),
            "list_query": list_query.urlencode(),
            "may_act": may_act,
            # "Select all on this page" names the page: the next page's link keeps it, and
            # selects nothing there.
            "select_all": request.GET.get("select") == str(page.number),
            "bulk_actions": [a for a in BULK_ACTIONS.values() if a.source in statuses]
            if may_act
            else [],
            "saved_views": _saved_views(request) if may_act else [],
            "reminders": _reminders() if may_act else None,
        },
    )


# --- saved views ----------------------------------------------------------------------------


@access.page(access.grants_officer, access.grants_officer)
def saved_view_create(request):
    """Name the filters and sort of the workbench address this page was opened from."""
    if request.method == "POST":
        form = SavedViewForm(request.POST, officer=request.user)
        if form.is_valid():
            name, query = form.cleaned_data["name"], form.cleaned_data["query"]
            try:
                with transaction.atomic():
                    SavedView.objects.create(officer=request.user, name=name, query=query)
            except IntegrityError:  # saved twice at once
                form.add_error("name", f"You already have a view called {name}")
            else:
                messages.success(
                    request, f"Saved the view ‘{name}’. It is listed on the workbench."
                )
                return redirect(reverse("decisions:workbench") + (f"?{query}" if query else ""))
        query = request.POST.get("query", "")
    else:
        query = view_query(_list_query(request.GET)) or ""
        form = SavedViewForm(initial={"query": query}, officer=request.user)
    back = reverse("decisions:workbench") + (f"?{query}" if query else "")
    return render(
        request,
        "decisions/saved_view_form.html",
        {"form": form, "back": back, "described": describe_view(query)},
    )


@access.page(access.grants_officer, access.grants_officer)
@require_POST
def saved_view_delete(request, pk: int):
    # Another officer's view is as if it did not exist.
    view = get_object_or_404(SavedView, pk=pk, officer=request.user)
    view.delete()
    messages.success(request, f"Deleted the view ‘{view.name}’.")
    return redirect("decisions:workbench")


# --- bulk actions ---------------------------------------------------------------------------


@dataclass
class BulkResult:
    action: BulkAction
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str, str | None]] = field(default_factory=list)  # and its page


def _take(action: BulkAction, reference: str, by) -> str | None:
    """Take the action on one bid in a transaction of its own: done whole, or not at all with
    the service's reason (None when done). A reference that names no bid raises DoesNotExist."""
    app = (
        Application.objects.select_related("organisation", "fund_year__fund", "fund_year__year")
        .filter(reference=reference)
        .first()
    )
    if app is None:
        raise Application.DoesNotExist(f"There is no application {reference}.")
    try:
        with transaction.atomic():
            transitions.get(action.transition).take(app, by, action.given)
    except DomainError as error:
        return error.message
    return None


@access.page(access.grants_officer, access.grants_officer)
@require_POST
def bulk(request):
    """One step on each selected bid, with the same rules as one at a time; then what was done
    and, for each bid refused, why."""
    back_query = view_query(QueryDict(request.POST.get("query", ""))) or ""
    back = reverse("decisions:workbench") + (f"?{back_query}" if back_query else "")
    action = BULK_ACTIONS.get(request.POST.get("action", ""))
    references = list(dict.fromkeys(r.strip()[:40] for r in request.POST.getlist("reference")))
    references = [r for r in references if r]
    problem = None
    if action is None:
        problem = "Choose what to do with the applications you selected"
    elif not references:
        problem = f"Select the applications to {action.button.lower()}, then press the button"
    elif len(references) > MOST_SELECTED:
        problem = (
            f"Select {MOST_SELECTED} applications or fewer at a time: you selected "
            f"{len(references)}"
        )
    if problem:
        return render(
            request, "decisions/bulk_results.html", {"problem": problem, "back": back}, status=400
        )
    result = BulkResult(action)
    for reference in references:
        try:
            reason = _take(action, reference, request.user)
        except Application.DoesNotExist as missing:
            result.refused.append((reference, str(missing), None))
            continue
        if reason is None:
            result.done.append(reference)
        else:
            page = reverse("decisions:application", args=[reference])
            result.refused.append((reference, reason, page))
    return render(request, "decisions/bulk_results.html", {"result": result, "back": back})
