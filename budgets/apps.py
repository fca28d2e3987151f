from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Budgets and ledger"
    # Imported by fundmgr.api_urls when the URLconf loads; each registers its API viewsets.
    api_modules = ("budgets.api",)
