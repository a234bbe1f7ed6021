"""The Spanish catalogue: pages speak the user's language, and no message is left untranslated.

The catalogue is read straight from the .po file (every msgstr filled, none fuzzy, the same
placeholders as the English), the committed .mo is checked to say the same (so a machine
without gettext still speaks Spanish), and, where gettext's tools are installed, the sources
are extracted afresh so that a string added without a translation fails the suite."""

import ast
import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

PASSWORD = "s3cret-Pass!"
PACKAGE_DIR = Path(settings.LOCALE_PATHS[0]).parent
PO_PATH = Path(settings.LOCALE_PATHS[0]) / "es" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# Named and positional printf placeholders, str.format fields, the JS counter, HTML tags/entities.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{[^{}]*\}|__n__|<[^>]+>|&\w+;")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [
            self.msgstr_plural.get(i, "") for i in range(max(self.msgstr_plural, default=0) + 1)
        ]


def read_po(path: Path) -> list[Entry]:
    """Every live entry of a .po file, header first; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()

    def finish():
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            finish()
            pending_flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}: stray string"
            text = ast.literal_eval(line)
        else:
            text = ast.literal_eval(rest)
            # A msgid right after its msgctxt belongs to the same entry; otherwise one begins.
            if keyword in ("msgctxt", "msgid") and (current is None or target[0] != "msgctxt"):
                finish()
                current = Entry(flags=pending_flags, line=number)
                pending_flags = set()
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            target = ("msgstr_plural", int(match.group(1))) if match else (keyword, None)
            if target[0] == "msgstr_plural":
                current.msgstr_plural.setdefault(target[1], "")
            elif target[0] == "msgid_plural":
                current.msgid_plural = ""
            else:
                setattr(current, target[0], "")
        name, index = target
        if name == "msgstr_plural":
            current.msgstr_plural[index] += text
        else:
            setattr(current, name, getattr(current, name) + text)
    finish()
    return entries


def messages_of(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid or entry.msgctxt]


def header_of(entries: list[Entry]) -> Entry:
    headers = [entry for entry in entries if not entry.msgid and not entry.msgctxt]
    assert len(headers) == 1, "the catalogue needs exactly one header entry"
    return headers[0]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def describe(entry: Entry) -> str:
    return f"{PO_PATH.name}:{entry.line} {entry.msgid!r}"


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO_PATH.is_file(), f"missing {PO_PATH}"
    return read_po(PO_PATH)


# --- the reader itself, so that a broken reader cannot pass an empty catalogue -------------


def test_the_reader_finds_empty_fuzzy_and_plural_entries(tmp_path):
    sample = tmp_path / "sample.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n\n'
        '#: a.py:1\nmsgid "Save"\nmsgstr "Guardar"\n\n'
        '#: a.py:2\nmsgid "Empty"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Hi %(name)s"\nmsgstr "Hola %(name)s"\n\n'
        'msgctxt "menu"\nmsgid "Open"\nmsgstr ""\n"Abrir"\n\n'
        'msgid "%(n)d item"\nmsgid_plural "%(n)d items"\nmsgstr[0] "%(n)d elemento"\n'
        'msgstr[1] ""\nmsgstr[2] "%(n)d elementos"\n\n'
        '#~ msgid "Gone"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    entries = read_po(sample)
    assert header_of(entries).msgstr == "Language: es\n"
    by_id = {entry.msgid: entry for entry in messages_of(entries)}
    assert set(by_id) == {"Save", "Empty", "Hi %(name)s", "Open", "%(n)d item"}
    assert by_id["Save"].translations == ["Guardar"]
    assert by_id["Empty"].translations == [""]
    assert "fuzzy" in by_id["Hi %(name)s"].flags
    assert "fuzzy" not in by_id["Save"].flags
    assert (by_id["Open"].msgctxt, by_id["Open"].msgstr) == ("menu", "Abrir")
    assert by_id["%(n)d item"].translations == ["%(n)d elemento", "", "%(n)d elementos"]


# --- the catalogue -------------------------------------------------------------------------


def test_the_catalogue_is_spanish_and_not_fuzzy(catalogue):
    header = header_of(catalogue)
    assert "fuzzy" not in header.flags, "a fuzzy header makes gettext ignore the charset"
    assert "Language: es\n" in header.msgstr
    assert "charset=UTF-8" in header.msgstr
    assert "nplurals=" in header.msgstr
    assert len(messages_of(catalogue)) > 100


def test_every_message_is_translated(catalogue):
    nplurals = int(re.search(r"nplurals=(\d+)", header_of(catalogue).msgstr).group(1))
    untranslated = []
    for entry in messages_of(catalogue):
        forms = entry.translations
        if entry.msgid_plural is not None and len(forms) != nplurals:
            untranslated.append(f"{describe(entry)}: {len(forms)} plural forms, {nplurals} needed")
        elif not all(form.strip() for form in forms):
            untranslated.append(describe(entry))
    assert not untranslated, "untranslated messages:\n" + "\n".join(untranslated)


def test_no_message_is_fuzzy(catalogue):
    fuzzy = [describe(entry) for entry in messages_of(catalogue) if "fuzzy" in entry.flags]
    assert not fuzzy, "fuzzy messages (Django ignores them):\n" + "\n".join(fuzzy)


def test_translations_keep_placeholders_and_markup(catalogue):
    broken = []
    for entry in messages_of(catalogue):
        for index, form in enumerate(entry.translations):
            source = entry.msgid if entry.msgid_plural is None or index == 0 else entry.msgid_plural
            # A singular form may leave the count out ("Delete this contact?").
            if entry.msgid_plural is not None and index == 0:
                if not set(placeholders(form)) <= set(placeholders(entry.msgid_plural)):
                    broken.append(f"{describe(entry)} [{index}]: {form!r}")
            elif placeholders(form) != placeholders(source):
                broken.append(f"{describe(entry)} [{index}]: {form!r}")
    assert not broken, "placeholders or markup differ:\n" + "\n".join(broken)


def test_the_compiled_catalogue_says_what_the_po_says(catalogue):
    assert MO_PATH.is_file(), "compile with: manage compilemessages -l es (the .mo is committed)"
    with MO_PATH.open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    stale = []
    for entry in messages_of(catalogue):
        if entry.msgid_plural is None:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else compiled.gettext(entry.msgid)
            )
            if got != entry.msgstr:
                stale.append(describe(entry))
            continue
        for count, form in ((1, 0), (2, 2 if len(entry.translations) > 2 else 1)):
            got = (
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, count)
                if entry.msgctxt
                else compiled.ngettext(entry.msgid, entry.msgid_plural, count)
            )
            if got != entry.translations[form]:
                stale.append(f"{describe(entry)} (n={count})")
    assert not stale, "django.mo is out of date, run compilemessages:\n" + "\n".join(stale)


@pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="extracting the sources needs GNU gettext",
)
def test_every_string_in_the_sources_is_in_the_catalogue(
    catalogue, tmp_path, settings, monkeypatch
):
    copy = tmp_path / "clientela"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "vendor", "*.mo", "media", "var"),
    )
    # makemessages writes into LOCALE_PATHS: point it at the copy so the real file is untouched.
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["es"], verbosity=0, no_obsolete=True)
    extracted = read_po(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    known = {(entry.msgctxt, entry.msgid) for entry in messages_of(catalogue)}
    new = sorted(
        entry.msgid for entry in messages_of(extracted) if (entry.msgctxt, entry.msgid) not in known
    )
    assert messages_of(extracted), "extraction found nothing: the check itself is broken"
    assert not new, (
        "strings missing from the Spanish catalogue; run makemessages -l es, translate, "
        "compilemessages:\n" + "\n".join(map(repr, new))
    )


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [("es", "Contactos", "Create new…"), ("en", "Contacts", "Crear nuevo…")],
)
def test_the_contact_list_speaks_the_users_language(client, user, language, expected, absent):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    response = client.get("/contacts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert response["Content-Language"] == language
    assert re.search(rf"<h1[^>]*>\s*{expected}\s*</h1>", html), "the page title is not translated"
    assert absent not in html


@pytest.mark.parametrize(
    ("language", "accept_language", "expected"),
    [("en", None, "en"), ("es", None, "es"), ("en", "es", "es"), ("es", "en", "en")],
)
def test_the_api_speaks_the_token_users_language_unless_the_client_names_one(
    user, language, accept_language, expected
):
    from clientela.core.testing import api_client

    user.language = language
    user.save(update_fields=["language"])
    client = api_client(user)
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/api/v1/contacts/999999", headers=headers)
    assert response.status_code == 404
    assert response["Content-Language"] == expected
    not_found = {"en": "Not found.", "es": "No encontrado."}
    assert response.json()["detail"] == not_found[expected]
