"""Platform models: the base every record inherits, tags, custom fields and the change log."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientela.core.access import AccessLevel, AccessQuerySet


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class BaseRecord(models.Model):
    """What every business record has: timestamps, its creator, an optimistic-concurrency
    version, custom-field values and tags. Domain models only add their own fields."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")

    class Meta:
        abstract = True

    # Fields the change log leaves out: they change on every write and say nothing.
    changelog_exclude = ("updated_at", "version", "created_at")


class AccessControlled(models.Model):
    """Per-record access: managers, an access level, and users and teams it is shared with."""

    access = models.CharField(
        _("access"), max_length=12, choices=AccessLevel.choices, default=AccessLevel.PRIVATE
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("managers"), blank=True, related_name="+"
    )
    shared_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("shared with users"), blank=True, related_name="+"
    )
    shared_teams = models.ManyToManyField(
        "accounts.Team", verbose_name=_("shared with teams"), blank=True, related_name="+"
    )

    objects = AccessQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_public(self) -> bool:
        return self.access != AccessLevel.PRIVATE


class AdminList(models.Model):
    """An admin-edited list of choices (contact types, sources, temperature levels…)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(pgettext_lazy("sort order", "position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class CustomField(models.Model):
    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes/no")
        CHOICE = "choice", _("Choice")
        URL = "url", _("URL")

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.CASCADE
    )
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=10, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(pgettext_lazy("sort order", "position"), default=0)

    class Meta:
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "key"], name="unique_custom_field_key")
        ]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self):
        return self.label


class ChangeLogEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200)
    action = models.CharField(max_length=6, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"], name="changelog_object")
        ]
        verbose_name = _("change")
        verbose_name_plural = _("change log")

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class OrganisationSettings(models.Model):
    """The organisation's own settings, edited by CRM admins: a single row (pk 1)."""

    SINGLETON_PK = 1

    default_currency = models.CharField(_("default currency"), max_length=3, default="EUR")
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("organisation settings")
        verbose_name_plural = _("organisation settings")

    def __str__(self):
        return str(_("Organisation settings"))

    changelog_exclude = ("version",)


class ExchangeRate(models.Model):
    """1 unit of `currency` is worth `rate` units of the organisation's default currency from
    `rate_date` on, until the next rate of that currency."""

    currency = models.CharField(_("currency"), max_length=3)
    rate_date = models.DateField(_("date"))
    # Up to 10 decimals: one Colombian peso is a few ten-thousandths of a euro.
    rate = models.DecimalField(_("rate"), max_digits=22, decimal_places=10)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-rate_date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "rate_date"], name="unique_rate_per_day")
        ]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")

    changelog_exclude = ("version",)

    def __str__(self):
        # In the reader's date format ("GBP 01/01/2026" in Spanish), as messages show it.
        return f"{self.currency} {date_format(self.rate_date, 'SHORT_DATE_FORMAT')}"
