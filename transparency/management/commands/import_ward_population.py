from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fundmgr.errors import DomainError
from transparency.population import ward_population_import


class Command(BaseCommand):
    help = (
        "Import ward population figures from a CSV file with the columns gss_code, population "
        "and year (such as the 2021 census). All or nothing: a bad line imports nothing. "
        "transparency/samples/demo-ward-population.csv holds figures for the demo's wards."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file.")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}.")
        try:
            summary = ward_population_import(data=path.read_bytes(), by=None)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(f"Imported {summary}"))
