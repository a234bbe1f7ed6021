"""Rebuild what the sales services keep beside the opportunities: each one's reached stages
(from its stage history) and the summaries the board and the forecast read
(`StageMonthTotal`, `ForecastMonthTotal`, `ClosedMonthTotal`).

Run it after loading opportunities without the services (a bulk import, `bench/`), or to check
the summaries: it is idempotent, and writes go on waiting meanwhile, not wrong."""

from django.core.management.base import BaseCommand

from clientela.sales.summaries import rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the sales board's and forecast's totals per stage, currency and month from the"
        " opportunities."
    )

    def handle(self, *args, **options):
        for model_name, rows in rebuild().items():
            self.stdout.write(f"Rebuilt {model_name}: {rows} {'row' if rows == 1 else 'rows'}.")
