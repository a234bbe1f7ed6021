"""CSV import of contacts, step by step: read the file, map its columns to contact fields,
check every row through the services without keeping anything, then import row by row.

Every row goes through `services.create_contact`/`update_contact` (and `make_customer`/
`make_supplier`) in a transaction of its own, so the change log, managers, access and
notifications behave as when a user types the contact in, and a bad row never undoes or
half-writes another. The import's own counters move forward in the same transaction as the
row, which makes an interrupted import resumable without importing any row twice.

The uploaded file is kept in `settings.ATTACHMENTS_ROOT` (outside every served folder) until
the import is done or discarded."""

import csv
import io
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import AccessLevel
from clientela.core.csv_download import safe_cell as spreadsheet_safe
from clientela.core.custom_fields import definitions_for
from clientela.core.errors import ConflictError, ProtectedError
from clientela.core.folding import fold
from clientela.core.money import default_currency
from clientela.mail.kinds import NotificationKind, register_notification_kind
from clientela.mail.services import notify

from . import services
from .exports import _header as export_header
from .models import (
    Contact,
    ContactEmail,
    ContactImport,
    ContactImportFailure,
    ContactPhone,
    ContactType,
    ContactWebsite,
    Customer,
    Interest,
    Source,
    Supplier,
    Temperature,
)

logger = logging.getLogger(__name__)

IMPORT_FINISHED = register_notification_kind(
    NotificationKind(
        "contact_import_finished",
        gettext_lazy("An import of contacts finished"),
        gettext_lazy(
            "The import of %(name)s finished: %(created)s created, %(updated)s updated, "
            "%(skipped)s skipped, %(failed)s failed"
        ),
        ("name", "created", "updated", "skipped", "failed"),
    )
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200
# Files with at most this many rows are checked and imported while the page waits; larger
# ones in the background (Huey), with the page following their progress.
SYNC_ROWS = 100
PREVIEW_ROWS = 10
# Values shown under each column while mapping.
SAMPLE_ROWS = 3
# The errors a page lists; all of them are in the failed lines' CSV.
SHOWN_FAILURES = 200
# An import that has not moved for this long lost its worker: its owner may resume it.
STALE_AFTER = timedelta(minutes=5)
PROGRESS_EVERY = 100
DELIMITERS = (",", ";", "\t")

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16",
    "cp1252": "Latin-1 (Windows-1252)",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
DELIMITER_LABELS = {
    ",": gettext_lazy("comma"),
    ";": gettext_lazy("semicolon"),
    "\t": gettext_lazy("tab"),
}
# Files that are not text, by their first bytes; spreadsheets get a hint on what to do.
SPREADSHEET_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0")
BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"MZ", b"\x7fELF", b"\x1f\x8b")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What the export puts before a value a spreadsheet would run as a formula (see core.csv_download.safe_cell).
ESCAPED_FORMULA = re.compile(r"'[=@+\-\t\r]")


class RowError(Exception):
    """A row that cannot be imported: [(field key, column index or None, message)]."""

    def __init__(self, errors: list[tuple[str, int | None, str]]):
        self.errors = errors
        super().__init__("; ".join(message for _f, _c, message in errors))


class _DryRun(Exception):
    """Raised at the end of a checked row so that its transaction rolls back."""

    def __init__(self, outcome):
        self.outcome = outcome


class _LostClaim(Exception):
    """The import moved on without this runner (another one took it, or it was discarded)."""


# --- reading the file ----------------------------------------------------------------------


@dataclass(frozen=True)
class CsvFile:
    encoding: str
    delimiter: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line in the file, cells)


def _file_error(message) -> ValidationError:
    return ValidationError({"file": [message]})


