import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from budgets.selectors import financial_year
from fundmgr import councils
from fundmgr.errors import DomainError
from transparency import threesixty
from transparency.published import published


def named_council(name: str):
    """The council a command names by its path prefix or its GSS code."""
    from django.db.models import Q

    from fundmgr.models import Council

    found = Council.objects.filter(Q(slug=name) | Q(gss_code=name.upper())).first()
    if found is None:
        raise CommandError(f"No council on the service is {name!r}: give its prefix or GSS code.")
    return found


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
            "--council",
            default="",
            help="The council whose grants to write (its path prefix or GSS code); on a "
            "service of several, every council's grants if blank.",
        )
        parser.add_argument(
            "--validate",
            action="store_true",
            help="Check each grant against the 360Giving schema as it is written, and the "
            "package's ids (unique, with the council's prefix), and write nothing if it breaks "
            "them.",
        )

    def handle(self, *args, council, **options):
        with councils.acting_for(named_council(council) if council else councils.SERVICE):
            self._handle(*args, **options)

    def _handle(self, *args, year, format, out, validate, **options):
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
            self._validated(chosen, format, out, count)
            return
        if out == "-":
            self._write(_Stdout(self.stdout), format, chosen)
        else:
            path = Path(out)
            if format == "xlsx":
                threesixty.write_xlsx(path, chosen)
            else:
                with path.open("w", encoding="utf-8", newline="") as handle:
                    self._write(handle, format, chosen)
            self._wrote(count, path, format)

    def _wrote(self, count, path, format):
        noun = "grant" if count == 1 else "grants"
        self.stderr.write(f"Wrote {count:,} {noun} to {path} ({format}).")

    def _write(self, handle, format, chosen, check=None):
        if format == "json":
            threesixty.write_json(handle, chosen, check)
        else:
            threesixty.write_csv(handle, chosen, check)

    def _validated(self, chosen, format, out, count):
        """Write the file to a temporary one beside it, checking each grant as it is written,
        and put it in place only if the package is valid: a broken package writes nothing."""
        from transparency import schema

        check = schema.PackageCheck()
        where = Path(out).resolve().parent if out != "-" else None
        handle, name = tempfile.mkstemp(prefix=".grants-", suffix=f".{format}", dir=where)
        scratch = Path(name)
        try:
            if format == "xlsx":
                os.close(handle)
                threesixty.write_xlsx(scratch, chosen, check)
            else:
                with open(handle, "w", encoding="utf-8", newline="") as file:
                    self._write(file, format, chosen, check)
            problems = check.finish()
            if problems:
                shown = "\n".join(f"  {p}" for p in problems[:20])
                more = f"\n  ... and {check.found - 20:,} more" if check.found > 20 else ""
                raise CommandError(
                    f"The package breaks the 360Giving schema in {check.found:,} place(s); "
                    f"nothing was written:\n{shown}{more}"
                )
            self.stderr.write(
                f"The package is valid against the 360Giving schema ({check.count:,} grants "
                "checked one by one, their ids unique)."
            )
            if out == "-":
                with scratch.open(encoding="utf-8", newline="") as file:
                    while piece := file.read(1 << 16):
                        self.stdout.write(piece, ending="")
            else:
                umask = os.umask(0)
                os.umask(umask)
                scratch.chmod(0o666 & ~umask)  # as an ordinary file (mkstemp's is private)
                os.replace(scratch, out)
                self._wrote(count, Path(out), format)
        finally:
            scratch.unlink(missing_ok=True)
