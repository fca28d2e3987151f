from fundmgr import council_settings
from fundmgr.navigation import nav_items
from fundmgr.two_factor import needs_code


def council(request):
    """The council the page is for (its name and help contact on every page), or the service's
    own name and contact on the service's own pages."""
    user = getattr(request, "user", None)
    # Until the code step is passed, every area leads back to it: the header offers sign-out only.
    areas = nav_items(user, request.path) if user is not None and not needs_code(user) else []
    who = council_settings.council_for(getattr(request, "council", None))
    return {
        "council_name": council_settings.name(who),
        "service_name": council_settings.name(None),
        "nav_items": areas,
        "help_contact": council_settings.help_contact(who),
    }
