"""The pipeline, lead sources (S4.2) and lost reasons an installation starts with.

Names are stored in the organisation's language (LANGUAGE_CODE), translated through the
catalogue (the English originals are marked with gettext_noop); admins rename them afterwards
like any other row. The data migration seeds them, and `seed_defaults` puts them back when a
database has no pipeline at all (say, after a test flushed every table)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

STAGES = [
    # name, probability, kind, colour
    (gettext_noop("Prospecting"), 10, "open", "#6c757d"),
    (gettext_noop("Qualification"), 20, "open", "#0dcaf0"),
    (gettext_noop("Proposal"), 50, "open", "#0d6efd"),
    (gettext_noop("Negotiation"), 80, "open", "#fd7e14"),
    (gettext_noop("Won"), 100, "won", "#198754"),
    (gettext_noop("Lost"), 0, "lost", "#dc3545"),
]
LEAD_SOURCES = [
    gettext_noop("Cold call"),
    gettext_noop("Existing customer"),
    gettext_noop("Self generated"),
    gettext_noop("Employee"),
    gettext_noop("Partner"),
    gettext_noop("Public relations"),
    gettext_noop("Direct mail"),
    gettext_noop("Conference"),
    gettext_noop("Trade show"),
    gettext_noop("Web site"),
    gettext_noop("Word of mouth"),
    gettext_noop("Other"),
]
LOST_REASONS = [
    gettext_noop("Price too high"),
    gettext_noop("Chose a competitor"),
    gettext_noop("No budget"),
    gettext_noop("No decision"),
    gettext_noop("Timing"),
    gettext_noop("Other"),
]


def seed_defaults(Pipeline, Stage, LeadSource, LostReason):
    """Seed with the given model classes (the historical ones in a migration)."""
    with translation.override(settings.LANGUAGE_CODE):
        if not Pipeline.objects.exists():
            pipeline = Pipeline.objects.create(name=gettext("Sales"), position=0, is_default=True)
            Stage.objects.bulk_create(
                Stage(
                    pipeline=pipeline,
                    name=gettext(name),
                    position=i,
                    probability=probability,
                    kind=kind,
                    color=color,
                )
                for i, (name, probability, kind, color) in enumerate(STAGES)
            )
        for model, names in ((LeadSource, LEAD_SOURCES), (LostReason, LOST_REASONS)):
            for i, name in enumerate(names):
                model.objects.get_or_create(name=gettext(name), defaults={"position": i})
