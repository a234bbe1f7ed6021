"""The registry of admin-edited lists (subclasses of `core.models.AdminList`). The settings
pages list, edit and delete the items of every registered list the same way; domain apps
register theirs in `AppConfig.ready()` under a URL slug."""

from django.db import models
from django.http import Http404

ADMIN_LISTS: dict[str, type[models.Model]] = {}


def register_admin_list(slug: str, model: type[models.Model]):
    ADMIN_LISTS[slug] = model


def admin_list_model(slug: str) -> type[models.Model]:
    try:
        return ADMIN_LISTS[slug]
    except KeyError as exc:
        raise Http404(slug) from exc
