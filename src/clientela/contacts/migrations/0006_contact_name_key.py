"""Contacts sort on `name_key`, their name folded (no case, no accents), and are searched in a
folded `search_text`, so "jose" finds "José" and "Álvaro" sorts with the As.

On PostgreSQL `name_key` compares bytes (collation "C"): the key is already folded, and a
b-tree in that collation serves `name_key LIKE 'maria%'`, the range a search's best matches
are read from (see ContactFilter), as well as the sort."""

from django.db import migrations, models

from clientela.core.folding import fold, fold_name

BATCH = 2000


def fold_names_and_search_text(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    max_length = Contact._meta.get_field("name_key").max_length
    pks = list(Contact.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        contacts = list(
            Contact.objects.filter(pk__in=pks[start : start + BATCH]).only(
                "pk", "display_name", "search_text"
            )
        )
        for contact in contacts:
            contact.name_key = fold_name(contact.display_name, max_length)
            # The text was the lower-case name, emails and phones: folding it is folding them.
            contact.search_text = fold(contact.search_text)
        Contact.objects.bulk_update(contacts, ["name_key", "search_text"])


def compare_bytes_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE contacts_contact ALTER COLUMN name_key TYPE varchar(250) COLLATE "C"'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0005_contact_imports"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="contact",
            options={
                "ordering": ["name_key", "id"],
                "verbose_name": "contact",
                "verbose_name_plural": "contacts",
            },
        ),
        migrations.RemoveIndex(model_name="contact", name="contact_name"),
        migrations.RemoveIndex(model_name="contact", name="contact_kind_name"),
        migrations.RemoveIndex(model_name="contact", name="contact_access_name"),
        migrations.RemoveIndex(model_name="contact", name="contact_lead_name"),
        migrations.AddField(
            model_name="contact",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=250),
        ),
        migrations.RunPython(compare_bytes_on_postgresql, migrations.RunPython.noop),
        migrations.RunPython(fold_names_and_search_text, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["name_key", "id"], name="contact_name"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["kind", "name_key", "id"], name="contact_kind_name"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["access", "name_key", "id"], name="contact_access_name"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                condition=models.Q(("is_lead", True)),
                fields=["name_key", "id"],
                name="contact_lead_name",
            ),
        ),
    ]
