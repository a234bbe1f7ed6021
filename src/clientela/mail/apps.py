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
