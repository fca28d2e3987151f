"""`manage.py import_wards FILE [--dry-run] [--council SLUG]` (budgets/ward_imports.py)."""

from budgets.ward_imports import WardsImporter
from fundmgr.imports import ImportCommand


class Command(ImportCommand):
    importer = WardsImporter
