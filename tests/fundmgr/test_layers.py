"""The layers hold, and the checks of them bite.

The import-linter contract in pyproject.toml ([tool.importlinter]) says which app may import
which: devtools > finance | decisions | transparency > applications > budgets > the fundmgr
kernel. These tests run `lint-imports` on this tree, which must pass, and on a copy with one
forbidden import added, which must fail naming the contract.

import-linter sees imports, not calls, so the other rule, that only `budgets/ledger.py` writes
ledger rows and balances (STYLE.md), is checked here by reading the source with `ast`. The
benchmarks in devtools/benchmarks/ may bulk-load rows behind the services' backs; nothing else.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES: list[str] = CONFIG["root_packages"]
LAYERS_CONTRACT = next(c["name"] for c in CONFIG["contracts"] if c["id"] == "layers")

# --- import-linter -------------------------------------------------------------------------------


def one_line(report: str) -> str:
    """lint-imports' report with its lines joined: it wraps a long contract name at 80 columns."""
    return " ".join(report.split())


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` run in `where`, on the packages found there first."""
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def python_files_only(directory: str, names: list[str]) -> list[str]:
    """shutil.copytree's ignore: keep folders and .py files (the graph is made of nothing else)."""
    return [
        name
        for name in names
        if name == "__pycache__"
        or (not name.endswith(".py") and not Path(directory, name).is_dir())
    ]


@pytest.fixture
def copy_of_the_tree(tmp_path: Path) -> Path:
    """The root packages and pyproject.toml, copied: a place to break the layers on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=python_files_only)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_hold_in_this_tree():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{LAYERS_CONTRACT} KEPT" in one_line(result.stdout)


@pytest.mark.parametrize(
    ("module", "forbidden", "complaint"),
    [
        (
            "applications/services.py",
            "decisions.services",
            "applications is not allowed to import decisions",
        ),
        (
            "applications/services.py",
            "finance.payments",
            "applications is not allowed to import finance",
        ),
        (
            "budgets/reconcile.py",
            "finance.reconcile_views",
            "budgets is not allowed to import finance",
        ),
        (
            "decisions/services.py",
            "finance.clawbacks",
            "decisions is not allowed to import finance",
        ),
        (
            "finance/views.py",
            "decisions.services",
            "finance is not allowed to import decisions",
        ),
        (
            "budgets/ledger.py",
            "applications.models",
            "budgets is not allowed to import applications",
        ),
        ("fundmgr/money.py", "budgets.models", "fundmgr is not allowed to import budgets"),
        (
            "decisions/services.py",
            "transparency.population",
            "decisions is not allowed to import transparency",
        ),
        (
            "transparency/views.py",
            "devtools.demo",
            "transparency is not allowed to import devtools",
        ),
    ],
)
def test_an_import_against_the_layers_fails_naming_the_contract(
    copy_of_the_tree: Path, module: str, forbidden: str, complaint: str
):
    path = copy_of_the_tree / module
    path.write_text(path.read_text() + f"\nimport {forbidden}  # against the layers\n")
    importer = module.removesuffix(".py").replace("/", ".")

    result = lint_imports(copy_of_the_tree)

    assert result.returncode != 0
    assert f"{LAYERS_CONTRACT} BROKEN" in one_line(result.stdout)
    assert complaint in one_line(result.stdout)
    assert f"{importer} -> {forbidden}" in one_line(result.stdout)


def test_the_copy_passes_until_it_is_changed(copy_of_the_tree: Path):
    """The failures above are the added import's, not the copying's."""
    result = lint_imports(copy_of_the_tree)

    assert result.returncode == 0, result.stdout + result.stderr


# --- one writer of the ledger --------------------------------------------------------------------

LEDGER_ROWS = {"Entry", "LedgerTransaction"}
# Managers and related managers whose create() makes ledger rows (Account.entries and
# LedgerTransaction.entries are Entry rows).
CREATING = {"create", "bulk_create", "get_or_create", "update_or_create"}
LEDGER_MANAGERS = {"entries"}
LEDGER_TABLES = re.compile(
    r"\b(insert\s+into|update)\s+\W?budgets_(entry|ledgertransaction|account)\b", re.IGNORECASE
)
# Allowed to write ledger rows: the ledger's services, and the benchmarks that bulk-load a year.
LEDGER_WRITERS = ("budgets/ledger.py", "budgets/ledger_sql.py", "devtools/benchmarks/")
LEDGER_TABLE_NAMES = {"Entry", "LedgerTransaction", "Account"}


def _name(node: ast.expr) -> str | None:
    """`Entry` for Entry, models.Entry and budgets.models.Entry; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _mentions_ledger_rows(node: ast.expr) -> bool:
    return any(_name(n) in LEDGER_ROWS for n in ast.walk(node) if isinstance(n, ast.expr))


def ledger_writes(source: str) -> list[str]:
    """Where this source makes a ledger row or sets a balance, as 'line N: what'."""
    tree = ast.parse(source)
    # Names bound to a ledger row or a query of them: `row.save()` on one writes a row.
    rows = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _mentions_ledger_rows(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if LEDGER_TABLES.search(node.value):
                found.append(f"line {node.lineno}: SQL that writes {node.value.strip()[:40]!r}")
            continue
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "db_table"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "_meta"
            and _name(node.value.value) in LEDGER_TABLE_NAMES
        ):
            # SQL put together with the table's name (budgets/ledger_sql.py's way) is a writer
            # as much as SQL that spells the name out.
            found.append(f"line {node.lineno}: {ast.unparse(node)} in SQL")
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = _name(func)
        if called in LEDGER_ROWS:
            found.append(f"line {node.lineno}: {called}(...)")
        elif not isinstance(func, ast.Attribute):
            continue
        elif func.attr in CREATING and isinstance(func.value, ast.Attribute):
            manager = func.value
            if manager.attr in LEDGER_MANAGERS or (
                manager.attr in {"objects", "_default_manager"}
                and _name(manager.value) in LEDGER_ROWS
            ):
                found.append(f"line {node.lineno}: {ast.unparse(func)}(...)")
        elif func.attr == "update" and any(k.arg == "balance" for k in node.keywords):
            found.append(f"line {node.lineno}: {ast.unparse(func)}(balance=...)")
        elif func.attr == "save" and _name(func.value) in rows:
            found.append(f"line {node.lineno}: {ast.unparse(func)}()")
    return found


def test_only_the_ledger_writes_ledger_rows():
    elsewhere = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name.startswith(LEDGER_WRITERS):
                continue
            if writes := ledger_writes(path.read_text()):
                elsewhere[name] = writes

    assert elsewhere == {}, "ledger rows written outside budgets/ledger.py (call its services)"


def test_the_ledger_itself_is_seen_writing():
    """The scan finds the writes that are there: were it blind, the test above would pass."""
    writes = ledger_writes((ROOT / "budgets" / "ledger.py").read_text())

    assert any("LedgerTransaction(...)" in w for w in writes)
    assert any("Entry.objects.bulk_create" in w for w in writes)
    assert any("update(balance=...)" in w for w in writes)
    # PostgreSQL's one-statement postings, in SQL built from the tables' names.
    in_sql = ledger_writes((ROOT / "budgets" / "ledger_sql.py").read_text())
    for model in ("Account", "LedgerTransaction", "Entry"):
        assert any(f"{model}._meta.db_table in SQL" in w for w in in_sql), model


@pytest.mark.parametrize(
    "snippet",
    [
        "Entry.objects.create(transaction=t, account=a, amount=1)",
        "models.LedgerTransaction.objects.bulk_create(postings)",
        "LedgerTransaction.objects.get_or_create(idempotency_key=k)",
        "account.entries.create(transaction=t, amount=1)",
        "posting.entries.bulk_create(rows)",
        "rows = [Entry(transaction=t, account=a, amount=1)]",
        "posting = LedgerTransaction(kind='budget', memo='m')\nposting.save()",
        "Account.objects.filter(pk=1).update(balance=F('balance') + 1)",
        "cursor.execute('UPDATE budgets_account SET balance = %s', [x])",
        'cursor.execute("INSERT INTO budgets_entry (amount) VALUES (1)")',
    ],
)
def test_a_ledger_row_written_elsewhere_is_found(snippet: str):
    assert ledger_writes(snippet) != []


def test_reading_the_ledger_is_not_writing_it():
    reads = """
entries = Entry.objects.filter(account=account).order_by("pk")
posting = LedgerTransaction.objects.get(idempotency_key=key)
total = account.entries.aggregate(total=Sum("amount"))
balance = Account.objects.get(pk=1).balance
application.save()
"""
    assert ledger_writes(reads) == []
