"""The demo is made through the real services: it writes no ledger row, no log row and no
state itself, so loading it exercises the rules the product runs on. Only the benchmarks, each
on its own throwaway database, write rows in bulk."""

import ast
from pathlib import Path

from django.conf import settings

DEMO = ("devtools/demo.py", "devtools/demo_applications.py")
# What only a service may write: the ledger's rows and balances, the transition log, payments.
SERVICE_ONLY = {
    "Account",
    "Entry",
    "LedgerTransaction",
    "TransitionLog",
    "Pledge",
    "Decision",
    "Payment",
    "PaymentRun",
}


def tree(path: str) -> ast.Module:
    source = (Path(settings.BASE_DIR) / path).read_text(encoding="utf-8")
    return ast.parse(source, filename=path)


def names_imported(module: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(module)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def calls_to(module: ast.Module, method: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(module)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
    ]


def test_the_demo_imports_no_model_that_only_a_service_writes():
    for path in DEMO:
        assert names_imported(tree(path)) & SERVICE_ONLY == set(), path


def test_the_demo_writes_nothing_in_bulk():
    for path in DEMO:
        assert calls_to(tree(path), "bulk_create") == [], path
        assert calls_to(tree(path), "bulk_update") == [], path


def test_the_demo_sets_no_status_or_money_on_an_application_itself():
    """The one application field it writes is the offer's last day, so that the lapse service
    has an offer to lapse; the lapse itself, and the release of its money, is the service's."""
    written = {
        keyword.arg
        for path in DEMO
        for call in calls_to(tree(path), "update")
        for keyword in call.keywords
        if "Application" in ast.unparse(call.func)
    }
    assert written == {"offer_expires_on"}