def decode(content: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 with or without BOM, UTF-16 with BOM, or Latin-1
    (read as Windows-1252, which spreadsheets write under that name)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _file_error(_("The file could not be read as text.")) from exc
    if content.startswith(SPREADSHEET_SIGNATURES):
        raise _file_error(
            _(
                "This is a spreadsheet workbook, not a CSV file. Open it in your spreadsheet "
                "program and save it as CSV first."
            )
        )
    if content.startswith(BINARY_SIGNATURES) or b"\x00" in content:
        raise _file_error(_("This is not a CSV file: it is not text."))
    try:
        text = content.decode("utf-8")
        encoding = "utf-8"
        if text.startswith("\ufeff"):
            text, encoding = text[1:], "utf-8-sig"
    except UnicodeDecodeError:
        try:
            text, encoding = content.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = content.decode("latin-1"), "latin-1"
    if CONTROL.search(text):
        raise _file_error(_("This is not a CSV file: it is not text."))
    return text, encoding


def detect_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the most columns,
    the same number on every line. A file of one column is read with commas."""
    sample = text[:65536]
    cut = len(text) > len(sample)
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            records = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        if cut and len(records) > 1:
            records = records[:-1]
        records = [r for r in records if any(cell.strip() for cell in r)][:50]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        score = (sum(len(r) == width for r in records) / len(records), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def parse(text: str, delimiter: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header row and the data rows with the line each starts on (blank rows left out)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        while True:
            line = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in record):
                continue
            if headers is None:
                headers = [cell.strip() for cell in record]
                if len(headers) > MAX_COLUMNS:
                    raise _file_error(
                        _("The file has more than %(count)s columns.") % {"count": MAX_COLUMNS}
                    )
                continue
            if len(rows) >= MAX_ROWS:
                raise _file_error(
                    _("Import at most %(count)s rows at a time: split the file.")
                    % {"count": number_format(MAX_ROWS, force_grouping=True)}
                )
            rows.append((line, record))
    except csv.Error as exc:
        raise _file_error(
            _("Line %(line)s could not be read as CSV: %(reason)s.")
            % {"line": reader.line_num, "reason": exc}
        ) from exc
    if headers is None:
        raise _file_error(_("The file is empty."))
    if not rows:
        raise _file_error(_("The file has a header row but no contacts under it."))
    return headers, rows


def read_csv(content: bytes) -> CsvFile:
    """Read an uploaded file; a ValidationError keyed `file` says what is wrong with it."""
    if not content.strip():
        raise _file_error(_("The file is empty."))
    text, encoding = decode(content)
    delimiter = detect_delimiter(text)
    headers, rows = parse(text, delimiter)
    return CsvFile(encoding, delimiter, headers, rows)


# --- the fields a column can feed ----------------------------------------------------------

NAMES = gettext_lazy("Name")
DETAILS = gettext_lazy("Contact details")
ADDRESS = gettext_lazy("Address")
CLASSIFICATION = gettext_lazy("Classification")
ROLES = gettext_lazy("Customer and supplier")
CUSTOM = gettext_lazy("Custom fields")


@dataclass(frozen=True)
class ImportField:
    key: str
    label: Promise | str
    group: Promise | str
    # Several columns may feed it (emails, phones, tags…): their values add up.
    multiple: bool = False
    # Headers that mean this field, besides its label in each language.
    synonyms: tuple[str, ...] = ()


FIELDS = (
    ImportField(
        "kind",
        gettext_lazy("Kind (person or company)"),
        NAMES,
        synonyms=("kind", "clase", "person or company", "persona o empresa"),
    ),
    ImportField(
        "full_name",
        gettext_lazy("Full name (split into first and last name)"),
        NAMES,
        synonyms=(
            "name",
            "full name",
            "contact name",
            "contact",
            "nombre completo",
            "nombre y apellidos",
            "contacto",
        ),
    ),
    ImportField(
        "first_name",
        gettext_lazy("First name"),
        NAMES,
        synonyms=("first name", "firstname", "given name", "forename", "nombre", "nombre de pila"),
    ),
    ImportField(
        "last_name",
        gettext_lazy("Last name"),
        NAMES,
        synonyms=("last name", "lastname", "surname", "family name", "apellidos", "apellido"),
    ),
    ImportField(
        "company_name",
        gettext_lazy("Company name (of a company)"),
        NAMES,
        synonyms=(
            "company name",
            "organization name",
            "organisation name",
            "business name",
            "nombre de la empresa",
            "nombre de empresa",
            "razon social",
        ),
    ),
    ImportField(
        "company",
        gettext_lazy("Company (a person's company, found or created by name)"),
        NAMES,
        synonyms=(
            "company",
            "organization",
            "organisation",
            "employer",
            "account",
            "empresa",
            "organizacion",
            "compania",
        ),
    ),
    ImportField(
        "position",
        gettext_lazy("Position"),
        NAMES,
        synonyms=("position", "job title", "title", "role", "cargo", "puesto"),
    ),
    ImportField(
        "email",
        gettext_lazy("Email (work)"),
        DETAILS,
        True,
        (
            "email",
            "e mail",
            "mail",
            "email address",
            "work email",
            "correo",
            "correo electronico",
            "email trabajo",
            "correo del trabajo",
        ),
    ),
    ImportField(
        "email_home",
        gettext_lazy("Email (personal)"),
        DETAILS,
        True,
        ("personal email", "home email", "private email", "correo personal", "email personal"),
    ),
    ImportField(
        "email_other",
        gettext_lazy("Email (other)"),
        DETAILS,
        True,
        ("other email", "email 2", "second email", "otro correo", "otro email", "correo 2"),
    ),
    ImportField(
        "phone",
        gettext_lazy("Phone (mobile for a person, work for a company)"),
        DETAILS,
        True,
        ("phone", "phone number", "telephone", "tel", "telefono", "numero de telefono"),
    ),
    ImportField(
        "phone_mobile",
        gettext_lazy("Mobile phone"),
        DETAILS,
        True,
        ("mobile", "mobile phone", "cell", "cell phone", "movil", "telefono movil", "celular"),
    ),
    ImportField(
        "phone_work",
        gettext_lazy("Work phone"),
        DETAILS,
        True,
        (
            "work phone",
            "office phone",
            "business phone",
            "telefono del trabajo",
            "telefono trabajo",
            "telefono oficina",
        ),
    ),
    ImportField(
        "phone_home",
        gettext_lazy("Home phone"),
        DETAILS,
        True,
        ("home phone", "telefono personal", "telefono de casa", "telefono fijo"),
    ),
    ImportField(
        "phone_fax", gettext_lazy("Fax"), DETAILS, True, ("fax", "fax number", "numero de fax")
    ),
    ImportField(
        "phone_other",
        gettext_lazy("Other phone"),
        DETAILS,
        True,
        ("other phone", "phone 2", "otro telefono", "telefono 2"),
    ),
    ImportField(
        "website",
        gettext_lazy("Website"),
        DETAILS,
        True,
        ("website", "web", "web site", "url", "homepage", "sitio web", "pagina web"),
    ),
    ImportField("linkedin", "LinkedIn", DETAILS, True, ("linkedin", "linkedin url")),
    ImportField("x", "X / Twitter", DETAILS, True, ("x", "twitter", "x twitter")),
    ImportField("facebook", "Facebook", DETAILS, True, ("facebook",)),
    ImportField("instagram", "Instagram", DETAILS, True, ("instagram",)),
    ImportField(
        "street",
        gettext_lazy("Street"),
        ADDRESS,
        True,
        (
            "street",
            "address",
            "address line 1",
            "address line 2",
            "street address",
            "calle",
            "direccion",
            "domicilio",
        ),
    ),
    ImportField(
        "city",
        gettext_lazy("City"),
        ADDRESS,
        synonyms=("city", "town", "ciudad", "localidad", "poblacion", "municipio"),
    ),
    ImportField(
        "postal_code",
        gettext_lazy("Postal code"),
        ADDRESS,
        synonyms=("postal code", "postcode", "zip", "zip code", "codigo postal", "cp", "c p"),
    ),
    ImportField(
        "region",
        gettext_lazy("Region"),
        ADDRESS,
        synonyms=("region", "state", "province", "county", "provincia", "comunidad"),
    ),
    ImportField("country", gettext_lazy("Country"), ADDRESS, synonyms=("country", "pais")),
    ImportField(
        "contact_type",
        gettext_lazy("Contact type"),
        CLASSIFICATION,
        synonyms=("contact type", "type", "tipo", "tipo de contacto"),
    ),
    ImportField(
        "temperature",
        gettext_lazy("Temperature"),
        CLASSIFICATION,
        synonyms=("temperature", "temperatura"),
    ),
    ImportField(
        "source",
        gettext_lazy("Source"),
        CLASSIFICATION,
        synonyms=("source", "lead source", "origin", "origen", "fuente"),
    ),
    ImportField(
        "interests",
        gettext_lazy("Interests"),
        CLASSIFICATION,
        True,
        ("interests", "interest", "intereses", "interes"),
    ),
    ImportField(
        "tags",
        gettext_lazy("Tags"),
        CLASSIFICATION,
        True,
        ("tags", "tag", "labels", "etiquetas", "etiqueta"),
    ),
    ImportField(
        "is_lead",
        gettext_lazy("Lead (yes or no)"),
        CLASSIFICATION,
        synonyms=("lead", "is lead", "cliente potencial"),
    ),
    ImportField(
        "access",
        gettext_lazy("Access"),
        CLASSIFICATION,
        synonyms=("access", "visibility", "acceso", "visibilidad"),
    ),
    ImportField(
        "currency",
        gettext_lazy("Currency"),
        CLASSIFICATION,
        synonyms=("currency", "moneda", "divisa"),
    ),
    ImportField(
        "description",
        gettext_lazy("Description"),
        CLASSIFICATION,
        True,
        (
            "description",
            "notes",
            "note",
            "comments",
            "descripcion",
            "notas",
            "comentarios",
            "observaciones",
        ),
    ),
    ImportField(
        "customer_code",
        gettext_lazy("Customer code (makes it a customer)"),
        ROLES,
        synonyms=("customer code", "customer number", "codigo de cliente", "numero de cliente"),
    ),
    ImportField(
        "supplier_code",
        gettext_lazy("Supplier code (makes it a supplier)"),
        ROLES,
        synonyms=("supplier code", "vendor code", "codigo de proveedor"),
    ),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
CUSTOM_PREFIX = "custom_fields."
NAME_FIELDS = ("full_name", "first_name", "last_name", "company_name")
EMAIL_KINDS = {
    "email": ContactEmail.Kind.WORK,
    "email_home": ContactEmail.Kind.HOME,
    "email_other": ContactEmail.Kind.OTHER,
}
PHONE_KINDS = {
    "phone_mobile": ContactPhone.Kind.MOBILE,
    "phone_work": ContactPhone.Kind.WORK,
    "phone_home": ContactPhone.Kind.HOME,
    "phone_fax": ContactPhone.Kind.FAX,
    "phone_other": ContactPhone.Kind.OTHER,
}
WEBSITE_KINDS = {
    "website": ContactWebsite.Kind.WEBSITE,
    "linkedin": ContactWebsite.Kind.LINKEDIN,
    "x": ContactWebsite.Kind.X,
    "facebook": ContactWebsite.Kind.FACEBOOK,
    "instagram": ContactWebsite.Kind.INSTAGRAM,
}
ADDRESS_PARTS = ("street", "city", "postal_code", "region", "country")
LIST_FIELDS = {
    "contact_type": ("contact_type_id", ContactType),
    "temperature": ("temperature_id", Temperature),
    "source": ("source_id", Source),
}
# The export's columns, in its order (exports._header), and the field each one feeds. Its
# "Full name" is derived from the first and last or company name, which come in their own
# columns.
EXPORT_MAPPING = (
    "",
    "kind",
    "",
    "first_name",
    "last_name",
    "company_name",
    "company",
    "position",
    "email",
    "phone",
    "contact_type",
    "temperature",
    "source",
    "tags",
    "currency",
    "access",
    "is_lead",
    "customer_code",
    "supplier_code",
    "",
)


def normalise(text: str) -> str:
    """A header as compared with names: lower case, no accents, words split by single spaces."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(text))).split())


def _in_every_language(text) -> set[str]:
    values = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            values.add(str(text))
    return values


def custom_fields() -> list[ImportField]:
    return [
        ImportField(f"{CUSTOM_PREFIX}{d.key}", d.label, CUSTOM, synonyms=(d.key,))
        for d in definitions_for(Contact)
    ]


def all_fields() -> list[ImportField]:
    return [*FIELDS, *custom_fields()]


def field_label(key: str, fields: dict | None = None) -> str:
    if not key:
        return ""
    found = (fields or FIELDS_BY_KEY).get(key)
    if found is None and key.startswith(CUSTOM_PREFIX):
        found = {f.key: f for f in custom_fields()}.get(key)
    return str(found.label) if found else key


def field_choices(fields: list[ImportField] | None = None) -> list:
    """Choices for a column's select: "leave out", then the fields grouped as on the form."""
    groups: dict = {}
    for item in fields or all_fields():
        groups.setdefault(str(item.group), []).append((item.key, str(item.label)))
    return [("", _("Do not import")), *groups.items()]


def guess_mapping(headers: list[str], fields: list[ImportField] | None = None) -> list[str]:
    """The field each column most likely feeds, from its header in English or Spanish; the
    export's own columns are recognised as a whole, also at the start of a wider file such as
    the failed lines of an export's import."""
    names = [normalise(h) for h in headers]
    mapping: list[str] = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            exported = [normalise(h) for h in export_header()]
        if names[: len(exported)] == exported:
            mapping = list(EXPORT_MAPPING)
            break
    known: dict[str, str] = {}
    for item in fields or all_fields():
        for name in (*item.synonyms, *_in_every_language(item.label)):
            known.setdefault(normalise(name), item.key)
    used = set(mapping)
    for name in names[len(mapping) :]:
        key = known.get(name, "")
        if key and key in used and not _is_multiple(key):
            key = ""
        used.add(key)
        mapping.append(key)
    # A lone "Nombre" column holds whole names more often than first names alone.
    if "first_name" in mapping and not {"last_name", "full_name"} & set(mapping):
        mapping[mapping.index("first_name")] = "full_name"
    return mapping


def _is_multiple(key: str) -> bool:
    item = FIELDS_BY_KEY.get(key)
    return bool(item and item.multiple)


# --- mapping and options -------------------------------------------------------------------


def clean_mapping(headers: list[str], mapping, fields: list[ImportField] | None = None):
    """`mapping` as one field key per column (a list), or {header: field key}; ValidationError
    keyed `mapping` (or `mapping.<column index>`) when it does not fit the file."""
    known = {f.key: f for f in fields or all_fields()}
    errors: dict[str, list[str]] = {}
    if isinstance(mapping, dict):
        by_header = [""] * len(headers)
        for header, key in mapping.items():
            positions = [i for i, h in enumerate(headers) if h == header]
            if not positions:
                errors.setdefault("mapping", []).append(
                    _("The file has no column “%(header)s”.") % {"header": header}
                )
            elif len(positions) > 1:
                errors.setdefault("mapping", []).append(
                    _(
                        "The file has several columns called “%(header)s”: send the mapping as "
                        "a list with one field per column."
                    )
                    % {"header": header}
                )
            else:
                by_header[positions[0]] = key
        mapping = by_header
    if not isinstance(mapping, list) or not all(isinstance(k, str | None) for k in mapping):
        raise ValidationError(
            {"mapping": [_("Give one field per column, or an object of column: field.")]}
        )
    if len(mapping) != len(headers):
        raise ValidationError(
            {
                "mapping": [
                    _("The file has %(columns)s columns but the mapping has %(given)s.")
                    % {"columns": len(headers), "given": len(mapping)}
                ]
            }
        )
    mapping = [(key or "").strip() for key in mapping]
    first_column: dict[str, int] = {}
    for index, key in enumerate(mapping):
        if not key:
            continue
        if key not in known:
            errors[f"mapping.{index}"] = [
                _("There is no field “%(key)s” to import into.") % {"key": key[:60]}
            ]
        elif key in first_column and not known[key].multiple:
            errors[f"mapping.{index}"] = [
                _("“%(field)s” is already taken by the column “%(header)s”.")
                % {"field": known[key].label, "header": headers[first_column[key]]}
            ]
        else:
            first_column.setdefault(key, index)
    if not errors and not set(NAME_FIELDS) & set(mapping):
        errors["mapping"] = [
            _("Choose the column with the names: first name, last name, full name or company name.")
        ]
    if errors:
        raise ValidationError(errors)
    return mapping


def clean_options(data: dict) -> dict:
    errors = {}
    options = {
        "default_kind": data.get("default_kind") or ContactImport.DefaultKind.AUTO,
        "access": data.get("access") or AccessLevel.PRIVATE,
        "duplicates": data.get("duplicates") or ContactImport.Duplicates.SKIP,
        "tag": " ".join(str(data.get("tag") or "").split()),
    }
    for name, choices in (
        ("default_kind", ContactImport.DefaultKind),
        ("access", AccessLevel),
        ("duplicates", ContactImport.Duplicates),
    ):
        if options[name] not in choices.values:
            errors[name] = [_("“%(value)s” is not a valid choice.") % {"value": options[name]}]
    if len(options["tag"]) > 60:
        errors["tag"] = [_("A tag is at most 60 characters long.")]
    if errors:
        raise ValidationError(errors)
    return options


# --- from cells to what the services take --------------------------------------------------


def _cell(cells: list[str], index: int) -> str:
    if index >= len(cells):
        return ""
    value = cells[index].strip()
    if ESCAPED_FORMULA.match(value):
        value = value[1:]
    return value


def _words(*labels) -> dict[str, str]:
    """{normalised word: value} for choices, from their values and labels in every language."""
    table = {}
    for value, label in labels:
        for name in (value, *_in_every_language(label)):
            table[normalise(name)] = value
    return table


YES = {"yes", "y", "si", "s", "true", "1", "x", "lead"}
NO = {"no", "n", "false", "0"}
SPLIT_EMAILS = re.compile(r"[\s,;]+")
SPLIT_PHONES = re.compile(r"[;,/\n]+")
SPLIT_WEBSITES = re.compile(r"[\s;,]+")
SPLIT_LIST = re.compile(r"[,;\n]+")


@dataclass
class ReadRow:
    """A row made into the services' data, and where each piece came from."""

    line: int
    kind: str
    data: dict
    emails: list[str]
    company: str = ""
    customer_code: str = ""
    supplier_code: str = ""
    # Service error key -> (field key, column index): to tell the user which column is wrong.
    sources: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)  # list field -> names, for the preview


