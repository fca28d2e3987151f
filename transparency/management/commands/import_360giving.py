"""manage.py import_360giving FILE [--dry-run] [--council SLUG] [--report PATH]
[--as-funder ORG-ID] [--fund CODE]: past grants from a 360Giving JSON package or the 360Giving
spreadsheet template (CSV or XLSX). See transparency/threesixty_imports.py."""

from fundmgr.imports import ImportCommand
from transparency.threesixty_imports import ThreeSixtyGivingImporter


class Command(ImportCommand):
    importer = ThreeSixtyGivingImporter
