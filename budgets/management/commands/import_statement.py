"""`manage.py import_statement FILE`: a bank statement file imported from a file drop (a bank's
host-to-host service, an overnight job) the way the statements page and the API import it: the
same reading, checks and matching (budgets.reconcile.statement_import)."""

import json
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from budgets import reconcile, statement_imports
from budgets.models import Statement
from fundmgr.errors import DomainError
from fundmgr.money import pounds


class Command(BaseCommand):
    help = (
        "Import a bank statement file (CSV, OFX or camt.053) and match it to payments: all or "
        "nothing. --dry-run reads and checks it and saves nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The statement file.")
        parser.add_argument(
            "--layout",
            default="auto",
            help="A CSV file's layout: lloyds, barclays, hsbc, hsbc-headerless, natwest, "
            "santander, nationwide, coop, unity, metro, starling, monzo; 'auto' (the default) "
            "finds it from the file's heading, else takes the layout last used for the account.",
        )
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="The finance officer the import is recorded as theirs (needed unless --dry-run).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Read and check; save nothing.")
        parser.add_argument("--json", action="store_true", help="Print what was read as JSON.")

    def handle(self, *args, file, layout, by, dry_run, json: bool, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{file} cannot be read: {error.strerror}.") from None
        try:
            chosen = statement_imports.layout_for(layout)
            if dry_run:
                summary = statement_imports.statement_read(content, layout=chosen).summary()
                summary["saved"] = False
            else:
                if not by:
                    raise CommandError(
                        "Say which finance officer imports the statement: --by USERNAME."
                    )
                user = get_user_model().objects.filter(username=by).first()
                if user is None:
                    raise CommandError(f"There is no user {by}.")
                result = reconcile.statement_import(
                    content=content, filename=path.name, by=user, layout=chosen
                )
                summary = saved_summary(result.statement, result.skipped)
                summary["matched"] = result.matched
        except DomainError as error:
            if json:
                self.stdout.write(_json({"refused": error.message, "saved": False}))
            raise CommandError(error.message) from None
        if json:
            self.stdout.write(_json(summary))
            return
        what = (
            "Read (nothing saved)" if dry_run else f"Imported as statement {summary['statement']}"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{what}: {summary['lines']} lines from {summary['first_date']} to "
                f"{summary['last_date']}, money out {pounds(Decimal(summary['money_out']))}, "
                f"money in {pounds(Decimal(summary['money_in']))}; "
                f"{summary['skipped_duplicates']} already imported."
            )
        )


def saved_summary(statement: Statement, skipped: int) -> dict:
    """The --json fields for a statement saved, as statement_read's summary gives them."""

    def money(value) -> str | None:
        return None if value is None else f"{value:.2f}"

    references = (
        statement.lines.exclude(reference="").values_list("reference", flat=True).distinct()
    )
    return {
        "statement": statement.pk,
        "lines": statement.line_count,
        "money_out": money(statement.money_out),
        "money_in": money(statement.money_in),
        "first_date": f"{statement.first_date:%Y-%m-%d}" if statement.first_date else None,
        "last_date": f"{statement.last_date:%Y-%m-%d}" if statement.last_date else None,
        "opening_balance": money(statement.opening_balance),
        "closing_balance": money(statement.closing_balance),
        "account": statement.account,
        "format": statement.format,
        "layout": statement.layout,
        "references": sorted(references),
        "skipped_duplicates": skipped,
        "saved": True,
    }


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True)
