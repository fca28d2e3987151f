"""The budgets app's imports, found by fundmgr.imports.importers() for the administrator's page:
each module registers its importer as it is imported."""

from budgets import opening  # noqa: F401 (registers the opening position)
