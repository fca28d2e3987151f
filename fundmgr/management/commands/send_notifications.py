"""`manage.py send_notifications`: send what is waiting in the outbox. A timer runs it every few
minutes, for whatever a task did not send and for the retries; it can run beside the workers (each
message is claimed before it is sent, so none goes twice)."""

from django.core.management.base import BaseCommand

from fundmgr.notifications import MAX_ATTEMPTS, send_pending


class Command(BaseCommand):
    help = (
        "Send the e-mails and text messages waiting in the outbox (a failed one is tried again "
        f"next time, {MAX_ATTEMPTS} times in all). Safe beside the workers: none goes twice."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Sent {send_pending(limit=10_000)} notification(s).")
