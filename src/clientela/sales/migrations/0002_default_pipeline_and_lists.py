"""The default pipeline with its stages, the lead sources (S4.2) and a few lost reasons, in the
installation's language (see `sales.defaults`)."""

from django.db import migrations


def seed(apps, schema_editor):
    from clientela.sales.defaults import seed_defaults

    seed_defaults(
        *(
            apps.get_model("sales", name)
            for name in ("Pipeline", "Stage", "LeadSource", "LostReason")
        )
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial_opportunities")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
