"""Every app's API modules are loaded, and one that is missing is an error, not a gap in the API.

The apps name their API modules in their AppConfigs (`api_modules`); fundmgr.api_urls imports
them when the URLconf loads and skips none.
"""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps

from fundmgr.api import router
from fundmgr.api_urls import register_app_apis

ROOT = Path(__file__).resolve().parents[2]


def modules_that_register_viewsets() -> set[str]:
    """Every module of ours with a `router.register(...)` call, by its dotted name."""
    found = set()
    for config in apps.get_app_configs():
        folder = Path(config.path)
        if not folder.is_relative_to(ROOT):
            continue  # Django's and other libraries' apps
        for path in folder.rglob("*.py"):
            tree = ast.parse(path.read_text())
            if any(
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "register"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "router"
                for node in ast.walk(tree)
            ):
                found.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def test_a_missing_api_module_is_an_error_not_a_skip():
    renamed = SimpleNamespace(name="budgets", api_modules=("budgets.api", "budgets.renamed_api"))

    with pytest.raises(ModuleNotFoundError, match="budgets.renamed_api"):
        register_app_apis([renamed])


def test_every_module_that_registers_viewsets_is_named_by_its_app():
    declared = {
        module: config.name
        for config in apps.get_app_configs()
        for module in getattr(config, "api_modules", ())
    }

    assert set(declared) == modules_that_register_viewsets()
    assert all(module.startswith(f"{app}.") for module, app in declared.items())


def test_every_declared_module_has_its_viewsets_on_the_router():
    registered = {viewset.__module__ for _prefix, viewset, _basename in router.registry}

    assert registered == {
        module for config in apps.get_app_configs() for module in getattr(config, "api_modules", ())
    }
