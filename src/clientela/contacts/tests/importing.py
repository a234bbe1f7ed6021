"""Shared pieces of the import tests: files in tmp, English messages, CSV builders."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clientela.contacts import imports


@pytest.fixture
def import_files(settings, tmp_path):
    """Uploaded files land in a temporary folder; tests read and write there."""
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    return settings.ATTACHMENTS_ROOT


@pytest.fixture
def english():
    """Messages written outside a request (by the passes) in English, as the assertions are."""
    from django.utils import translation

    with translation.override("en"):
        yield


def csv_bytes(rows, delimiter=",", encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def upload(content: bytes, name="contacts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def import_rows(user, rows, mapping=None, check=False, **options):
    """Upload `rows` (header first), map (the guessed mapping unless given) and import them."""
    job = imports.upload_import(user, upload(csv_bytes(rows)))
    job = imports.configure_import(
        user, job, mapping if mapping is not None else job.mapping, options
    )
    if check:
        job = imports.check_import(user, job)
    job = imports.run_import(user, job)
    job.refresh_from_db()
    return job
