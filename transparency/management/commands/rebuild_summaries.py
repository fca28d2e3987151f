"""Count the dashboards' summaries again from the applications and their steps, and the spend
and clawback summaries from the ledger (after a bulk load that sent no signals, or to mend what
`check_summaries` reports)."""

from django.core.management.base import BaseCommand

from transparency.models import SummaryStamp
from transparency.summaries import rebuild


class Command(BaseCommand):
    help = "Count the dashboards' summaries again from the applications and their steps."

    def handle(self, *args, **options):
        counted = rebuild()
        self.stdout.write(f"Counted {counted:,} applications into the dashboards' summaries.")
        stamp = SummaryStamp.objects.get()  # counted by rebuild()
        self.stdout.write(f"Counted the ledger into the spend and clawback summaries ({stamp}).")
