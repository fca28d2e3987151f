"""`manage.py document KIND REFERENCE --out FILE`: write one of the council's documents.

Each kind is a line of KINDS: what its REFERENCE is, and a function from the reference to the
stored document.

It lives in `decisions`, the highest layer whose documents it writes (offer letters, notices,
panel packs), so it may import them and those of `applications` and `budgets` below; in the
kernel it would break the rule that `fundmgr` imports no app.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fundmgr.documents import stored_content
from fundmgr.errors import DomainError, InvalidInput
from fundmgr.models import Document


@dataclass(frozen=True)
class Kind:
    reference: str  # what REFERENCE is, for --help
    produce: Callable[[str, bool], Document]  # (reference, fresh) -> the document


def _application(reference: str):
    from applications.models import Application

    app = Application.objects.filter(reference=reference.strip().upper()).first()
    if app is None:
        raise InvalidInput(
            f"There is no application {reference}: give its reference, such as CCIF26-000123."
        )
    return app


def _offer(reference: str, fresh: bool) -> Document:
    from decisions import documents

    app = _application(reference)
    if fresh:
        return documents.offer_letter_produce(application=app)
    return documents.offer_letter(application=app)


def _notice(reference: str, fresh: bool) -> Document:
    from decisions import documents

    match = re.fullmatch(r"\s*([^/\s]+)(?:/(\d+))?\s*", reference)
    if not match:
        raise InvalidInput(f"'{reference}' is not an application reference.")
    app = _application(match.group(1))
    decisions = list(app.decisions.order_by("pk"))
    if not decisions:
        raise InvalidInput(f"{app.reference} has not been decided: there is no decision notice.")
    number = int(match.group(2) or len(decisions))
    if not 1 <= number <= len(decisions):
        raise InvalidInput(
            f"{app.reference} has {len(decisions)} decision(s); there is no decision {number}."
        )
    decision = decisions[number - 1]
    if fresh:
        return documents.decision_notice_produce(decision=decision)
    return documents.decision_notice(decision=decision)


def _statement(reference: str, fresh: bool) -> Document:
    from budgets.documents import parse_statement_reference, statement_produce

    fund_year, councillor = parse_statement_reference(reference)
    return statement_produce(fund_year=fund_year, councillor=councillor)


def _panel_pack(reference: str, fresh: bool) -> Document:
    from decisions.panel_pack import meeting_for_reference, panel_pack_produce

    return panel_pack_produce(meeting=meeting_for_reference(reference))


def _remittance(reference: str, fresh: bool) -> Document:
    from applications.finance_documents import remittance_for

    return remittance_for(reference)


def _clawback(reference: str, fresh: bool) -> Document:
    from applications.finance_documents import clawback_for

    return clawback_for(reference)


KINDS: dict[str, Kind] = {
    "offer": Kind(
        "an application's reference, CCIF26-000123: its offer letter as sent (produced now, "
        "exactly as it would have been, if none was stored)",
        _offer,
    ),
    "notice": Kind(
        "CCIF26-000123 for the notice of its latest decision, CCIF26-000123/1 for its first",
        _notice,
    ),
    "statement": Kind(
        "FUND/YEAR/USERNAME, CCIF/2026/cllr.shaw: the councillor's budget statement for the "
        "2026/27 fund year, as it stands now",
        _statement,
    ),
    "panel-pack": Kind(
        "a panel meeting's number, 3 or PANEL-3: its agenda and a page per application",
        _panel_pack,
    ),
    "remittance": Kind(
        "a payment's reference, CCIF26-000123/1, or a grant's for its latest payment: the "
        "remittance advice sent to the group",
        _remittance,
    ),
    "clawback": Kind(
        "a clawback request's number, CLAW-00001, or a grant's reference for its latest: the "
        "request to repay",
        _clawback,
    ),
}


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
