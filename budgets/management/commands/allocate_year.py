from django.core.management.base import BaseCommand, CommandError

from budgets import ledger, selectors
from fundmgr.errors import DomainError
from fundmgr.money import pounds


class Command(BaseCommand):
    help = "Give every councillor in office their yearly allocation of a fund: FUND YEAR."

    def add_arguments(self, parser):
        parser.add_argument("fund", help="The fund's code, such as CCIF.")
        parser.add_argument("year", help="The financial year, such as 2026/27.")

    def handle(self, *args, fund, year, **options):
        try:
            fund_year = selectors.fund_year(fund, year)
            summary = ledger.allocate_year(fund_year=fund_year, by=None)
        except DomainError as error:
            raise CommandError(error.message) from None
        for councillor, amount in summary.allocated:
            self.stdout.write(f"  {pounds(amount):>12}  {councillor} ({councillor.ward})")
        for _, why in summary.not_allocated:
            self.stdout.write(self.style.WARNING(f"  Not allocated: {why}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{fund_year}: allocated {pounds(summary.total)} to "
                f"{len(summary.allocated)} councillors; {len(summary.already)} already had theirs."
            )
        )
