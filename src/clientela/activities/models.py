"""Activities attached to any activity target (`activities.targets`): the timeline, notes,
comments and files, plus the admin-edited history event categories.

Every activity names its record by content type and object id (a target may be a contact, an
opportunity, later a case…) and follows that record's access: it is read only after the record
was found through `targets.find_target`, or filtered by `targets.visible_target_ids`."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.models import AdminList


class HistoryCategory(AdminList):
    """A history event category (note, call, email, meeting…), with a Bootstrap icon name."""

    icon = models.CharField(
        _("icon"),
        max_length=40,
        blank=True,
        default="journal-text",
        help_text=_("A Bootstrap Icons name, e.g. telephone, envelope, people."),
    )

    class Meta(AdminList.Meta):
        verbose_name = _("history event category")
        verbose_name_plural = _("history event categories")


class TargetedQuerySet(models.QuerySet):
    def of(self, record):
        return self.filter(
            target_type=ContentType.objects.get_for_model(record), target_id=record.pk
        )


class Targeted(models.Model):
    """The record an activity belongs to."""

    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.BigIntegerField()

    objects = TargetedQuerySet.as_manager()

    class Meta:
        abstract = True


class TimelineEntry(models.Model):
    """One event of a record's timeline: a note, a comment, a task closed, a stage change…

    Its text is the registered kind's `%`-format string (`timeline.register_timeline_kind`)
    filled from `params` in the reader's language when it is read, like notifications. Read
    newest first by the (content type, object id, -at, -id) index: one range scan per page."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    category = models.ForeignKey(
        HistoryCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    # What the entry is about, when it is a row of its own (a note, a task, an event).
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-at", "-id"], name="timeline_record"
            ),
            models.Index(
                fields=["content_type", "object_id", "category", "-at", "-id"],
                name="timeline_record_category",
            ),
            models.Index(fields=["source_type", "source_id"], name="timeline_source"),
        ]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self):
        from .timeline import entry_text

        return entry_text(self)


class Note(Targeted):
    """A note on a record: Markdown text, an optional follow-up date (a reminder for its
    author), a category, and optionally files (`Attachment.note`)."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("text"))
    category = models.ForeignKey(
        HistoryCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    follow_up = models.DateField(_("follow-up date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-created_at"], name="note_target")
        ]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self):
        return self.text[:60]


class Comment(Targeted):
    """Internal discussion on a record. Mentions (`@[Name](user:ID)` or `@email`) notify."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("text"))
    mentioned = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mentioned"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-created_at"], name="comment_target")
        ]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self):
        return self.text[:60]


class Attachment(Targeted):
    """A file attached to a record (and possibly to one of its notes), stored under a generated
    name in `settings.ATTACHMENTS_ROOT`, outside every served folder; `name` is what the user
    uploaded it as, only ever used as the download's file name."""

    note = models.ForeignKey(
        Note,
        verbose_name=_("note"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=100, unique=True)
    media_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["target_type", "target_id", "-created_at"], name="attachment_target"
            )
        ]
        verbose_name = _("file")
        verbose_name_plural = _("files")

    def __str__(self):
        return self.name
