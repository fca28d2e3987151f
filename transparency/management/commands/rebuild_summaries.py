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
        for stamp in SummaryStamp.objects.select_related("council").order_by("council__name"):
            self.stdout.write(
                f"Counted {stamp.council}'s ledger into its spend and clawback summaries ({stamp})."
            )
