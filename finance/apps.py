from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = "Finance: payments, statements and reconciliation"
    # Imported by fundmgr.api_urls when the URLconf loads; each registers its API viewsets.
    api_modules = (
        "finance.api",
        "finance.statement_api",
        "finance.gl_api",
        "finance.bank_api",
        "finance.schedule_api",
        "finance.clawback_api",
        "finance.bank_reconciliation_api",
    )

    def ready(self) -> None:
        # The kinds of document `manage.py document` writes from this app.
        from finance import document_kinds

        document_kinds.register()
