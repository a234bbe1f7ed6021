from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clientela.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self):
        from clientela.core.navigation import (
            MenuEntry,
            SettingsGroup,
            SettingsLink,
            register_menu_entry,
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
        # The sales board and forecast pages live in `sales/analytics_urls.py`; their menu
        # entries are registered here so the sales app's own AppConfig stays its owner's.
        if apps.is_installed("clientela.sales"):
            register_menu_entry(
                MenuEntry("pipeline-board", _("Board"), "sales:board", "kanban", order=21)
            )
            register_menu_entry(
                MenuEntry("forecast", _("Forecast"), "sales:forecast", "bar-chart-line", order=22)
            )
