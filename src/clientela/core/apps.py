from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clientela.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self):
        from clientela.core.navigation import (
            SettingsGroup,
            SettingsLink,
            register_settings_group,
        )

        register_settings_group(
            SettingsGroup(
                "money",
                _("Money"),
                "currency-exchange",
                (
                    SettingsLink(_("Currency and exchange rates"), "settings:money"),
                    SettingsLink(_("Import exchange rates"), "settings:exchange_rate_import"),
                ),
                order=50,
            )
        )
