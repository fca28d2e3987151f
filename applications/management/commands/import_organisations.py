"""manage.py import_organisations FILE [--dry-run] [--council SLUG] [--report PATH]
[--postcode-wards ONSPD.csv]: groups from a council's own list or the Charity Commission's
register extract (applications.organisation_imports says what is accepted)."""

from applications.organisation_imports import OrganisationsImporter
from fundmgr.imports import ImportCommand


class Command(ImportCommand):
    importer = OrganisationsImporter
