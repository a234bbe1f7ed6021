"""Contact photos: checked by content, resized to fit the photo box, stored as JPEG/PNG/WebP."""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def prepare_photo(upload) -> ContentFile:
    """Validate an uploaded photo and return it resized, ready to save on the contact."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > settings.CONTACT_PHOTO_MAX_BYTES:
        raise ValidationError({"photo": _("The photo is larger than 1 MB.")})
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            image_format = probe.format
            probe.verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            {"photo": _("The file is not a picture Clientela can read.")}
        ) from exc
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError({"photo": _("Use a JPEG, PNG or WebP picture.")})
    image.thumbnail(settings.CONTACT_PHOTO_BOX)
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format=image_format)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ALLOWED_FORMATS[image_format]}")
