"""File types are read from the content, against an allow-list."""

import io

import pytest
from django.core.exceptions import ValidationError

from clientela.activities import files

from . import samples


def kind(content: bytes, name="file.bin") -> str:
    return files.detect_type(io.BytesIO(content), name).media_type


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (samples.PDF, "x.pdf", "application/pdf"),
        (samples.png(), "x.png", "image/png"),
        (samples.image("JPEG"), "x.jpg", "image/jpeg"),
        (samples.image("GIF"), "x.gif", "image/gif"),
        (samples.image("WEBP"), "x.webp", "image/webp"),
        ("Hola, qué tal\n".encode(), "x.txt", "text/plain"),
        ("name;city\nAna;Málaga\n".encode("cp1252"), "x.csv", "text/csv"),
        (samples.docx(), "x.docx", files.OOXML["word/document.xml"].media_type),
        (samples.odt(), "x.odt", "application/vnd.oasis.opendocument.text"),
        (samples.zipped({"a.txt": b"hi"}), "x.zip", "application/zip"),
    ],
)
def test_allowed_types_are_recognised_by_content(content, name, expected):
    assert kind(content, name) == expected


def test_the_name_does_not_decide_the_type():
    # A PDF called .png is a PDF; a PNG called .pdf is a PNG.
    assert kind(samples.PDF, "x.png") == "application/pdf"
    assert kind(samples.png(), "report.pdf") == "image/png"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 60, "setup.pdf"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "tool.txt"),
        (b"#!/bin/sh\nrm -rf /\n", "notes.txt"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.txt"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.png"),
        (b"  <html><body>hi</body></html>", "x.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.doc"),
        (b"\x00\x01\x02\x03binary", "x.bin"),
        (
            samples.zipped(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "xl/workbook.xml": b"<w/>",
                    "xl/vbaProject.bin": b"macro",
                }
            ),
            "x.xlsm",
        ),
    ],
)
def test_executables_markup_and_unknown_binaries_are_refused(content, name):
    with pytest.raises(ValidationError) as caught:
        files.detect_type(io.BytesIO(content), name)
    assert "file" in caught.value.message_dict


def test_a_damaged_zip_is_refused():
    with pytest.raises(ValidationError):
        kind(b"PK\x03\x04garbage", "x.zip")


def test_empty_file_is_refused():
    with pytest.raises(ValidationError):
        kind(b"", "x.txt")


def test_size_limit(settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as caught:
        files.check_upload(samples.upload("x.pdf", samples.PDF))
    assert "larger than" in caught.value.message_dict["file"][0]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\report.pdf", "report.pdf"),
        ("bad\r\nheader.txt", "badheader.txt"),
        ("", "file"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_file_names_are_made_harmless(raw, clean):
    assert files.clean_file_name(raw) == clean