class RowReader:
    """Reads rows by a job's mapping: list names to ids (read once), values to choices."""

    def __init__(self, job: ContactImport):
        self.job = job
        self.columns: dict[str, list[int]] = {}
        for index, key in enumerate(job.mapping):
            if key:
                self.columns.setdefault(key, []).append(index)
        self.lists = {
            key: {
                normalise(name): (pk, name) for pk, name in model.objects.values_list("pk", "name")
            }
            for key, (_attr, model) in LIST_FIELDS.items()
            if key in self.columns
        }
        self.interests = (
            {normalise(n): (pk, n) for pk, n in Interest.objects.values_list("pk", "name")}
            if "interests" in self.columns
            else {}
        )
        self.kinds = _words(*Contact.Kind.choices)
        self.kinds.update({"p": "person", "c": "company", "organization": "company"})
        self.access_levels = _words(*AccessLevel.choices)
        self.currency = default_currency() if "currency" not in self.columns else ""

    def value(self, cells, key: str, joiner: str = " ") -> str:
        return joiner.join(
            v for v in (_cell(cells, i) for i in self.columns.get(key, ())) if v
        ).strip()

    def column(self, key: str) -> int | None:
        found = self.columns.get(key)
        return found[0] if found else None

    def kind_of(self, cells) -> str:
        raw = self.value(cells, "kind")
        if raw:
            return self.kinds.get(normalise(raw), "")
        if self.job.default_kind != ContactImport.DefaultKind.AUTO:
            return self.job.default_kind
        if self.value(cells, "first_name") or self.value(cells, "last_name"):
            return Contact.Kind.PERSON
        if self.value(cells, "company_name"):
            return Contact.Kind.COMPANY
        return Contact.Kind.PERSON

    def read(self, line: int, cells: list[str]) -> ReadRow:
        errors: list[tuple[str, int | None, str]] = []
        kind = self.kind_of(cells)
        if not kind:
            errors.append(
                (
                    "kind",
                    self.column("kind"),
                    _("“%(value)s” is not a kind: write person or company.")
                    % {"value": self.value(cells, "kind")},
                )
            )
            kind = Contact.Kind.PERSON
        row = ReadRow(line=line, kind=kind, data={"kind": kind}, emails=[])
        row.sources["kind"] = ("kind", self.column("kind"))
        self._names(cells, row)
        for key in ("position", "customer_code", "supplier_code", "company"):
            if key in self.columns:
                value = self.value(cells, key)
                if key == "position":
                    row.data["position"] = value
                    row.sources["position"] = (key, self.column(key))
                else:
                    setattr(row, key, value)
        if "description" in self.columns:
            row.data["description"] = self.value(cells, "description", "\n\n")
            row.sources["description"] = ("description", self.column("description"))
        self._details(cells, row)
        self._address(cells, row)
        self._lists(cells, row, errors)
        self._choices(cells, row, errors)
        self._custom_fields(cells, row)
        if errors:
            raise RowError(errors)
        return row

    def _names(self, cells, row: ReadRow):
        data, sources = row.data, row.sources
        first, last = self.value(cells, "first_name"), self.value(cells, "last_name")
        company_name = self.value(cells, "company_name")
        full = self.value(cells, "full_name")
        for key in ("first_name", "last_name"):
            sources[key] = (key, self.column(key))
        sources["company_name"] = ("company_name", self.column("company_name"))
        if row.kind == Contact.Kind.PERSON and full and not (first or last):
            if "," in full:
                last, _sep, first = (part.strip() for part in full.partition(","))
            else:
                first, _sep, last = full.partition(" ")
                last = last.strip()
            sources["first_name"] = sources["last_name"] = ("full_name", self.column("full_name"))
        if row.kind == Contact.Kind.COMPANY and full and not company_name:
            company_name = full
            sources["company_name"] = ("full_name", self.column("full_name"))
        data.update(first_name=first, last_name=last, company_name=company_name)

    def _details(self, cells, row: ReadRow):
        emails, phones, websites = [], [], []
        seen_emails, seen_phones = set(), set()
        for key, kind in EMAIL_KINDS.items():
            for index in self.columns.get(key, ()):
                for email in SPLIT_EMAILS.split(_cell(cells, index)):
                    if email and email.lower() not in seen_emails:
                        seen_emails.add(email.lower())
                        row.sources[f"emails.{len(emails)}.email"] = (key, index)
                        emails.append({"email": email, "kind": kind})
        phone_kinds = {
            "phone": ContactPhone.Kind.WORK
            if row.kind == Contact.Kind.COMPANY
            else ContactPhone.Kind.MOBILE,
            **PHONE_KINDS,
        }
        for key, kind in phone_kinds.items():
            for index in self.columns.get(key, ()):
                for number in SPLIT_PHONES.split(_cell(cells, index)):
                    number = " ".join(number.split())
                    digits = "".join(c for c in number if c.isdigit())
                    if number and (digits or number) not in seen_phones:
                        seen_phones.add(digits or number)
                        row.sources[f"phones.{len(phones)}.number"] = (key, index)
                        phones.append({"number": number, "kind": kind})
        for key, kind in WEBSITE_KINDS.items():
            for index in self.columns.get(key, ()):
                for url in SPLIT_WEBSITES.split(_cell(cells, index)):
                    if url:
                        row.sources[f"websites.{len(websites)}.url"] = (key, index)
                        websites.append({"url": url, "kind": kind})
        if emails:
            row.data["emails"] = emails
            row.emails = [e["email"].lower() for e in emails]
        if phones:
            row.data["phones"] = phones
        if websites:
            row.data["websites"] = websites

    def _address(self, cells, row: ReadRow):
        parts = {key: self.value(cells, key, ", ") for key in ADDRESS_PARTS}
        if any(parts.values()):
            row.data["addresses"] = [{"kind": "billing", "is_main": True, **parts}]
            first_part = next(key for key in ADDRESS_PARTS if key in self.columns)
            row.sources["addresses.0"] = (first_part, self.column(first_part))
            for key in ADDRESS_PARTS:
                row.sources[f"addresses.0.{key}"] = (key, self.column(key))

    def _lists(self, cells, row: ReadRow, errors):
        for key, (attr, model) in LIST_FIELDS.items():
            raw = self.value(cells, key)
            if not raw:
                continue
            found = self.lists[key].get(normalise(raw))
            if found is None:
                errors.append(
                    (
                        key,
                        self.column(key),
                        _(
                            "“%(value)s” is not in the list of %(list)s; an admin can add it "
                            "in Settings."
                        )
                        % {"value": raw, "list": model._meta.verbose_name_plural},
                    )
                )
                continue
            row.data[attr] = found[0]
            row.names[key] = found[1]
            row.sources[attr] = (key, self.column(key))
        raw = self.value(cells, "interests", ",")
        if raw:
            names = [n.strip() for n in SPLIT_LIST.split(raw) if n.strip()]
            unknown = [n for n in names if normalise(n) not in self.interests]
            if unknown:
                errors.append(
                    (
                        "interests",
                        self.column("interests"),
                        _(
                            "“%(value)s” is not in the list of interests; an admin can add it "
                            "in Settings."
                        )
                        % {"value": ", ".join(unknown)},
                    )
                )
            else:
                found = [self.interests[normalise(n)] for n in names]
                row.data["interest_ids"] = sorted({pk for pk, _n in found})
                row.names["interests"] = ", ".join(n for _pk, n in found)
                row.sources["interest_ids"] = ("interests", self.column("interests"))
        tags = [t.strip() for t in SPLIT_LIST.split(self.value(cells, "tags", ",")) if t.strip()]
        if self.job.tag:
            tags.append(self.job.tag)
        if tags:
            row.data["tags"] = tags
            row.sources["tags"] = ("tags", self.column("tags"))

    def _choices(self, cells, row: ReadRow, errors):
        raw = self.value(cells, "access")
        if raw:
            access = self.access_levels.get(normalise(raw))
            if access is None:
                errors.append(
                    (
                        "access",
                        self.column("access"),
                        _("“%(value)s” is not an access level.") % {"value": raw},
                    )
                )
        row.data["access"] = self.access_levels.get(normalise(raw)) or self.job.access
        row.sources["access"] = ("access", self.column("access"))
        raw = self.value(cells, "is_lead")
        if raw:
            word = normalise(raw)
            if word in YES or word in NO:
                row.data["is_lead"] = word in YES
                row.sources["is_lead"] = ("is_lead", self.column("is_lead"))
            else:
                errors.append(
                    (
                        "is_lead",
                        self.column("is_lead"),
                        _("“%(value)s” is neither yes nor no.") % {"value": raw},
                    )
                )
        currency = self.value(cells, "currency") or self.currency
        if currency:
            row.data["currency"] = currency
            row.sources["currency"] = ("currency", self.column("currency"))

    def _custom_fields(self, cells, row: ReadRow):
        values = {}
        for key in self.columns:
            if key.startswith(CUSTOM_PREFIX):
                value = self.value(cells, key)
                if value:
                    values[key.removeprefix(CUSTOM_PREFIX)] = value
                    row.sources[key] = (key, self.column(key))
        if values:
            row.data["custom_fields"] = values


