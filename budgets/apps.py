from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Budgets and ledger"
    # Imported by fundmgr.api_urls when the URLconf loads; each registers its API viewsets.
    api_modules = ("budgets.api",)

    def ready(self) -> None:
        # The kinds of document `manage.py document` writes from this app.
        from budgets import document_kinds

        document_kinds.register()
