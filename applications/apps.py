from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Organisations and applications"

    def ready(self) -> None:
        # budgets never imports applications: it is told here how pledges still waiting for a
        # decision are counted against a councillor's allocation.
        from applications.support import pending_pledges
        from budgets.selectors import pending_pledges_counted_by

        pending_pledges_counted_by(pending_pledges)
