import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clientela.core.models import Tag


def tags_by_name(names, create: bool = True) -> list[Tag]:
    """Existing tags with these names (case-insensitive), creating the missing ones on the spot."""
    wanted = []
    for raw in names or []:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 60:
            raise ValidationError({"tags": _("A tag is at most 60 characters long.")})
        if any(unicodedata.category(c) == "Cc" for c in name):
            raise ValidationError({"tags": _("A tag cannot hold control characters.")})
        if name.lower() not in {w.lower() for w in wanted}:
            wanted.append(name)
    tags = []
    for name in wanted:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            if not create:
                raise ValidationError({"tags": _("There is no tag “%(name)s”.") % {"name": name}})
            tag = Tag.objects.create(name=name)
        tags.append(tag)
    return tags
