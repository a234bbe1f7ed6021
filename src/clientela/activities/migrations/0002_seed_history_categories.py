"""The history event categories every installation starts with (S2.60): note, call, email,
meeting, named in the installation's language; admins edit the list afterwards."""

from django.conf import settings
from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

SEED = [
    (gettext_noop("Note"), "journal-text"),
    (gettext_noop("Call"), "telephone"),
    (gettext_noop("Email"), "envelope"),
    (gettext_noop("Meeting"), "people"),
]


def seed(apps, schema_editor):
    category = apps.get_model("activities", "HistoryCategory")
    with translation.override(settings.LANGUAGE_CODE):
        for position, (name, icon) in enumerate(SEED):
            category.objects.get_or_create(
                name=gettext(name), defaults={"icon": icon, "position": position}
            )


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial_activities")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
