"""Rebuild the board's summary (`StageMonthTotal`) from the opportunities.

Run it after loading opportunities without the services (a bulk import, `bench/`), or to check
the summary: it is idempotent, and writes go on waiting meanwhile, not wrong."""

from django.core.management.base import BaseCommand

from clientela.sales.stage_month_totals import rebuild


class Command(BaseCommand):
    help = "Rebuild the sales board's totals per stage, currency and month from the opportunities."

    def handle(self, *args, **options):
        rows = rebuild()
        self.stdout.write(f"{rows} stage and month totals rebuilt.")
