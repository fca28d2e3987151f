"""The budgets app's imports, found by fundmgr.imports.importers() for the administrator's page:
each module registers its importer as it is imported."""

# Each registers its importer: the opening position, councillors, wards.
from budgets import councillor_imports, opening, ward_imports  # noqa: F401
