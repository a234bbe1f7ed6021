"""The record types that activities (notes, comments, tasks, events, files, timeline) attach
to. An app makes its records a target with one line in its `AppConfig.ready()`:

    register_activity_target(Opportunity)

Activities follow the access of the record they belong to: whoever may not see the record
gets 404 for its notes, tasks, files…, exactly as for the record itself. Targets are named by
their model name ("contact", "opportunity") in URLs and in the API (`target_type`)."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404

from clientela.core.access import Action, get_for_user_or_404

ACTIVITY_TARGETS: dict[str, type[models.Model]] = {}


def register_activity_target(model: type[models.Model]):
    ACTIVITY_TARGETS[model._meta.model_name] = model


def target_type(record_or_model) -> str:
    return record_or_model._meta.model_name


def target_model(key: str) -> type[models.Model]:
    try:
        return ACTIVITY_TARGETS[key]
    except KeyError as exc:
        raise Http404(key) from exc


def target_content_type(key: str) -> ContentType:
    return ContentType.objects.get_for_model(target_model(key))


def find_target(user, key: str, pk, action: Action | str = Action.VIEW) -> models.Model:
    """The record `key`/`pk` if `user` may perform `action` on it; otherwise Http404, exactly
    as for a record that does not exist."""
    model = target_model(key)
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404(key) from exc
    return get_for_user_or_404(model.objects.all(), user, action, pk=pk)


def visible_target_ids(user, key: str) -> models.QuerySet:
    """The ids of the records of type `key` that `user` may see, as a subquery for
    `object_id__in=`, so lists of activities never show those of a hidden record."""
    return target_model(key).objects.visible_to(user).values("pk")
