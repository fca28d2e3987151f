"""Response headers the whole site shares, and the last word on a race for the same money."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import patch_cache_control

from fundmgr import contention
from fundmgr.errors import SimultaneousChange


class NoStoreWhenSignedIn:
    """Nothing a signed-in person is sent is kept by their browser or any cache on the way:
    pages, PDFs, spreadsheets, uploaded files and API answers alike (a shared computer in a
    library, a proxy at work). Pages for visitors who are not signed in keep their own caching.

    An API caller with a token is known only once REST framework has authenticated them inside
    the view, which sets `request.user`: so the user is read on the way out, not on the way in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class SimultaneousChangeRefused:
    """A page whose service lost a race for the same rows (a deadlock or serialisation failure)
    that no `fundmgr.contention.atomic` retried: a 409 page with the GOV.UK error summary saying
    nothing was changed, not a 500. Services that move money retry and refuse themselves; their
    refusal is shown on the page's own form like any other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not contention.is_contention(exception):
            return None
        context = {"message": SimultaneousChange.MESSAGE}
        return render(request, "simultaneous_change.html", context, status=409)
