"""Response headers the whole site shares."""

from __future__ import annotations

from django.utils.cache import patch_cache_control


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
