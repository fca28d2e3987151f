"""`manage.py document KIND REFERENCE --out FILE`: write one of the council's documents.

Each kind is one of `fundmgr.documents.KINDS`: what its REFERENCE is, and a function from the
reference to the stored document. The apps say which kinds they produce when they are ready
(budgets/, finance/ and decisions/document_kinds.py), so this command, in the kernel, names none.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fundmgr.documents import KINDS, stored_content
from fundmgr.errors import DomainError


class Command(BaseCommand):
    help = "Write one of the council's documents (a PDF) to a file, storing it if it is new."

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        parser.epilog = "KIND and REFERENCE:\n" + "\n".join(
            f"  {name:<11} {kind.reference}" for name, kind in KINDS.items()
        )
        return parser

    def add_arguments(self, parser):
        parser.add_argument("kind", metavar="KIND", help=", ".join(KINDS))
        parser.add_argument("reference", metavar="REFERENCE", help="see below")
        parser.add_argument("--out", required=True, metavar="FILE", help="where to write the PDF")
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="offer, notice: build it again from the records (a new version if it differs) "
            "rather than write the one stored",
        )

    def handle(self, *args, kind, reference, out, fresh, **options):
        if kind not in KINDS:
            raise CommandError(f"There is no kind of document '{kind}': use {', '.join(KINDS)}.")
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(f"Cannot write {out}: the folder {target.parent} does not exist.")
        try:
            document = KINDS[kind].produce(reference, fresh)
        except DomainError as error:
            raise CommandError(error.message) from None
        target.write_bytes(stored_content(document))
        self.stdout.write(
            f"Wrote {document.description}, version {document.version} "
            f"({document.size:,} bytes, SHA-256 {document.sha256}) to {out}."
        )
