from django.core.management.base import BaseCommand, CommandError

from budgets import ledger, selectors
from fundmgr.errors import DomainError
from fundmgr.models import Council
from fundmgr.money import pounds


class Command(BaseCommand):
    help = "Close a financial year: carry unspent allocations forward or let them lapse."

    def add_arguments(self, parser):
        parser.add_argument("year", help="The financial year, such as 2025/26.")
        parser.add_argument(
            "--council",
            default="",
            help="The council's slug (its path prefix), needed where the service has several.",
        )

    def handle(self, *args, year, council, **options):
        chosen = None
        if council:
            chosen = Council.objects.filter(slug=council).first()
            if chosen is None:
                slugs = ", ".join(Council.objects.exclude(slug=None).values_list("slug", flat=True))
                raise CommandError(f"No council has the slug '{council}'. The councils: {slugs}.")
        try:
            summary = ledger.year_close(
                year=selectors.financial_year(year), by=None, council=chosen
            )
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
