"""`devtools` sits above every app: production code never imports it, so the demo and the
benchmarks can be left out of a deployment without breaking anything."""

import ast
from pathlib import Path

from django.conf import settings

PRODUCTION = ("fundmgr", "budgets", "applications", "decisions", "transparency", "finance")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_production_module_imports_devtools():
    base = Path(settings.BASE_DIR)
    offenders = [
        str(path.relative_to(base))
        for package in PRODUCTION
        for path in sorted((base / package).rglob("*.py"))
        if any(name.split(".")[0] == "devtools" for name in imported_modules(path))
    ]
    assert offenders == []


def test_the_demo_and_benchmark_commands_are_devtools_own():
    from django.core.management import get_commands

    commands = get_commands()
    assert (commands["loaddemo"], commands["benchmark"]) == ("devtools", "devtools")
