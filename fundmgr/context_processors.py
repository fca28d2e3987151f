from django.conf import settings

from fundmgr.navigation import nav_items


def council(request):
    return {
        "council_name": settings.COUNCIL_NAME,
        "council_email": settings.COUNCIL_EMAIL,  # where the sign-in pages send people for help
        "council_phone": settings.COUNCIL_PHONE,
        "nav_items": nav_items(request.user, request.path) if hasattr(request, "user") else [],
    }
