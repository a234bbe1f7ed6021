"""Attached files: the type checked by content against an allow-list, storage under generated
names in `settings.ATTACHMENTS_ROOT` (outside the static and media folders, so nothing is ever
served except through `views.file_download`/the API's download, after the record's access
check, as an attachment with `nosniff`)."""

import codecs
import hashlib
import io
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django.utils.translation import gettext as _

SAMPLE_BYTES = 64 * 1024
MAX_NAME = 200


@dataclass(frozen=True)
class FileType:
    media_type: str
    label: str


PDF = FileType("application/pdf", "PDF")
PNG = FileType("image/png", "PNG")
JPEG = FileType("image/jpeg", "JPEG")
GIF = FileType("image/gif", "GIF")
WEBP = FileType("image/webp", "WebP")
ZIP = FileType("application/zip", "ZIP")
TEXT = FileType("text/plain", "Text")
CSV = FileType("text/csv", "CSV")
OOXML = {
    "word/document.xml": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"
    ),
    "xl/workbook.xml": FileType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"
    ),
    "ppt/presentation.xml": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint"
    ),
}
ODF = {
    f"application/vnd.oasis.opendocument.{kind}": FileType(
        f"application/vnd.oasis.opendocument.{kind}", "OpenDocument"
    )
    for kind in ("text", "spreadsheet", "presentation", "graphics")
}

SIGNATURES = [
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
]
# Programs and scripts, refused even when they would otherwise read as text.
EXECUTABLE_SIGNATURES = (
    b"MZ",  # Windows
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa",  # Mach-O
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",  # scripts
)
# Markup a browser would render or run (HTML, SVG, XML with scripts): never accepted as text.
MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|\?xml)", re.I)
# Control characters other than tab, line feed, form feed and carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _not_allowed():
    return ValidationError(
        {
            "file": _(
                "This type of file is not allowed. Attach PDF, pictures (PNG, JPEG, WebP, GIF), "
                "text or CSV, office documents (Word, Excel, PowerPoint, OpenDocument) or ZIP."
            )
        }
    )


def _zip_type(upload) -> FileType:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared in ODF:
                    return ODF[declared]
            if "[Content_Types].xml" in names:
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    raise _not_allowed()  # documents with macros
                for marker, file_type in OOXML.items():
                    if marker in names:
                        return file_type
            return ZIP
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ValidationError({"file": _("The ZIP file is damaged.")}) from exc


def _is_text(sample: bytes, complete: bool) -> bool:
    if b"\x00" in sample:
        return False
    sample = sample.removeprefix(b"\xef\xbb\xbf")
    try:
        text = sample.decode("utf-8") if complete else _decode_prefix(sample)
    except UnicodeDecodeError:
        try:
            text = sample.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return not CONTROL.search(text)


def _decode_prefix(sample: bytes) -> str:
    """Decode a sample cut at an arbitrary byte: a character cut at the end is not an error."""
    return codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)


def detect_type(upload, name: str) -> FileType:
    """The file's type read from its content; ValidationError keyed `file` when not allowed."""
    upload.seek(0)
    head = upload.read(SAMPLE_BYTES)
    complete = len(head) < SAMPLE_BYTES
    if not head:
        raise ValidationError({"file": _("The file is empty.")})
    if head.startswith(EXECUTABLE_SIGNATURES):
        raise _not_allowed()
    for signature, file_type in SIGNATURES:
        if head.startswith(signature):
            return file_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(upload)
    if _is_text(head, complete) and not MARKUP.search(head[:4096]):
        return CSV if name.lower().endswith(".csv") else TEXT
    raise _not_allowed()


def clean_file_name(name: str) -> str:
    """The uploaded name made harmless for a download header: no path, no control chars."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name
        name = name[:MAX_NAME]
    return name or "file"


def storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.ATTACHMENTS_ROOT)


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    name: str
    file_type: FileType
    size: int
    sha256: str


def upload_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    return size


def check_upload(upload) -> tuple[str, FileType, int]:
    """Validate an upload (size, then type by content): (clean name, type, size)."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    size = upload_size(upload)
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(size)s MB.")
                % {"size": f"{settings.ATTACHMENT_MAX_BYTES / 1024 / 1024:g}"}
            }
        )
    name = clean_file_name(getattr(upload, "name", ""))
    return name, detect_type(upload, name), size


def store(upload, name: str, file_type: FileType, size: int) -> StoredFile:
    """Write the checked upload under a new random name; the caller deletes it if the
    transaction that records it fails."""
    digest = hashlib.sha256()
    upload.seek(0)
    stored_name = f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    target = storage()
    path = target.path(stored_name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "xb") as out:
        chunks = (
            upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b"")
        )
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    return StoredFile(stored_name, name, file_type, size, digest.hexdigest())


def open_stored(stored_name: str):
    return storage().open(stored_name, "rb")


def delete_stored(stored_name: str):
    storage().delete(stored_name)
