from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "clientela.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from clientela.contacts.models import Contact

        from .targets import register_activity_target

        register_activity_target(Contact)
