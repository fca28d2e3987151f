"""`manage.py import_opening_position FILE [--dry-run] [--council SLUG] [--switch-date DATE]
[--correct] [--report PATH]`: a council switching to fundmgr in the middle of a year posts each
councillor's allocation, and what was committed and paid from it before the switch, as opening
postings (budgets/opening.py, where the file's layout is described in full)."""

from budgets.opening import OpeningPositionImporter
from fundmgr.imports import ImportCommand


class Command(ImportCommand):
    importer = OpeningPositionImporter

    @property
    def help(self) -> str:  # type: ignore[override]
        return (
            "Import the opening position of a council switching to fundmgr during a year: one "
            "row for each councillor's allocation, and one row for each grant already committed "
            "from it (its reference, the whole amount committed, and how much of that was "
            "paid); a grant row may repeat the allocation. Committed grants are posted to the "
            "ledger, not made into applications. A second import of the same file changes "
            "nothing; a changed amount is refused unless --correct, which reverses the earlier "
            "posting and posts the new amount. Sample: fixtures/imports/opening-position.csv. "
            "Columns: " + super().help.split(" Columns: ", 1)[-1]
        )
