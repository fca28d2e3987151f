"""The grants officer's workbench: every bid they may see, in queues, filtered and paged."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from decisions import selectors
from decisions.workbench_forms import WorkbenchFilterForm
from fundmgr import access

PAGE_SIZE = 50


@access.page(access.reads_applications)
def workbench(request):
    form = WorkbenchFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else getattr(form, "cleaned_data", {})
    page = Paginator(selectors.workbench_applications(filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    queues = selectors.queues(filters)
    return render(
        request,
        "decisions/workbench.html",
        {
            "form": form,
            "officer_queues": [q for q in queues if q.spec.officer],
            "other_queues": [q for q in queues if not q.spec.officer],
            "waiting": sum(q.count for q in queues if q.spec.officer),
            "page": page,
            "state": filters.get("state") or "",
            "filtered": any(v not in (None, "") for v in filters.values()),
        },
    )
