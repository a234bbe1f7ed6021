from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "clientela.contacts"
    label = "contacts"
    verbose_name = _("Contacts")

    def ready(self):
        from clientela.core.admin_lists import register_admin_list
        from clientela.core.custom_fields import register_custom_fields
        from clientela.core.navigation import SettingsGroup, SettingsLink, register_settings_group

        from .models import CONTACT_ADMIN_LISTS, Contact

        for slug, model in CONTACT_ADMIN_LISTS.items():
            register_admin_list(slug, model)
        register_custom_fields("contacts", Contact)
        register_settings_group(
            SettingsGroup(
                "contacts",
                _("Contacts"),
                "person-lines-fill",
                (
                    *(
                        SettingsLink(
                            model._meta.verbose_name_plural, "settings:admin_list", (slug,)
                        )
                        for slug, model in CONTACT_ADMIN_LISTS.items()
                    ),
                    SettingsLink(_("Tags"), "settings:tags"),
                    SettingsLink(_("Custom fields"), "settings:custom_fields", ("contacts",)),
                ),
                order=10,
            )
        )
