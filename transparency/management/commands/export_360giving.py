import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from budgets.selectors import financial_year
from fundmgr.errors import DomainError
from transparency import threesixty
from transparency.published import published


class _Stdout:
    """The command's output, written exactly as given (no line ending added)."""

    def __init__(self, out):
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")


class Command(BaseCommand):
    help = (
        "Write the grants awarded in a financial year (or every year) in the 360Giving Data "
        "Standard: a JSON package, or a spreadsheet (CSV or XLSX) with the standard's column "
        "titles."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", default="", help="The financial year, 2025/26; all if blank.")
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--out", required=True, help="The file to write; - for standard out.")
        parser.add_argument(
            "--validate",
            action="store_true",
            help="JSON only: check the package against the 360Giving schema before writing it, "
            "and write nothing if it breaks it.",
        )

    def handle(self, *args, year, format, out, validate, **options):
        try:
            chosen = financial_year(year) if year.strip() else None
        except DomainError as error:
            raise CommandError(error.message) from None
        grants = published() if chosen is None else published().filter(fund_year__year=chosen)
        count = grants.count()
        if count == 0:
            raise CommandError(
                f"No grants were awarded in {chosen.label if chosen else 'any year'}: "
                "a 360Giving file needs at least one, so nothing was written."
            )
        if format == "xlsx" and out == "-":
            raise CommandError("Give a file name for an XLSX spreadsheet: --out grants.xlsx.")
        if validate:
            self._validate(chosen)
        if out == "-":
            self._write(_Stdout(self.stdout), format, chosen)
        else:
            path = Path(out)
            if format == "xlsx":
                threesixty.write_xlsx(path, chosen)
            else:
                with path.open("w", encoding="utf-8", newline="") as handle:
                    self._write(handle, format, chosen)
            noun = "grant" if count == 1 else "grants"
            self.stderr.write(f"Wrote {count:,} {noun} to {path} ({format}).")

    def _write(self, handle, format, chosen):
        if format == "json":
            threesixty.write_json(handle, chosen)
        else:
            threesixty.write_csv(handle, chosen)

    def _validate(self, chosen):
        from transparency import schema

        package = json.loads("".join(threesixty.json_chunks(chosen)))
        problems = schema.errors(package)
        if problems:
            shown = "\n".join(f"  {p}" for p in problems[:20])
            raise CommandError(
                f"The package breaks the 360Giving schema in {len(problems)} place(s); nothing "
                f"was written:\n{shown}"
            )
        self.stderr.write("The package is valid against the 360Giving schema.")