# --- applying a row ------------------------------------------------------------------------


@dataclass
class Outcome:
    action: str  # "created", "updated", "skipped"
    existing: str = ""  # the contact a duplicate matched
    companies_created: int = 0


class RowImporter:
    """Imports one row at a time through the services; the caller holds the transaction."""

    def __init__(self, job: ContactImport, dry_run: bool = False):
        self.job = job
        self.actor = job.owner
        self.reader = RowReader(job)
        self.dry_run = dry_run
        # A check keeps nothing, so rows of the same file that share an email are told apart
        # here: the first one would be created, the later ones would be its duplicates.
        self.emails_in_file: dict[str, int] = {}
        self.companies_in_file: set[str] = set()

    def import_row(self, line: int, cells: list[str]) -> tuple[Outcome, ReadRow]:
        row = self.reader.read(line, cells)
        try:
            outcome = self._apply(row)
        except ValidationError as exc:
            raise RowError(self._located(row, exc)) from exc
        except (PermissionDenied, ProtectedError, ConflictError) as exc:
            raise RowError([("", None, str(exc) or _("You may not do this."))]) from exc
        if self.dry_run:
            for email in row.emails:
                self.emails_in_file.setdefault(email, line)
        return outcome, row

    def _duplicates(self, row: ReadRow) -> list[tuple[int, str]]:
        """(id, name) of the contacts the owner can see that have one of the row's emails."""
        if not row.emails or self.job.duplicates == ContactImport.Duplicates.CREATE:
            return []
        return list(
            Contact.objects.visible_to(self.actor)
            .filter(emails__email__in=row.emails)
            .distinct()
            .order_by("id")
            .values_list("pk", "display_name")[:3]
        )

    def _apply(self, row: ReadRow) -> Outcome:
        matches = self._duplicates(row)
        earlier_line = next(
            (self.emails_in_file[e] for e in row.emails if e in self.emails_in_file), None
        )
        modes = ContactImport.Duplicates
        if self.job.duplicates == modes.SKIP:
            if matches:
                return Outcome("skipped", matches[0][1])
            if earlier_line and self.dry_run:
                return Outcome("skipped", _("line %(line)s") % {"line": earlier_line})
        if self.job.duplicates == modes.UPDATE and matches:
            if len(matches) > 1:
                email_key = next(k for k in row.sources if k.startswith("emails."))
                raise ValidationError(
                    {
                        email_key: _(
                            "More than one of your contacts has this email (%(names)s): "
                            "update them by hand."
                        )
                        % {"names": ", ".join(name for _pk, name in matches)}
                    }
                )
            return self._update(row, Contact.objects.get(pk=matches[0][0]))
        outcome = self._create(row)
        if earlier_line and self.dry_run and self.job.duplicates == modes.UPDATE:
            outcome = Outcome("updated", _("line %(line)s") % {"line": earlier_line})
        return outcome

    def _company_id(self, row: ReadRow, outcome: Outcome) -> int | None:
        """The person's company: one the owner can see by that name, or a new one."""
        name = " ".join(row.company.split())
        if not name or row.kind != Contact.Kind.PERSON:
            return None
        companies = Contact.objects.visible_to(self.actor).filter(kind=Contact.Kind.COMPANY)
        exact = companies.filter(display_name=name).order_by("id").values_list("pk", flat=True)
        if found := exact.first():
            return found
        # Written another way: `name_key` starts with the folded name, a b-tree range, and
        # the names are compared in Python.
        candidates = (
            companies.filter(name_key__startswith=Contact.name_key_of(name))
            .order_by("id")
            .values_list("pk", "display_name")[:50]
        )
        for pk, display_name in candidates:
            if display_name.lower() == name.lower():
                return pk
        try:
            company = services.create_contact(
                self.actor,
                {
                    "kind": Contact.Kind.COMPANY,
                    "company_name": name,
                    "access": row.data.get("access", self.job.access),
                    "tags": [self.job.tag] if self.job.tag else [],
                },
            )
        except ValidationError as exc:
            raise ValidationError(
                {"company_id": [m for ms in _messages(exc).values() for m in ms]}
            ) from exc
        if not self.dry_run or name.lower() not in self.companies_in_file:
            outcome.companies_created += 1
        self.companies_in_file.add(name.lower())
        return company.pk

    def _create(self, row: ReadRow) -> Outcome:
        outcome = Outcome("created")
        data = dict(row.data)
        if row.company:
            row.sources["company_id"] = ("company", self.reader.column("company"))
            data["company_id"] = self._company_id(row, outcome)
            if data["company_id"] is None:
                raise ValidationError(
                    {"company_id": _("A company cannot belong to another company.")}
                )
        contact = services.create_contact(self.actor, data)
        self._roles(row, contact)
        return outcome

    def _update(self, row: ReadRow, contact: Contact) -> Outcome:
        """Fill in what the row has: empty cells leave values alone; emails, phones,
        websites, addresses, tags and interests are added to the contact's; its kind and
        access stay as they are."""
        outcome = Outcome("updated", contact.display_name)
        data = {
            k: v
            for k, v in row.data.items()
            if k not in ("kind", "access", "emails", "phones", "websites", "addresses")
            and v not in ("", None, [], {})
        }
        dropped = ["first_name", "last_name"] if contact.is_company else ["company_name"]
        if "currency" not in self.reader.columns:
            dropped.append("currency")  # the organisation's currency, not the file's
        for name in dropped:
            data.pop(name, None)
        for name, key in (("emails", "email"), ("phones", "number"), ("websites", "url")):
            new = row.data.get(name) or []
            if new:
                have = [
                    {key: getattr(r, key), "kind": r.kind} for r in getattr(contact, name).all()
                ]
                known = {_same(r[key]) for r in have}
                data[name] = have + [r for r in new if _same(r[key]) not in known]
                _shift_sources(row, name, len(have))
        if row.data.get("addresses"):
            have = list(contact.addresses.all())
            new = row.data["addresses"][0]
            if not any(str(a) == _address_text(new) for a in have):
                data["addresses"] = [
                    {
                        "kind": a.kind,
                        "is_main": a.is_main,
                        **{p: getattr(a, p) for p in ADDRESS_PARTS},
                    }
                    for a in have
                ] + [{**new, "is_main": not have}]
                _shift_sources(row, "addresses", len(have))
        if "tags" in data:
            data["tags"] = [t.name for t in contact.tags.all()] + data["tags"]
        if "interest_ids" in data:
            data["interest_ids"] = sorted(
                {*contact.interests.values_list("pk", flat=True), *data["interest_ids"]}
            )
        if row.company and contact.kind == Contact.Kind.PERSON:
            row.sources["company_id"] = ("company", self.reader.column("company"))
            data["company_id"] = self._company_id(row, outcome)
        contact = services.update_contact(self.actor, contact, data)
        self._roles(row, contact)
        return outcome

    def _roles(self, row: ReadRow, contact: Contact):
        for code, model, make, key in (
            (row.customer_code, Customer, services.make_customer, "customer_code"),
            (row.supplier_code, Supplier, services.make_supplier, "supplier_code"),
        ):
            if not code or model.objects.filter(contact=contact).exists():
                continue
            try:
                make(self.actor, contact, {"code": code})
            except ValidationError as exc:
                column = self.reader.column(key)
                raise RowError(
                    [(key, column, m) for ms in _messages(exc).values() for m in ms]
                ) from exc

    def _located(self, row: ReadRow, exc: ValidationError) -> list:
        located = []
        for key, messages in _messages(exc).items():
            field_key, column = row.sources.get(key) or row.sources.get(
                key.rsplit(".", 1)[0], ("", None)
            )
            if not field_key and key in FIELDS_BY_KEY:
                field_key = key
            located.extend((field_key, column, message) for message in messages)
        return located


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"": [str(m) for m in exc.messages]}


