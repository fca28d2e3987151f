from django.conf import settings

from fundmgr.navigation import nav_items


def council(request):
    return {
        "council_name": settings.COUNCIL_NAME,
        "nav_items": nav_items(request.user, request.path) if hasattr(request, "user") else [],
    }
