from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    name = "decisions"
    verbose_name = "Assessments, decisions and panels"
    # Imported by fundmgr.api_urls when the URLconf loads; each registers its API viewsets.
    api_modules = ("decisions.api", "decisions.document_api")

    def ready(self) -> None:
        # applications never imports decisions: it is told here what takes the steps that an
        # assessment or a decision makes (applications.transitions).
        from applications import transitions
        from decisions import services

        transitions.performed_by("recommend", services.recommend_step)
        transitions.performed_by("approve", services.approve_step)
        transitions.performed_by("reject", services.reject_step)

        # The kinds of document `manage.py document` writes from this app.
        from decisions import document_kinds

        document_kinds.register()
