"""`manage.py import_councillors FILE [--dry-run] [--council SLUG]`: budgets/councillor_imports."""

from budgets.councillor_imports import CouncillorsImporter
from fundmgr.imports import ImportCommand


class Command(ImportCommand):
    importer = CouncillorsImporter
