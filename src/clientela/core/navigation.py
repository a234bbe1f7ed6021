"""Where domain apps plug into the shell: the left menu, the "Create new…" menu and the
settings index. Each app registers its entries in its `AppConfig.ready()`, so the shell's
templates never name an app that may not be installed."""

from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True)
class MenuEntry:
    """An entry of the left menu. `section` is matched against the page's `active_section`."""

    section: str
    label: str
    url_name: str
    icon: str
    order: int = 100


@dataclass(frozen=True)
class CreateEntry:
    """An entry of the top bar's "Create new…" menu."""

    key: str
    label: str
    url_name: str
    icon: str
    order: int = 100


@dataclass(frozen=True)
class SettingsLink:
    label: str
    url_name: str
    args: tuple = ()


@dataclass(frozen=True)
class SettingsGroup:
    """A card of the settings index (for CRM admins): a title and its links."""

    key: str
    title: str
    icon: str
    links: tuple[SettingsLink, ...] = field(default_factory=tuple)
    order: int = 100


MENU: list[MenuEntry] = []
CREATE_MENU: list[CreateEntry] = []
SETTINGS_GROUPS: list[SettingsGroup] = []


def _register(registry: list, entry):
    """Add or replace (by key) and keep the registry in order; registering twice is harmless."""
    key = getattr(entry, "key", None) or entry.section
    registry[:] = [e for e in registry if (getattr(e, "key", None) or e.section) != key]
    registry.append(entry)
    registry.sort(key=lambda e: e.order)


def register_menu_entry(entry: MenuEntry):
    _register(MENU, entry)


def register_create_entry(entry: CreateEntry):
    _register(CREATE_MENU, entry)


def register_settings_group(group: SettingsGroup):
    _register(SETTINGS_GROUPS, group)


def menu_entries() -> list[dict]:
    return [
        {"section": e.section, "label": e.label, "url": reverse(e.url_name), "icon": e.icon}
        for e in MENU
    ]


def create_entries() -> list[dict]:
    return [
        {"key": e.key, "label": e.label, "url": reverse(e.url_name), "icon": e.icon}
        for e in CREATE_MENU
    ]


def settings_groups() -> list[dict]:
    return [
        {
            "key": g.key,
            "title": g.title,
            "icon": g.icon,
            "links": [(link.label, reverse(link.url_name, args=link.args)) for link in g.links],
        }
        for g in SETTINGS_GROUPS
    ]
