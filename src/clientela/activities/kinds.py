"""What the activities app writes on timelines and sends under the bell."""

from django.utils.translation import gettext_lazy as _

from clientela.mail.kinds import NotificationKind, register_notification_kind

from .timeline import register_timeline_kind

NOTE_ADDED = register_timeline_kind("note", _("Note"), "journal-text", _("%(actor)s added a note"))
COMMENT_ADDED = register_timeline_kind(
    "comment", _("Comment"), "chat-left-text", _("%(actor)s commented")
)
FILE_ADDED = register_timeline_kind(
    "file", _("File"), "paperclip", _("%(actor)s attached %(name)s")
)

NOTE_FOLLOW_UP = register_notification_kind(
    NotificationKind(
        "note_follow_up",
        _("Follow-up of a note"),
        _("Follow up on %(name)s: %(note)s"),
        ("name", "note"),
    )
)
MENTION = register_notification_kind(
    NotificationKind(
        "mention",
        _("You were mentioned in a comment"),
        _("%(author)s mentioned you on %(name)s"),
        ("author", "name"),
    )
)
