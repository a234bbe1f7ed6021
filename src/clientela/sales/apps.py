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

        from . import services
        from .models import SALES_ADMIN_LISTS, Opportunity

        for slug, model in SALES_ADMIN_LISTS.items():
            register_admin_list(slug, model)
        register_custom_fields("opportunities", Opportunity)
        register_activity_target(Opportunity)
        services.register_timeline_kinds()
