"""Transparency and reporting: what the council publishes about its grants, and the figures its
officers and councillors read.

Why an app of its own, and not a module of `decisions` or the project shell: it reads across
all three apps (applications and their organisations, the decisions that awarded them, and the
ledger in `budgets`), and writes nothing to any of them. Its public pages (/grants/) serve people
who never sign in, its dashboards (/dashboards/) serve officers and councillors, and it owns a
model of its own (ward population figures) with an import command. Put in `budgets` it would
break the rule that the money core never imports `applications`; put in `decisions` it would mix
publishing and statistics with the deciding of bids; the project shell holds settings and the
shared kernel, not features. So it stands beside the others and depends on them, and nothing
depends on it.
"""

from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "transparency"
    verbose_name = "Transparency and reporting"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

        from applications.models import Application
        from applications.signals import stepped
        from budgets.models import Ward
        from transparency import (
            checks,  # noqa: F401  (registers the system checks)
            summaries,
        )

        # The dashboards' summaries, kept in the transaction of each change (summaries.py).
        post_save.connect(summaries.application_saved, sender=Application, dispatch_uid="fm-sum")
        pre_delete.connect(summaries.application_deleted, sender=Application, dispatch_uid="fm-sum")
        m2m_changed.connect(
            summaries.wards_changed, sender=Application.wards.through, dispatch_uid="fm-sum"
        )
        post_save.connect(
            summaries.decision_saved, sender="decisions.Decision", dispatch_uid="fm-d"
        )
        stepped.connect(summaries.stepped, sender=Application, dispatch_uid="fm-sum")
        # A ward renamed: the odd pennies of grants it shares may fall to another ward.
        pre_save.connect(summaries.ward_saving, sender=Ward, dispatch_uid="fm-sum")
        post_save.connect(summaries.ward_saved, sender=Ward, dispatch_uid="fm-sum")
