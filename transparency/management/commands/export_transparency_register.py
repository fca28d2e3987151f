from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from budgets.selectors import financial_year
from fundmgr import councils
from fundmgr.errors import DomainError
from transparency import register
from transparency.management.commands.export_360giving import named_council


class _Stdout:
    """The command's output, written exactly as given (no line ending added)."""

    def __init__(self, out):
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")


class Command(BaseCommand):
    help = (
        "Write the Local Government Transparency Code list of grants to voluntary, community "
        "and social enterprise organisations for a financial year (or every year) as CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", default="", help="The financial year, 2025/26; all if blank.")
        parser.add_argument(
            "--out", required=True, help="The CSV file to write; - for standard out."
        )
        parser.add_argument(
            "--council",
            default="",
            help="The council whose list to write (its path prefix or GSS code); needed on a "
            "service of several councils.",
        )

    def handle(self, *args, council, **options):
        if council:
            chosen = named_council(council)
        elif len(councils.every_council()) > 1:
            raise CommandError("Each council publishes its own list: name it with --council.")
        else:
            chosen = councils.SERVICE
        with councils.acting_for(chosen):
            self._handle(*args, **options)

    def _handle(self, *args, year, out, **options):
        try:
            chosen = financial_year(year) if year.strip() else None
        except DomainError as error:
            raise CommandError(error.message) from None
        if out == "-":
            register.write_csv(_Stdout(self.stdout), chosen)
            return
        path = Path(out)
        with path.open("w", encoding="utf-8", newline="") as handle:
            register.write_csv(handle, chosen)
        self.stderr.write(f"Wrote the Transparency Code list to {path}.")
