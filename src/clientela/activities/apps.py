from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "clientela.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from clientela.contacts.models import Contact
        from clientela.core.admin_lists import register_admin_list
        from clientela.core.navigation import SettingsGroup, SettingsLink, register_settings_group

        from .models import HistoryCategory
        from .targets import register_activity_target

        register_activity_target(Contact)
        register_admin_list("history-categories", HistoryCategory)
        register_settings_group(
            SettingsGroup(
                "activities",
                _("Activities"),
                "journal-text",
                (
                    SettingsLink(
                        HistoryCategory._meta.verbose_name_plural,
                        "settings:admin_list",
                        ("history-categories",),
                    ),
                ),
                order=40,
            )
        )
        from . import kinds  # noqa: F401 - registers the notification and timeline kinds
        from .views import connect_targets

        # Every target registered so far (Contact here; Opportunity by sales, before us)
        # gets the Timeline and Files tabs and loses its activities when deleted.
        connect_targets()
