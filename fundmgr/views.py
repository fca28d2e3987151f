from django.shortcuts import redirect, render

from fundmgr import access
from fundmgr.navigation import landing_url


@access.public
def home(request):
    """Send each person to the area where their work is."""
    if not request.user.is_authenticated:
        return redirect("applications:groups_home")  # the start page for groups; staff sign in
    target = landing_url(request.user)
    if target != request.path:
        return redirect(target)
    return render(request, "home.html")
