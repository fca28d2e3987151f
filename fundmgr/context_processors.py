from django.conf import settings

from fundmgr.navigation import nav_items
from fundmgr.two_factor import needs_code


def council(request):
    user = getattr(request, "user", None)
    # Until the code step is passed, every area leads back to it: the header offers sign-out only.
    areas = nav_items(user, request.path) if user is not None and not needs_code(user) else []
    return {
        "council_name": settings.COUNCIL_NAME,
        "council_email": settings.COUNCIL_EMAIL,  # where the sign-in pages send people for help
        "council_phone": settings.COUNCIL_PHONE,
        "nav_items": areas,
        "help_contact": help_contact(),
    }


def help_contact() -> dict[str, str]:
    """The help contact from settings, with the phone number as a `tel:` link wants it."""
    contact = dict(settings.HELP_CONTACT)
    phone = contact.get("phone", "")
    contact["tel"] = "".join(c for c in phone if c.isdigit() or c == "+")
    return contact
