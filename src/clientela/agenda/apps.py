from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "clientela.agenda"
    label = "agenda"
    verbose_name = _("Calendar")

    def ready(self):
        from clientela.activities.targets import ACTIVITY_TARGETS
        from clientela.contacts.views import ContactAction, register_contact_action
        from clientela.core.navigation import (
            CreateEntry,
            MenuEntry,
            register_create_entry,
            register_menu_entry,
        )
        from clientela.core.record_tabs import RecordTab, register_record_tab

        # Registers the notification kinds the calendar sends.
        from . import services
        from .views import record_events_context

        register_menu_entry(
            MenuEntry("calendar", _("Calendar"), "agenda:calendar", "calendar3", order=31)
        )
        register_create_entry(
            CreateEntry("event", _("Event"), "agenda:create", "calendar-plus", order=31)
        )
        register_contact_action(
            ContactAction("event", _("New event"), "agenda:create", "calendar-plus")
        )
        # Contacts list the events linked to them; other targets (opportunities) the events
        # that are about them.
        for model in ACTIVITY_TARGETS.values():
            register_record_tab(
                model,
                RecordTab(
                    "events",
                    _("Events"),
                    "agenda/tabs/events.html",
                    "calendar3",
                    record_events_context,
                ),
            )
        self._register_timeline_kind(services.TIMELINE_EVENT_SCHEDULED)

    @staticmethod
    def _register_timeline_kind(key: str):
        """`activities.timeline` is written alongside the calendar; once it exists, "event
        scheduled" entries read as such."""
        try:
            from clientela.activities.timeline import register_timeline_kind
        except ImportError:
            return
        register_timeline_kind(
            key,
            _("Event scheduled"),
            "calendar-event",
            _("%(actor)s scheduled the event “%(title)s”"),
        )
