"""On PostgreSQL, a trigram index makes substring search of names, emails and phones fast.
SQLite has no such index and scans; it serves the small installs it is meant for."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS contact_search_trgm ON contacts_contact "
    "USING gin (search_text gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS contact_search_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial_contacts")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
