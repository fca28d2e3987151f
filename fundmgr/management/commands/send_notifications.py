from django.core.management.base import BaseCommand

from fundmgr.notifications import send_pending


class Command(BaseCommand):
    help = "Send e-mails waiting in the outbox (failed ones are retried up to five times)."

    def handle(self, *args, **options):
        self.stdout.write(f"Sent {send_pending(limit=10_000)} notification(s).")
