"""Compare the dashboards' kept summaries with a count from the applications and their steps
(and the spend and clawback summaries with a count from the ledger):
silent and successful when they agree, each difference listed (and a failure) when not."""

from django.core.management.base import BaseCommand, CommandError

from transparency import money_summaries
from transparency.summaries import differences


class Command(BaseCommand):
    help = "Check the dashboards' summaries against a count from the applications and steps."

    def handle(self, *args, **options):
        found = differences() + money_summaries.differences()
        for line in found[:50]:
            self.stderr.write(line)
        if found:
            raise CommandError(
                f"{len(found):,} differences between the dashboards' summaries and a recount; "
                "manage.py rebuild_summaries counts them again."
            )
        self.stdout.write("The dashboards' summaries agree with a recount.")
