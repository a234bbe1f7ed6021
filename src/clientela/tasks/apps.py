from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "clientela.tasks"
    label = "tasks"
    verbose_name = _("Tasks")

    def ready(self):
        from django.db.models.signals import post_delete

        from clientela.activities.targets import ACTIVITY_TARGETS
        from clientela.contacts.views import (
            BulkContactAction,
            ContactAction,
            register_bulk_contact_action,
            register_contact_action,
        )
        from clientela.core.admin_lists import register_admin_list
        from clientela.core.navigation import (
            CreateEntry,
            MenuEntry,
            SettingsGroup,
            SettingsLink,
            register_create_entry,
            register_menu_entry,
            register_settings_group,
        )
        from clientela.core.record_tabs import register_record_tab

        # Importing the services registers the notification and timeline kinds.
        from . import services  # noqa: F401
        from .models import TaskCategory
        from .views import TASKS_TAB

        register_admin_list("task-categories", TaskCategory)
        register_settings_group(
            SettingsGroup(
                "tasks",
                _("Tasks"),
                "check2-square",
                (SettingsLink(_("Task categories"), "settings:admin_list", ("task-categories",)),),
                order=40,
            )
        )
        register_menu_entry(MenuEntry("tasks", _("Tasks"), "tasks:list", "check2-square", order=30))
        register_create_entry(
            CreateEntry("task", _("Task"), "tasks:create", "check2-square", order=30)
        )
        register_contact_action(
            ContactAction("create-task", _("Create task"), "tasks:create", "check2-square")
        )
        register_bulk_contact_action(
            BulkContactAction("create-task", _("Create task"), "tasks:bulk_create", "check2-square")
        )
        # Sales registers opportunities (and later apps their records) before this runs:
        # INSTALLED_APPS lists them ahead of tasks.
        for model in ACTIVITY_TARGETS.values():
            register_record_tab(model, TASKS_TAB)
            post_delete.connect(
                services.unlink_deleted_record, sender=model, dispatch_uid=f"tasks-{model}"
            )
