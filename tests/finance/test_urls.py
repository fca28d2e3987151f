"""Nothing outside the finance app serves a /finance/ page, and its API is its own.

The routes are read from the project's URLconf as Django resolves them, so a page added to
/finance/ from another app's module (or a view imported into finance/urls.py from elsewhere)
fails here, whatever its name."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver, resolve

from fundmgr.api import router


def served(patterns, prefix: str = "") -> list[tuple[str, str]]:
    """Every route of the URLconf as (route, module of the view that answers it)."""
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += served(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.callback.__module__))
    return found


def test_every_finance_page_is_served_by_the_finance_app():
    finance = [
        (route, module)
        for route, module in served(get_resolver().url_patterns)
        if route.startswith("finance/")
    ]
    elsewhere = [(route, module) for route, module in finance if not module.startswith("finance.")]

    assert len(finance) >= 25, "the walk found the finance area's pages"
    assert elsewhere == []


def test_the_walk_sees_another_app_serving_its_own_pages():
    """The check above can fail: the walk reports the module of each page's view."""
    modules = {
        module
        for route, module in served(get_resolver().url_patterns)
        if route.startswith("budgets/")
    }

    assert modules and all(module.startswith("budgets.") for module in modules)


def test_a_finance_page_resolves_to_the_finance_app():
    match = resolve("/finance/statements/")

    assert match.namespace == "finance"
    assert match.url_name == "statements"
    assert match.func.__module__ == "finance.reconcile_views"


def test_the_finance_api_is_the_finance_apps():
    prefixes = {
        "payments",
        "payment-runs",
        "payment-schedules",
        "statements",
        "statement-lines",
        "matches",
        "gl-imports",
        "reconciliation-reports",
        "bank-accounts",
        "clawbacks",
    }
    served_by = {prefix: viewset.__module__ for prefix, viewset, _basename in router.registry}

    assert {p: served_by.get(p, "").split(".")[0] for p in prefixes} == dict.fromkeys(
        prefixes, "finance"
    )
