"""The finance officer's general-ledger pages: import the finance system's GL export and see
it compared with the budget ledger, per cost code and period, every difference listed."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from budgets import gl
from budgets.models import GLImport
from budgets.payments import is_finance_officer
from finance.reconcile_forms import GLForm
from fundmgr import access
from fundmgr.errors import DomainError
from fundmgr.forms import add_refusal


@access.page(access.reads_finance, access.finance_officer)
def imports(request):
    form = GLForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imported = gl.gl_import(
                    content=upload.read(), filename=upload.name, by=request.user
                )
            except DomainError as error:
                error.field = "file"
                add_refusal(form, error)
            else:
                messages.success(
                    request, f"GL import {imported.pk}: {imported.line_count} lines imported."
                )
                return redirect("finance:gl_import", pk=imported.pk)
    page = Paginator(GLImport.objects.select_related("imported_by").order_by("-pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "finance/gl.html",
        {"form": form, "page": page, "may_act": is_finance_officer(request.user)},
        status=400 if form.errors else 200,
    )


@access.page(access.reads_finance)
def comparison(request, pk: int):
    imported = get_object_or_404(GLImport.objects.select_related("imported_by"), pk=pk)
    return render(
        request,
        "finance/gl_comparison.html",
        {"gl": imported, "comparison": gl.compare(imported)},
    )
