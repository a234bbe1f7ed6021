from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "clientela.mail"
    label = "mail"
    verbose_name = _("Mail and notifications")

    def ready(self):
        from clientela.core.navigation import SettingsGroup, SettingsLink, register_settings_group

        register_settings_group(
            SettingsGroup(
                "email",
                _("Email"),
                "envelope",
                (SettingsLink(_("Notifications"), "mail:settings"),),
                order=60,
            )
        )
        _mount_api()


def _mount_api():
    """Mount the notifications API until `core.api.register_routers()` names it; mounting it
    twice would be refused, so this checks first."""
    from clientela.core.api import api

    from .api import router

    if all(mounted is not router for _prefix, mounted in api._routers):
        api.add_router("/", router)
