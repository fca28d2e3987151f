from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Organisations and applications"
    # Imported by fundmgr.api_urls when the URLconf loads; each registers its API viewsets.
    api_modules = (
        "applications.organisation_api",
        "applications.api",
        "applications.attachment_api",
        "applications.transfer_api",
    )

    def ready(self) -> None:
        # budgets never imports applications: it is told here how pledges still waiting for a
        # decision are counted against a councillor's allocation.
        from applications.support import pending_pledges, pending_pledges_by_councillor
        from budgets.selectors import pending_pledges_counted_by

        pending_pledges_counted_by(pending_pledges, pending_pledges_by_councillor)

        # The table of transitions imports no service: it is told here what takes applications'
        # own steps, as decisions tells it of its own (decisions/apps.py).
        from applications.steps import take_own_steps

        take_own_steps()

        # The copy of the answers a group sent is a kind `manage.py document` writes.
        from applications import answers_copy

        answers_copy.register()
