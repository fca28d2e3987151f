"""`manage.py send_reminders [--on YYYY-MM-DD] [--dry-run]`: the daily reminders.

What goes out, to whom and when is in `applications.reminders`; this only reads the options and
says what was sent. Run it every morning from cron or the daily timer (README, "Operations"):
it runs in its own process; `--queue` hands the same work to the background worker instead
(`applications.reminders.daily_reminders`)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from applications import reminders, rules
from fundmgr.tasks import enqueue


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
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Hand the work to the background worker and return at once.",
        )

    def handle(self, *args, **options) -> None:
        on = a_day(options["on"]) if options["on"] else rules.today()
        dry_run = options["dry_run"]
        if not dry_run:
            try:
                reminders.check_site_url()
            except ImproperlyConfigured as error:
                raise CommandError(str(error)) from None
        if options["queue"]:
            if dry_run:
                raise CommandError("--queue and --dry-run do not go together.")
            enqueue(reminders.daily_reminders, on.isoformat())
            self.stdout.write(
                f"Queued the reminders for {rules.long_date(on)}: the worker sends them."
            )
            return
        sent = reminders.send_reminders(on, dry_run=dry_run)
        verb = "Would send" if dry_run else "Sent"
        day = rules.long_date(on)
        if dry_run:
            for reminder in sent:
                to = [*reminder.to, *([f"text to {reminder.phone}"] if reminder.phone else [])]
                self.stdout.write(f"  {reminder.label}: {reminder.subject} (to {', '.join(to)})")
        for label, count in reminders.counts(sent).items():
            self.stdout.write(f"{label.capitalize()}: {count} e-mail{'' if count == 1 else 's'}")
        texts = reminders.texts(sent)
        if texts:
            self.stdout.write(f"Text messages: {texts}")
        total = sum(len(r.to) for r in sent) + texts
        self.stdout.write(
            f"{verb} {total} reminder{'' if total == 1 else 's'} for {day}"
            + (": nothing was sent or written." if dry_run else ".")
        )
