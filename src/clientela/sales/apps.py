from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "clientela.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from clientela.activities.targets import register_activity_target
        from clientela.core.admin_lists import register_admin_list
        from clientela.core.custom_fields import register_custom_fields
        from clientela.core.navigation import SettingsGroup, SettingsLink, register_settings_group

        from . import services
        from .models import SALES_ADMIN_LISTS, Opportunity

        for slug, model in SALES_ADMIN_LISTS.items():
            register_admin_list(slug, model)
        register_custom_fields("opportunities", Opportunity)
        register_activity_target(Opportunity)
        services.register_timeline_kinds()
        register_settings_group(
            SettingsGroup(
                "sales",
                _("Sales"),
                "graph-up-arrow",
                (
                    SettingsLink(_("Pipelines and stages"), "sales:pipelines"),
                    *(
                        SettingsLink(
                            model._meta.verbose_name_plural, "settings:admin_list", (slug,)
                        )
                        for slug, model in SALES_ADMIN_LISTS.items()
                    ),
                    SettingsLink(
                        _("Opportunity custom fields"), "settings:custom_fields", ("opportunities",)
                    ),
                ),
                order=20,
            )
        )
        # The menu entries, the opportunity page's tabs, the contact page's Opportunities tab
        # and the contacts' "Add opportunity" action are registered where their views live.
        from . import views  # noqa: F401
