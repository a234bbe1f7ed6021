"""Optimistic concurrency: a write names the version it read and is refused if it is stale."""

from django.db.models import F

from clientela.core.errors import ConflictError


def bump_version(instance, expected_version: int | None, update_fields: list[str]):
    """Save `update_fields` and increase the version, only if nobody else saved in between.

    `expected_version=None` means the caller did not state what it read (e.g. an API client
    with no If-Match): the write goes ahead against whatever version is current."""
    model = type(instance)
    rows = model._default_manager.filter(pk=instance.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    values = {
        name: getattr(instance, instance._meta.get_field(name).attname) for name in update_fields
    }
    if "updated_at" in {f.name for f in instance._meta.concrete_fields}:
        from django.utils import timezone

        instance.updated_at = timezone.now()
        values["updated_at"] = instance.updated_at
    if not rows.update(version=F("version") + 1, **values):
        current = (
            model._default_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
        )
        raise ConflictError(current)
    instance.refresh_from_db(fields=["version"])