def _same(value: str) -> str:
    digits = "".join(c for c in value if c.isdigit())
    return digits if len(digits) >= 6 else value.strip().lower()


def _address_text(parts: dict) -> str:
    from .models import ContactAddress

    return str(ContactAddress(**{p: parts.get(p, "") for p in ADDRESS_PARTS}))


def _shift_sources(row: ReadRow, name: str, offset: int):
    """The row's items come after the contact's own ones in the list the service checks."""
    if not offset:
        return
    shifted = {}
    for key, source in list(row.sources.items()):
        parts = key.split(".")
        if parts[0] == name and len(parts) > 1 and parts[1].isdigit():
            del row.sources[key]
            shifted[".".join([name, str(int(parts[1]) + offset), *parts[2:]])] = source
    row.sources.update(shifted)


# --- the preview ---------------------------------------------------------------------------


def _preview_entry(line: int, outcome: Outcome | None, row: ReadRow | None) -> dict:
    if row is None:
        return {"line": line, "action": "failed"}
    data = row.data
    if row.kind == Contact.Kind.COMPANY:
        name = data.get("company_name", "")
    else:
        name = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
    return {
        "line": line,
        "action": outcome.action if outcome else "failed",
        "existing": outcome.existing if outcome else "",
        "kind": row.kind,
        "name": name,
        "emails": [e["email"] for e in data.get("emails", [])],
        "phones": [p["number"] for p in data.get("phones", [])],
        "company": row.company,
        "position": data.get("position", ""),
        "city": (data.get("addresses") or [{}])[0].get("city", ""),
        "lists": [
            row.names[k] for k in ("contact_type", "temperature", "source") if k in row.names
        ],
        "tags": data.get("tags", []),
    }


