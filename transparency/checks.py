"""System checks for what the council publishes: a 360Giving prefix of the registered form."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def grants_prefix(app_configs, **kwargs):
    prefix = getattr(settings, "GRANTS_360G_PREFIX", "")
    if prefix.startswith("360G-") and prefix.endswith("-") and len(prefix) > 6:
        return []
    return [
        Warning(
            f"GRANTS_360G_PREFIX is '{prefix}': a 360Giving prefix is the one 360Giving registers "
            "for the council, such as '360G-thornburyvale-' (starting '360G-', ending '-').",
            hint="Set GRANTS_360G_PREFIX in the environment.",
            id="transparency.W001",
        )
    ]
