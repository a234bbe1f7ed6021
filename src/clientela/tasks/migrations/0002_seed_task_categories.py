"""The task categories every installation starts with (S2.60): call, email, meeting,
follow-up, other, named in the installation's language; admins edit the list afterwards."""

from django.conf import settings
from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

SEED = [
    (gettext_noop("Call"), "telephone"),
    (gettext_noop("Email"), "envelope"),
    (gettext_noop("Meeting"), "people"),
    (gettext_noop("Follow-up"), "arrow-repeat"),
    (gettext_noop("Other"), "check2-square"),
]


def seed(apps, schema_editor):
    category = apps.get_model("tasks", "TaskCategory")
    with translation.override(settings.LANGUAGE_CODE):
        for position, (name, icon) in enumerate(SEED):
            category.objects.get_or_create(
                name=gettext(name), defaults={"icon": icon, "position": position}
            )


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial_tasks")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
