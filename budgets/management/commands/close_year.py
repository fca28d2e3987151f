from django.core.management.base import BaseCommand, CommandError

from budgets import ledger, selectors
from fundmgr.errors import DomainError
from fundmgr.money import pounds


class Command(BaseCommand):
    help = "Close a financial year: carry unspent allocations forward or let them lapse."

    def add_arguments(self, parser):
        parser.add_argument("year", help="The financial year, such as 2025/26.")

    def handle(self, *args, year, **options):
        try:
            summary = ledger.year_close(year=selectors.financial_year(year), by=None)
        except DomainError as error:
            raise CommandError(error.message) from None
        for line in summary.lines:
            what = "carried forward" if line.carried_forward else "lapsed"
            self.stdout.write(
                f"  {line.fund_year.fund.code:<6} {line.councillor!s:<30} "
                f"{pounds(line.amount):>12}  {what}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.year.label} closed: {pounds(summary.carried_forward)} carried forward, "
                f"{pounds(summary.lapsed)} lapsed."
            )
        )