# --- storage -------------------------------------------------------------------------------


def storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.ATTACHMENTS_ROOT)


def _store(content: bytes) -> str:
    return storage().save(
        f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.csv", io.BytesIO(content)
    )


def _delete_file(stored_name: str):
    if stored_name:
        storage().delete(stored_name)


def _read_stored(job: ContactImport) -> list[tuple[int, list[str]]]:
    with storage().open(job.stored_name, "rb") as handle:
        content = handle.read()
    _headers, rows = parse(content.decode(job.encoding), job.delimiter)
    return rows


# --- what users do -------------------------------------------------------------------------


def _require_owner(actor, job: ContactImport):
    if not (actor and actor.is_authenticated and actor.is_active) or job.owner_id != actor.pk:
        raise PermissionDenied(_("Only the person who uploaded the file can do this."))


def _read_upload(upload) -> tuple[str, bytes]:
    if upload is None:
        raise _file_error(_("Choose a CSV file."))
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise _file_error(
            _("The file is larger than %(size)s MB.") % {"size": MAX_FILE_BYTES // 1024 // 1024}
        )
    upload.seek(0)
    content = upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise _file_error(
            _("The file is larger than %(size)s MB.") % {"size": MAX_FILE_BYTES // 1024 // 1024}
        )
    return _clean_file_name(getattr(upload, "name", "")), content


def _clean_file_name(name: str) -> str:
    """The uploaded name, only ever shown: no folders, no control characters."""
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", str(name or "")))[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    return name[:200] or "contacts.csv"


def upload_import(actor, upload) -> ContactImport:
    """Step 1: read the file (a ValidationError keyed `file` says what is wrong), keep it,
    and guess how its columns map to contact fields."""
    if not (actor and actor.is_authenticated and actor.is_active):
        raise PermissionDenied
    name, content = _read_upload(upload)
    parsed = read_csv(content)
    stored_name = _store(content)
    try:
        return ContactImport.objects.create(
            owner=actor,
            file_name=name,
            stored_name=stored_name,
            size=len(content),
            encoding=parsed.encoding,
            delimiter=parsed.delimiter,
            headers=parsed.headers,
            row_count=len(parsed.rows),
            mapping=guess_mapping(parsed.headers),
            samples=[
                [_cell(cells, i) for i in range(len(parsed.headers))]
                for _line, cells in parsed.rows[:SAMPLE_ROWS]
            ],
            tag=_("Import %(date)s") % {"date": date_format(timezone.localdate(), "Y-m-d")},
        )
    except Exception:
        _delete_file(stored_name)
        raise


def configure_import(actor, job: ContactImport, mapping, options: dict) -> ContactImport:
    """Step 2: how columns map to fields, and the batch's options."""
    _require_owner(actor, job)
    if job.status not in (ContactImport.Status.MAPPING, ContactImport.Status.CHECKED):
        raise ValidationError(_("This import has already started."))
    errors = {}
    try:
        mapping = clean_mapping(job.headers, mapping)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        options = clean_options(options)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    job.mapping = mapping
    for name, value in options.items():
        setattr(job, name, value)
    job.status = ContactImport.Status.MAPPING
    job.error = ""
    job.save()
    return job


def back_to_mapping(actor, job: ContactImport) -> ContactImport:
    _require_owner(actor, job)
    if job.status == ContactImport.Status.CHECKED:
        job.status = ContactImport.Status.MAPPING
        job.save(update_fields=["status", "updated_at"])
    return job


def _reset_counts(job: ContactImport):
    job.processed_rows = job.created_count = job.updated_count = 0
    job.skipped_count = job.failed_count = job.companies_created = 0
    job.error = ""


def _background(task_name: str, job: ContactImport):
    """Large files go to the worker; small ones are done while the page waits."""
    if job.row_count <= SYNC_ROWS:
        {"check_contact_import": check_now, "run_contact_import": import_now}[task_name](job.pk)
        return
    from . import tasks  # they import this module

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task(job.pk))


def is_stale(job: ContactImport) -> bool:
    """A check or import that has not moved for a while: its worker is gone."""
    return job.is_busy and job.updated_at < timezone.now() - STALE_AFTER


def check_import(actor, job: ContactImport) -> ContactImport:
    """Step 3: run every row through the services without keeping anything, counting what
    the import would do and listing the rows that would fail."""
    _require_owner(actor, job)
    restarting = is_stale(job) and job.status == ContactImport.Status.CHECKING
    if not restarting and job.status not in (
        ContactImport.Status.MAPPING,
        ContactImport.Status.CHECKED,
    ):
        raise ValidationError(_("This import has already started."))
    clean_mapping(job.headers, job.mapping)
    _reset_counts(job)
    job.status = ContactImport.Status.CHECKING
    job.save()
    _background("check_contact_import", job)
    job.refresh_from_db()
    return job


def can_resume(job: ContactImport) -> bool:
    return job.status == ContactImport.Status.FAILED or (
        job.status == ContactImport.Status.IMPORTING and is_stale(job)
    )


def run_import(actor, job: ContactImport) -> ContactImport:
    """Step 4: import the rows; a stopped import resumes where it stopped."""
    _require_owner(actor, job)
    resuming = can_resume(job)
    if not resuming and job.status not in (
        ContactImport.Status.MAPPING,
        ContactImport.Status.CHECKED,
    ):
        raise ValidationError(_("This import has already started."))
    clean_mapping(job.headers, job.mapping)
    if not job.stored_name:
        raise ValidationError(_("The uploaded file is no longer kept: upload it again."))
    if not resuming:
        _reset_counts(job)
        job.failures.all().delete()
        job.preview = []
    job.status = ContactImport.Status.IMPORTING
    job.error = ""
    job.save()
    _background("run_contact_import", job)
    job.refresh_from_db()
    return job


def discard_import(actor, job: ContactImport):
    """Forget an import and its file; the contacts it created stay."""
    _require_owner(actor, job)
    if job.is_busy and not is_stale(job):
        raise ValidationError(_("Wait until the import finishes."))
    stored_name = job.stored_name
    job.delete()
    transaction.on_commit(lambda: _delete_file(stored_name))


# --- the passes, run by the tasks ----------------------------------------------------------


def _ordered(reader: RowReader, rows):
    """Companies first, so that people of the same file find theirs; otherwise file order."""
    return sorted(rows, key=lambda row: reader.kind_of(row[1]) != Contact.Kind.COMPANY)


def _failure(job, line, cells, errors, headers) -> ContactImportFailure:
    return ContactImportFailure(
        job=job,
        line=line,
        values=list(cells),
        errors=[
            {
                "field": field_key,
                "column": headers[column] if column is not None and column < len(headers) else "",
                "message": message,
            }
            for field_key, column, message in errors
        ],
    )


def _unexpected(line: int, exc: Exception) -> RowError:
    logger.exception("contact import: line %s failed unexpectedly", line, exc_info=exc)
    return RowError([("", None, _("This line could not be imported (unexpected error)."))])


def check_now(pk: int):
    """The check pass (see `check_import`): every row in a transaction rolled back."""
    job = ContactImport.objects.select_related("owner").filter(pk=pk).first()
    if job is None or job.status != ContactImport.Status.CHECKING:
        return
    with translation.override(job.owner.language):
        try:
            _check(job)
        except Exception as exc:  # noqa: BLE001 - recorded for the owner, who may try again
            logger.exception("contact import %s: the check stopped", pk)
            ContactImport.objects.filter(pk=pk, status=ContactImport.Status.CHECKING).update(
                status=ContactImport.Status.MAPPING,
                error=_("The check stopped: %(error)s") % {"error": exc},
                updated_at=timezone.now(),
            )


def _check(job: ContactImport):
    job.failures.all().delete()
    importer = RowImporter(job, dry_run=True)
    rows = _read_stored(job)
    preview_lines = {line for line, _cells in rows[:PREVIEW_ROWS]}
    counts = dict.fromkeys(("created", "updated", "skipped", "failed"), 0)
    companies = 0
    preview, failures = [], []
    for position, (line, cells) in enumerate(_ordered(importer.reader, rows), start=1):
        outcome = row = None
        try:
            with transaction.atomic():
                raise _DryRun(importer.import_row(line, cells))
        except _DryRun as done:
            outcome, row = done.outcome
        except RowError as error:
            failures.append(_failure(job, line, cells, error.errors, job.headers))
        except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
            failures.append(_failure(job, line, cells, _unexpected(line, exc).errors, job.headers))
        if outcome is None:
            counts["failed"] += 1
        else:
            counts[outcome.action] += 1
            companies += outcome.companies_created
        if line in preview_lines:
            if row is None:
                try:
                    row = importer.reader.read(line, cells)
                except RowError:
                    row = None
            preview.append(_preview_entry(line, outcome, row))
        if position % PROGRESS_EVERY == 0:
            ContactImportFailure.objects.bulk_create(failures)
            failures = []
            updated = ContactImport.objects.filter(
                pk=job.pk, status=ContactImport.Status.CHECKING
            ).update(processed_rows=position, updated_at=timezone.now())
            if not updated:
                return
    ContactImportFailure.objects.bulk_create(failures)
    ContactImport.objects.filter(pk=job.pk, status=ContactImport.Status.CHECKING).update(
        status=ContactImport.Status.CHECKED,
        processed_rows=len(rows),
        created_count=counts["created"],
        updated_count=counts["updated"],
        skipped_count=counts["skipped"],
        failed_count=counts["failed"],
        companies_created=companies,
        preview=sorted(preview, key=lambda entry: entry["line"]),
        updated_at=timezone.now(),
    )


COUNTERS = {
    "created": "created_count",
    "updated": "updated_count",
    "skipped": "skipped_count",
    "failed": "failed_count",
}


def _advance(job: ContactImport, position: int, action: str, companies: int = 0):
    """Count a row as done, in the row's own transaction; only the runner that holds the
    import's current position can, so no row is ever imported twice."""
    counter = COUNTERS[action]
    moved = ContactImport.objects.filter(
        pk=job.pk, status=ContactImport.Status.IMPORTING, processed_rows=position
    ).update(
        processed_rows=F("processed_rows") + 1,
        companies_created=F("companies_created") + companies,
        updated_at=timezone.now(),
        **{counter: F(counter) + 1},
    )
    if not moved:
        raise _LostClaim


def import_now(pk: int):
    """The import pass (see `run_import`): each row in its own transaction."""
    job = ContactImport.objects.select_related("owner").filter(pk=pk).first()
    if job is None or job.status != ContactImport.Status.IMPORTING:
        return
    with translation.override(job.owner.language):
        try:
            finished = _import(job)
        except Exception as exc:  # noqa: BLE001 - recorded for the owner, who may resume
            logger.exception("contact import %s stopped", pk)
            ContactImport.objects.filter(pk=pk, status=ContactImport.Status.IMPORTING).update(
                status=ContactImport.Status.FAILED,
                error=_("The import stopped: %(error)s") % {"error": exc},
                updated_at=timezone.now(),
            )
            return
    if finished:
        _finish(job)


@transaction.atomic
def _finish(job: ContactImport):
    """Mark the import done and forget its file; the owner of a long one, who may have left
    the page, is told under the bell."""
    done = ContactImport.objects.filter(
        pk=job.pk, status=ContactImport.Status.IMPORTING, processed_rows=job.row_count
    ).update(
        status=ContactImport.Status.DONE,
        finished_at=timezone.now(),
        stored_name="",
        updated_at=timezone.now(),
    )
    if not done:
        return
    stored_name = job.stored_name
    transaction.on_commit(lambda: _delete_file(stored_name))
    if job.row_count > SYNC_ROWS:
        job.refresh_from_db()
        counts = {
            "created": job.created_count,
            "updated": job.updated_count,
            "skipped": job.skipped_count,
            "failed": job.failed_count,
        }
        notify(
            job.owner,
            IMPORT_FINISHED.key,
            {"name": job.file_name, **counts},
            url=job.get_absolute_url(),
        )


def _import(job: ContactImport) -> bool:
    importer = RowImporter(job)
    rows = _ordered(importer.reader, _read_stored(job))
    for position, (line, cells) in enumerate(rows):
        if position < job.processed_rows:
            continue
        try:
            try:
                with transaction.atomic():
                    outcome, _row = importer.import_row(line, cells)
                    _advance(job, position, outcome.action, outcome.companies_created)
                continue
            except RowError as error:
                errors = error.errors
            except _LostClaim:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
                errors = _unexpected(line, exc).errors
            with transaction.atomic():
                _advance(job, position, "failed")
                _failure(job, line, cells, errors, job.headers).save()
        except _LostClaim:
            return False
    return True


# --- reading results -----------------------------------------------------------------------


def error_text(error: dict, labels: dict | None = None) -> str:
    """One error of a failed line, as in: Email (column “Correo”): “juan@” is not an email
    address."""
    label = field_label(error.get("field", ""), labels)
    column = error.get("column", "")
    if label and column:
        where = _("%(field)s (column “%(column)s”)") % {"field": label, "column": column}
    else:
        where = label or (_("column “%(column)s”") % {"column": column} if column else "")
    return f"{where}: {error['message']}" if where else error["message"]


def field_labels() -> dict[str, ImportField]:
    return {f.key: f for f in all_fields()}


def failures_shown(job: ContactImport) -> list[dict]:
    labels = field_labels()
    return [
        {"line": failure.line, "errors": [error_text(e, labels) for e in failure.errors]}
        for failure in ContactImportFailure.objects.filter(job=job).only("line", "errors")[
            :SHOWN_FAILURES
        ]
    ]


def failed_lines_response(job: ContactImport) -> HttpResponse:
    """The failed lines as they were in the file, with their line and what was wrong, ready to
    be corrected and imported again (the two added columns map to nothing)."""
    labels = field_labels()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-failed-lines.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=job.delimiter or ",")
    width = len(job.headers)
    writer.writerow([spreadsheet_safe(h) for h in job.headers] + [_("Line"), _("Errors")])
    for failure in job.failures.iterator(chunk_size=2000):
        values = (list(failure.values) + [""] * width)[:width]
        reasons = "; ".join(error_text(e, labels) for e in failure.errors)
        writer.writerow(
            [spreadsheet_safe(v) for v in values] + [failure.line, spreadsheet_safe(reasons)]
        )
    return response
