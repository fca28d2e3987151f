"""`manage.py send_reminders [--on YYYY-MM-DD] [--dry-run]`: the daily reminders.

What goes out, to whom and when is in `applications.reminders`; this only reads the options and
says what was sent. Run it every morning from cron (README, "Operations")."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from applications import reminders, rules


def a_day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--on {text!r} is not a date: give it as year-month-day, like 2026-12-04."
        ) from None


class Command(BaseCommand):
    help = (
        "E-mail the reminders due today (UK time), each once only: offers about to lapse, "
        "end-of-grant reports due and overdue, bank details waiting for verification, bids "
        "waiting for councillor support. Daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--on",
            type=str,
            metavar="YYYY-MM-DD",
            help="The day to send for, if not today: to catch up a day the command did not run.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be sent, and send and write nothing.",
        )

    def handle(self, *args, **options) -> None:
        on = a_day(options["on"]) if options["on"] else rules.today()
        dry_run = options["dry_run"]
        if not dry_run and not getattr(settings, "SITE_URL", "").startswith(
            ("http://", "https://")
        ):
            raise CommandError(
                "Set SITE_URL to the service's address, like https://grants.example.gov.uk: "
                "every reminder links to a page on it. Nothing was sent."
            )
        sent = reminders.send_reminders(on, dry_run=dry_run)
        verb = "Would send" if dry_run else "Sent"
        day = rules.long_date(on)
        if dry_run:
            for reminder in sent:
                self.stdout.write(
                    f"  {reminder.label}: {reminder.subject} (to {', '.join(reminder.to)})"
                )
        for label, count in reminders.counts(sent).items():
            self.stdout.write(f"{label.capitalize()}: {count} e-mail{'' if count == 1 else 's'}")
        total = sum(len(r.to) for r in sent)
        self.stdout.write(
            f"{verb} {total} reminder{'' if total == 1 else 's'} for {day}"
            + (": nothing was sent or written." if dry_run else ".")
        )
