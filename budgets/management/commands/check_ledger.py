import sys

from django.core.management.base import BaseCommand

from budgets.integrity import ledger_violations
from budgets.models import Entry, LedgerTransaction


class Command(BaseCommand):
    help = "Verify every ledger invariant; exit 1 and list each violation if any is broken."

    def handle(self, *args, **options):
        problems = ledger_violations()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(self.style.ERROR(f"{len(problems)} ledger violation(s)."))
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger sound: {LedgerTransaction.objects.count()} transactions, "
                f"{Entry.objects.count()} entries, every invariant holds."
            )
        )
