from django.core.management.base import BaseCommand

from applications.services import lapse_due_offers


class Command(BaseCommand):
    help = "Lapse offers not accepted within the fund's window and release their money. Daily."

    def handle(self, *args, **options):
        lapsed = lapse_due_offers()
        self.stdout.write(
            f"Lapsed {len(lapsed)} offer(s)" + (f": {', '.join(lapsed)}" if lapsed else ".")
        )
