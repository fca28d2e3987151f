"""The finance officer's area, /finance/: payments, runs, bank details, statements and
reconciliation, monitoring and clawback, reports."""

from django.urls import path

from finance import bank_detail_views as bank
from finance import bank_reconciliation_views as bankrec
from finance import clawback_views as clawback
from finance import gl_views, views
from finance import reconcile_views as statements

app_name = "finance"
urlpatterns = [
    path("", views.home, name="home"),
    path("payments/", views.payments, name="payments"),
    path("payments/<int:pk>/condition/", views.condition, name="condition"),
    path("payments/<int:pk>/reissue/", views.reissue, name="reissue"),
    path("grants/<str:reference>/", views.grant, name="grant"),
    path("grants/<str:reference>/instalments/", views.instalments, name="instalments"),
    path("runs/", views.runs, name="runs"),
    path("runs/new/", views.run_new, name="run_new"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/check/", views.run_check_page, name="run_check"),
    path("runs/<int:pk>/authorise/", views.run_authorise, name="run_authorise"),
    path("runs/<int:pk>/authorised/", views.run_authorised, name="run_authorised"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/files/<slug:kind>/", views.run_file, name="run_file"),
    path("bank-details/", bank.waiting, name="bank_waiting"),
    path("bank-details/<int:pk>/", bank.check, name="bank_check"),
    path("organisations/<int:pk>/bank-details/", bank.history, name="bank_history"),
    path("statements/", statements.statements, name="statements"),
    path("statements/<int:pk>/", statements.statement, name="statement"),
    path("statements/lines/<int:pk>/<slug:action>/", statements.line_action, name="line_action"),
    path("matches/<int:pk>/undo/", statements.match_undo, name="match_undo"),
    path("reconciliation/", statements.reconciliation, name="reconciliation"),
    path("general-ledger/", gl_views.imports, name="gl"),
    path("general-ledger/<int:pk>/", gl_views.comparison, name="gl_import"),
    path("reports/", statements.reports, name="reports"),
    path("reports/<int:start>/reconciliation.xlsx", statements.report_xlsx, name="report_xlsx"),
    path("reports/<int:start>/reconciliation.pdf", statements.report_pdf, name="report_pdf"),
    path("clawback/", clawback.overview, name="clawback"),
    path("clawback/raise/<str:reference>/", clawback.raise_request, name="clawback_raise"),
    path("clawback/<int:pk>/", clawback.detail, name="clawback_detail"),
    path("clawback/<int:pk>/letter/", clawback.letter, name="clawback_letter"),
    path("bank-reconciliations/", bankrec.reconciliations, name="bank_reconciliations"),
    path("bank-reconciliations/new/", bankrec.reconciliation_new, name="bank_reconciliation_new"),
    path("bank-reconciliations/<int:pk>/", bankrec.reconciliation, name="bank_reconciliation"),
    path(
        "bank-reconciliations/<int:pk>/check/",
        bankrec.reconciliation_check,
        name="bank_reconciliation_check",
    ),
    path(
        "bank-reconciliations/<int:pk>/reconciliation.xlsx",
        bankrec.reconciliation_xlsx,
        name="bank_reconciliation_xlsx",
    ),
    path(
        "bank-reconciliations/<int:pk>/reconciliation.pdf",
        bankrec.reconciliation_pdf,
        name="bank_reconciliation_pdf",
    ),
]
