"""Contact import: reading files, mapping, checking and importing rows through the services."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from huey.contrib.djhuey import HUEY

from clientela.contacts import imports, services
from clientela.contacts.exports import contact_csv_rows
from clientela.contacts.models import (
    Contact,
    ContactImport,
    ContactType,
    Customer,
    Interest,
    Source,
    Supplier,
    Temperature,
)
from clientela.core import services as platform_services
from clientela.core.access import AccessLevel
from clientela.core.models import ChangeLogEntry, Tag
from clientela.mail.models import Notification

from .importing import csv_bytes, english, import_files, import_rows, upload  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_files", "english")]

HEADER = ["First name", "Last name", "Email"]


def person(actor, first="Lucía", last="Martín", **extra):
    return services.create_contact(
        actor, {"kind": "person", "first_name": first, "last_name": last, **extra}
    )


def failures(job) -> dict[int, list[dict]]:
    return {f.line: f.errors for f in job.failures.all()}


# --- reading files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("Nombre;Apellidos\r\nÁlvaro;Muñoz Peña\r\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "Nombre;Apellidos\r\nÁlvaro;Muñoz Peña\r\n".encode(), "utf-8-sig"),
        ("Nombre;Apellidos\r\nÁlvaro;Muñoz Peña\r\n".encode("cp1252"), "cp1252"),
        ("Nombre;Apellidos\r\nÁlvaro;Muñoz Peña\r\n".encode("utf-16"), "utf-16"),
    ],
    ids=["utf-8", "utf-8-bom", "latin-1", "utf-16"],
)
def test_reads_utf8_with_and_without_bom_latin1_and_utf16(content, encoding):
    parsed = imports.read_csv(content)
    assert parsed.encoding == encoding
    assert parsed.headers == ["Nombre", "Apellidos"]
    assert parsed.rows == [(2, ["Álvaro", "Muñoz Peña"])]


def test_latin1_bytes_that_windows_1252_leaves_undefined_are_read_as_iso_8859_1():
    parsed = imports.read_csv(b"Name,Notes\nAna,caf\xe9 \x81\n")
    assert parsed.encoding == "latin-1"
    assert parsed.rows[0][1][1] == "café \x81"


@pytest.mark.parametrize(
    ("delimiter", "expected"),
    [(",", ","), (";", ";"), ("\t", "\t")],
    ids=["comma", "semicolon", "tab"],
)
def test_detects_the_delimiter(delimiter, expected):
    content = csv_bytes(
        [
            ["First name", "Last name", "Street"],
            ["Ana", "García", "Calle Mayor, 3; 2º"],
            ["Luis", "Pérez", "Gran Vía 1"],
        ],
        delimiter=delimiter,
    )
    parsed = imports.read_csv(content)
    assert parsed.delimiter == expected
    assert parsed.rows[0][1] == ["Ana", "García", "Calle Mayor, 3; 2º"]


def test_a_file_of_one_column_is_read():
    parsed = imports.read_csv(b"Company name\nAcme\nGlobex\n")
    assert parsed.headers == ["Company name"]
    assert [cells for _line, cells in parsed.rows] == [["Acme"], ["Globex"]]


def test_line_numbers_are_the_files_and_blank_lines_are_left_out():
    content = b'First name,Last name,Description\n\nAna,Garc\xc3\xada,"two\nlines"\nLuis,P,x\n'
    parsed = imports.read_csv(content)
    assert [line for line, _cells in parsed.rows] == [3, 5]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\r\n", "The file is empty."),
        (b"First name,Last name\r\n", "The file has a header row but no contacts under it."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file: it is not text."),
        (b"Name,Email\nAna\x00,a@b.c\n", "This is not a CSV file: it is not text."),
        (b"Name\x01\x02\x03,x\nA,b\n", "This is not a CSV file: it is not text."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is a spreadsheet workbook, not a CSV file."),
    ],
    ids=["empty", "blank", "header-only", "png", "nul", "control", "xlsx"],
)
def test_files_that_are_not_contacts_csv_get_a_clear_error(content, message):
    with pytest.raises(ValidationError) as caught:
        imports.read_csv(content)
    assert caught.value.message_dict["file"][0].startswith(message)


def test_a_value_too_long_for_csv_is_a_clear_error():
    content = b"Name,Notes\nAna," + b"x" * 200_000 + b"\n"
    with pytest.raises(ValidationError) as caught:
        imports.read_csv(content)
    assert "could not be read as CSV" in caught.value.message_dict["file"][0]


def test_too_many_rows_and_too_large_a_file_are_refused(user, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    with pytest.raises(ValidationError) as caught:
        imports.read_csv(b"Name\nA\nB\nC\n")
    assert "Import at most 2 rows" in caught.value.message_dict["file"][0]
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 10)
    with pytest.raises(ValidationError) as caught:
        imports.upload_import(user, upload(b"Name\nAna Garcia\n"))
    assert caught.value.message_dict["file"] == ["The file is larger than 0 MB."]
    assert not ContactImport.objects.exists()


# --- mapping ---------------------------------------------------------------------------------


def test_headers_in_english_and_spanish_are_pre_mapped():
    assert imports.guess_mapping(
        ["First Name", "SURNAME", "E-mail", "Mobile", "Company", "Zip code", "Notes", "Tags", "X1"]
    ) == [
        "first_name",
        "last_name",
        "email",
        "phone_mobile",
        "company",
        "postal_code",
        "description",
        "tags",
        "",
    ]
    assert imports.guess_mapping(
        ["Nombre", "Apellidos", "Correo electrónico", "Teléfono", "Población", "Provincia", "País"]
    ) == ["first_name", "last_name", "email", "phone", "city", "region", "country"]


def test_a_lone_first_name_column_is_taken_for_whole_names():
    assert imports.guess_mapping(["Nombre", "Correo"]) == ["full_name", "email"]


def test_a_single_field_is_pre_mapped_once_and_several_emails_add_up():
    assert imports.guess_mapping(["Name", "Name", "Email", "Correo"]) == [
        "full_name",
        "",
        "email",
        "email",
    ]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_exports_own_headers_are_recognised_in_each_language(language):
    with translation.override(language):
        headers = next(iter(contact_csv_rows(None)))
    mapping = imports.guess_mapping(headers)
    assert mapping == list(imports.EXPORT_MAPPING)
    assert dict(zip(headers, mapping, strict=True))[headers[3]] == "first_name"


def test_the_exports_headers_are_recognised_at_the_start_of_a_wider_file():
    with translation.override("es"):
        headers = [*next(iter(contact_csv_rows(None))), "Line", "Errors", "Notas"]
    assert imports.guess_mapping(headers) == [*imports.EXPORT_MAPPING, "", "", "description"]


def test_custom_fields_are_mapped_by_label_or_key(admin_user):
    platform_services.save_custom_field(
        admin_user,
        Contact,
        None,
        {"key": "budget", "label": "Annual budget", "field_type": "number"},
    )
    assert imports.guess_mapping(["Annual budget", "budget", "Full name"]) == [
        "custom_fields.budget",
        "",
        "full_name",
    ]


@pytest.mark.parametrize(
    ("mapping", "key", "message"),
    [
        (["first_name", "nonsense", ""], "mapping.1", "There is no field “nonsense”"),
        (["first_name", "first_name", ""], "mapping.1", "“First name” is already taken"),
        (["", "", "email"], "mapping", "Choose the column with the names"),
        (["first_name"], "mapping", "The file has 3 columns but the mapping has 1."),
        ({"Nope": "email"}, "mapping", "The file has no column “Nope”."),
        ({"Name": "email"}, "mapping", "several columns called “Name”"),
        ("first_name", "mapping", "Give one field per column"),
    ],
)
def test_a_mapping_that_does_not_fit_the_file_says_why(mapping, key, message):
    with pytest.raises(ValidationError) as caught:
        imports.clean_mapping(["Name", "Name", "Email"], mapping)
    assert message in caught.value.message_dict[key][0]


def test_a_mapping_by_header_leaves_the_other_columns_out():
    assert imports.clean_mapping(["A", "B", "C"], {"B": "full_name", "C": "email"}) == [
        "",
        "full_name",
        "email",
    ]


def test_options_are_checked(user):
    job = imports.upload_import(user, upload(csv_bytes([HEADER, ["Ana", "García", ""]])))
    with pytest.raises(ValidationError) as caught:
        imports.configure_import(
            user, job, job.mapping, {"duplicates": "merge", "access": "secret", "tag": "x" * 61}
        )
    assert set(caught.value.message_dict) == {"duplicates", "access", "tag"}


# --- importing rows --------------------------------------------------------------------------


def test_rows_become_contacts_through_the_services(user, admin_user):
    vip = ContactType.objects.create(name="VIP")
    fair = Source.objects.create(name="Feria")
    hot = Temperature.objects.create(name="Caliente")
    Interest.objects.create(name="Software")
    Interest.objects.create(name="Hardware")
    platform_services.save_custom_field(
        admin_user, Contact, None, {"key": "budget", "label": "Budget", "field_type": "number"}
    )
    header = [
        "Nombre",
        "Apellidos",
        "Correo",
        "Email personal",
        "Móvil",
        "Web",
        "Dirección",
        "Ciudad",
        "CP",
        "País",
        "Tipo",
        "Origen",
        "Temperatura",
        "Intereses",
        "Etiquetas",
        "Budget",
        "Cargo",
        "Empresa",
        "Notas",
    ]
    row = [
        "Ana",
        "García López",
        "Ana.Garcia@Example.com",
        "ana@home.es; ana2@home.es",
        "+34 600 111 222",
        "www.example.com",
        "Calle Mayor 3",
        "Madrid",
        "28013",
        "España",
        "vip",
        "FERIA",
        "Caliente",
        "Software, hardware",
        "Prensa, Madrid",
        "1500",
        "Directora",
        "Acme S.L.",
        "Met at the fair",
    ]
    job = import_rows(user, [header, row], tag="Spring 2026", access=AccessLevel.PUBLIC_READ)
    assert job.status == ContactImport.Status.DONE
    assert (job.created_count, job.failed_count, job.companies_created) == (1, 0, 1)
    ana = Contact.objects.get(kind="person")
    assert (ana.first_name, ana.last_name, ana.position) == ("Ana", "García López", "Directora")
    assert [(e.email, e.kind) for e in ana.emails.all()] == [
        ("ana.garcia@example.com", "work"),
        ("ana@home.es", "home"),
        ("ana2@home.es", "home"),
    ]
    assert [(p.number, p.kind) for p in ana.phones.all()] == [("+34 600 111 222", "mobile")]
    assert [w.url for w in ana.websites.all()] == ["https://www.example.com"]
    address = ana.addresses.get()
    assert (address.street, address.city, address.postal_code, address.country) == (
        "Calle Mayor 3",
        "Madrid",
        "28013",
        "España",
    )
    assert (ana.contact_type, ana.source, ana.temperature) == (vip, fair, hot)
    assert sorted(i.name for i in ana.interests.all()) == ["Hardware", "Software"]
    assert sorted(t.name for t in ana.tags.all()) == ["Madrid", "Prensa", "Spring 2026"]
    assert ana.custom_fields == {"budget": 1500}
    assert ana.description == "Met at the fair"
    assert ana.access == AccessLevel.PUBLIC_READ
    assert list(ana.managers.all()) == [user]
    assert ana.company.display_name == "Acme S.L."
    assert [t.name for t in ana.company.tags.all()] == ["Spring 2026"]
    assert ana.primary_email == "ana.garcia@example.com"
    entry = ChangeLogEntry.objects.get(object_id=ana.pk, action="create")
    assert entry.actor == user


def test_an_existing_company_is_linked_by_name_and_companies_come_first(user):
    acme = services.create_contact(user, {"kind": "company", "company_name": "Acme S.L."})
    job = import_rows(
        user,
        [
            ["Full name", "Company", "Company name", "Kind"],
            ["Ana García", "ACME s.l.", "", "person"],
            ["Luis Pérez", "Globex", "", "Persona"],
            ["", "", "Globex", "Empresa"],
        ],
    )
    assert (job.created_count, job.companies_created, job.failed_count) == (3, 0, 0)
    assert Contact.objects.get(first_name="Ana").company == acme
    globex = Contact.objects.get(company_name="Globex")
    assert Contact.objects.get(first_name="Luis", last_name="Pérez").company == globex
    assert Contact.objects.filter(kind="company").count() == 2


def test_kind_is_guessed_or_taken_from_the_batch_default(user):
    rows = [["First name", "Last name", "Company name"], ["", "", "Acme"], ["Ana", "García", ""]]
    import_rows(user, rows)
    assert dict(Contact.objects.values_list("display_name", "kind")) == {
        "Acme": "company",
        "Ana García": "person",
    }
    job = import_rows(user, [["Company name"], ["Globex"]], default_kind="person")
    assert failures(job) == {
        2: [
            {"field": "first_name", "column": "", "message": "A person needs a first name."},
            {"field": "last_name", "column": "", "message": "A person needs a last name."},
        ]
    }


def test_full_names_are_split_into_first_and_last_name(user):
    import_rows(user, [["Name"], ["Ana García López"], ["Pérez Gómez, Luis"]])
    assert sorted(Contact.objects.values_list("first_name", "last_name")) == [
        ("Ana", "García López"),
        ("Luis", "Pérez Gómez"),
    ]


def test_every_bad_row_is_listed_with_its_line_field_and_column(user):
    Source.objects.create(name="Web")
    rows = [
        ["Nombre", "Apellidos", "Correo", "Origen", "Cliente potencial", "Clase"],
        ["Ana", "García", "ana@example.com", "web", "sí", ""],
        ["Juan", "Pérez", "juan@", "", "", ""],
        ["Eva", "", "eva@example.com", "Feria", "quizás", "robot"],
        ["Luis", "Gómez", "luis@example.com", "", "no", "Persona"],
    ]
    job = import_rows(user, rows, check=True)
    assert (job.created_count, job.failed_count) == (2, 2)
    assert failures(job) == {
        3: [{"field": "email", "column": "Correo", "message": "“juan@” is not an email address."}],
        4: [
            {
                "field": "kind",
                "column": "Clase",
                "message": "“robot” is not a kind: write person or company.",
            },
            {
                "field": "source",
                "column": "Origen",
                "message": "“Feria” is not in the list of sources; an admin can add it in "
                "Settings.",
            },
            {
                "field": "is_lead",
                "column": "Cliente potencial",
                "message": "“quizás” is neither yes nor no.",
            },
        ],
    }
    assert sorted(Contact.objects.values_list("first_name", "is_lead")) == [
        ("Ana", True),
        ("Luis", False),
    ]
    assert not Source.objects.filter(name="Feria").exists()
    shown = imports.failures_shown(job)
    assert shown[0] == {
        "line": 3,
        "errors": ["Email (work) (column “Correo”): “juan@” is not an email address."],
    }


def test_unknown_interests_and_types_are_errors_and_tags_are_created(user):
    rows = [["Name", "Type", "Interests", "Tags"], ["Ana García", "", "Golf", "Nueva"]]
    job = import_rows(user, rows)
    assert failures(job)[2][0]["message"].startswith("“Golf” is not in the list of interests")
    assert not Tag.objects.filter(name="Nueva").exists()
    rows = [["Name", "Type", "Tags"], ["Ana García", "", "Nueva"], ["Luis Pérez", "Partner", ""]]
    job = import_rows(user, rows)
    assert Tag.objects.filter(name="Nueva").exists()
    assert failures(job)[3][0]["field"] == "contact_type"


def test_a_failing_row_leaves_nothing_half_written(user):
    """The person's company is created in the row's transaction; the row's bad role code
    undoes it with the person."""
    services.create_customer(user, {"kind": "company", "company_name": "Initech"}, {"code": "C-1"})
    rows = [
        ["Full name", "Company", "Customer code", "Email"],
        ["Ana García", "Brand New Ltd", "C-1", "ana@example.com"],
        ["Luis Pérez", "Other Ltd", "C-2", "luis@example.com"],
    ]
    job = import_rows(user, rows)
    assert (job.created_count, job.failed_count, job.companies_created) == (1, 1, 1)
    assert failures(job)[2] == [
        {
            "field": "customer_code",
            "column": "Customer code",
            "message": "Another customer has the code C-1.",
        }
    ]
    assert not Contact.objects.filter(display_name__in=["Ana García", "Brand New Ltd"]).exists()
    luis = Contact.objects.get(display_name="Luis Pérez")
    assert luis.customer.code == "C-2"
    assert luis.company.display_name == "Other Ltd"


def test_an_unexpected_error_on_one_row_does_not_stop_the_others(user, monkeypatch):
    create = services.create_contact

    def flaky(actor, data):
        if data.get("first_name") == "Boom":
            raise RuntimeError("disk on fire")
        return create(actor, data)

    monkeypatch.setattr(services, "create_contact", flaky)
    rows = [HEADER, ["Ana", "García", ""], ["Boom", "Bang", ""], ["Luis", "Pérez", ""]]
    job = import_rows(user, rows)
    assert job.status == ContactImport.Status.DONE
    assert (job.created_count, job.failed_count) == (2, 1)
    assert failures(job)[3][0]["message"] == "This line could not be imported (unexpected error)."


def test_roles_and_leads_are_set(user):
    rows = [
        ["Company name", "Customer code", "Supplier code", "Lead"],
        ["Acme", "C-100", "", "no"],
        ["Globex", "", "S-7", "yes"],
    ]
    import_rows(user, rows)
    assert Customer.objects.get().code == "C-100"
    assert Supplier.objects.get().contact.display_name == "Globex"
    assert Contact.objects.get(display_name="Globex").is_lead


# --- duplicates ------------------------------------------------------------------------------


@pytest.fixture
def existing(user):
    return person(
        user,
        "Ana",
        "García",
        emails=[{"email": "ana@example.com"}],
        phones=[{"number": "600 111 222"}],
        tags=["Old"],
        access=AccessLevel.PUBLIC_WRITE,
    )


DUPLICATE_ROWS = [
    ["First name", "Last name", "Email", "Phone", "Position", "Tags", "Access"],
    ["Ana", "García", "ANA@example.com", "+34 699 000 000", "CEO", "New", "private"],
    ["Luis", "Pérez", "luis@example.com", "", "", "", ""],
]


def test_duplicates_are_skipped(user, existing):
    job = import_rows(user, DUPLICATE_ROWS, duplicates="skip")
    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 0, 1)
    existing.refresh_from_db()
    assert existing.position == ""
    assert Contact.objects.count() == 2


def test_duplicates_are_updated(user, existing):
    job = import_rows(user, DUPLICATE_ROWS, duplicates="update", tag="Batch")
    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 1, 0)
    existing.refresh_from_db()
    assert existing.position == "CEO"
    assert existing.kind == "person"
    assert existing.access == AccessLevel.PUBLIC_WRITE
    assert [p.number for p in existing.phones.all()] == ["600 111 222", "+34 699 000 000"]
    assert [e.email for e in existing.emails.all()] == ["ana@example.com"]
    assert sorted(t.name for t in existing.tags.all()) == ["Batch", "New", "Old"]
    assert existing.version == 2
    assert ChangeLogEntry.objects.filter(object_id=existing.pk, action="update").count() == 1


def test_duplicates_are_created_anyway(user, existing):
    job = import_rows(user, DUPLICATE_ROWS, duplicates="create")
    assert (job.created_count, job.updated_count, job.skipped_count) == (2, 0, 0)
    assert Contact.objects.filter(primary_email="ana@example.com").count() == 2


def test_only_contacts_the_user_can_see_are_duplicates(user, other_user):
    person(other_user, "Ana", "Hidden", emails=[{"email": "ana@example.com"}])
    job = import_rows(user, DUPLICATE_ROWS[:2], duplicates="update")
    assert (job.created_count, job.updated_count) == (1, 0)
    assert Contact.objects.filter(primary_email="ana@example.com").count() == 2


def test_updating_a_contact_the_user_may_only_read_fails_that_row(user, other_user):
    person(
        other_user,
        "Ana",
        "García",
        emails=[{"email": "ana@example.com"}],
        access=AccessLevel.PUBLIC_READ,
    )
    job = import_rows(user, DUPLICATE_ROWS, duplicates="update")
    assert (job.created_count, job.updated_count, job.failed_count) == (1, 0, 1)
    assert failures(job)[2][0]["message"] == "You may not change this contact."


def test_an_email_shared_by_two_contacts_is_not_updated_blindly(user):
    person(user, "Ana", "Uno", emails=[{"email": "ana@example.com"}])
    person(user, "Ana", "Dos", emails=[{"email": "ana@example.com"}])
    job = import_rows(user, DUPLICATE_ROWS[:2], duplicates="update")
    assert job.failed_count == 1
    assert "More than one of your contacts has this email" in failures(job)[2][0]["message"]


def test_rows_of_the_same_file_with_the_same_email_are_duplicates_too(user):
    rows = [HEADER, ["Ana", "García", "ana@example.com"], ["Ana", "G.", "Ana@Example.com"]]
    job = import_rows(user, rows, duplicates="skip", check=True)
    assert (job.created_count, job.skipped_count) == (1, 1)
    assert Contact.objects.count() == 1


def test_the_check_predicts_what_the_import_does_and_keeps_nothing(user, existing):
    job = imports.upload_import(
        user, upload(csv_bytes(DUPLICATE_ROWS + [["X", "", "", "", "", "", ""]]))
    )
    job = imports.configure_import(user, job, job.mapping, {"duplicates": "update", "tag": "T"})
    tags_before = set(Tag.objects.values_list("name", flat=True))
    job = imports.check_import(user, job)
    assert job.status == ContactImport.Status.CHECKED
    assert (job.created_count, job.updated_count, job.failed_count) == (1, 1, 1)
    assert Contact.objects.count() == 1
    assert set(Tag.objects.values_list("name", flat=True)) == tags_before
    assert [(p["line"], p["action"], p["name"]) for p in job.preview] == [
        (2, "updated", "Ana García"),
        (3, "created", "Luis Pérez"),
        (4, "failed", "X"),
    ]
    job = imports.run_import(user, job)
    assert (job.status, job.created_count, job.updated_count, job.failed_count) == (
        ContactImport.Status.DONE,
        1,
        1,
        1,
    )


# --- the export comes back ---------------------------------------------------------------------


def _export_without_ids(user) -> list[list[str]]:
    rows = list(contact_csv_rows(user))
    return sorted(row[1:-1] for row in rows[1:])


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_export_imports_back_into_the_same_contacts(user, language):
    vip = ContactType.objects.create(name="VIP")
    warm = Temperature.objects.create(name="Templado")
    fair = Source.objects.create(name="Feria")
    acme = services.create_customer(
        user,
        {
            "kind": "company",
            "company_name": "Acme S.L.",
            "emails": [{"email": "info@acme.example"}],
            "phones": [{"number": "+34 910 000 000", "kind": "work"}],
            "contact_type_id": vip.pk,
            "access": AccessLevel.PUBLIC_WRITE,
            "currency": "USD",
            "tags": ["Clientes", "Madrid"],
        },
        {"code": "C00042"},
    ).contact
    person(
        user,
        "Ana",
        "García",
        company_id=acme.pk,
        position="=Directora",
        emails=[{"email": "ana@acme.example"}],
        temperature_id=warm.pk,
        source_id=fair.pk,
        is_lead=True,
        tags=["Madrid"],
    )
    services.create_supplier(
        user,
        {"kind": "company", "company_name": "Proveedora", "access": "public_read"},
        {"code": "S00007"},
    )
    person(user, "Luis", "Pérez", phones=[{"number": "-600 11 22 33"}])
    with translation.override(language):
        exported = _export_without_ids(user)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(contact_csv_rows(user))
    Contact.objects.all().delete()
    job = imports.upload_import(user, upload(b"\xef\xbb\xbf" + buffer.getvalue().encode()))
    assert job.mapping == list(imports.EXPORT_MAPPING)
    job = imports.configure_import(user, job, job.mapping, {"tag": ""})
    job = imports.run_import(user, job)
    assert (job.created_count, job.failed_count, job.companies_created) == (4, 0, 0)
    with translation.override(language):
        assert _export_without_ids(user) == exported
    assert Contact.objects.get(first_name="Ana").position == "=Directora"


# --- background work, resuming, permissions ------------------------------------------------------


def test_large_files_are_checked_and_imported_by_huey_tasks(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    assert HUEY.immediate
    monkeypatch.setattr(imports, "SYNC_ROWS", 2)
    rows = [HEADER] + [[f"Name{i}", "Surname", f"p{i}@example.com"] for i in range(5)]
    job = imports.upload_import(user, upload(csv_bytes(rows)))
    imports.configure_import(user, job, job.mapping, {})
    with django_capture_on_commit_callbacks() as callbacks:
        imports.check_import(user, job)
    job.refresh_from_db()
    assert job.status == ContactImport.Status.CHECKING
    for callback in callbacks:
        callback()  # the worker's turn
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ContactImport.Status.CHECKED, 5)
    assert not Contact.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        imports.run_import(user, job)
    job.refresh_from_db()
    assert job.status == ContactImport.Status.IMPORTING
    assert not Contact.objects.exists()
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.status, job.created_count, job.processed_rows) == ("done", 5, 5)
    assert Contact.objects.count() == 5
    bell = Notification.objects.get(recipient=user)
    assert bell.text == (
        "The import of contacts.csv finished: 5 created, 0 updated, 0 skipped, 0 failed"
    )
    assert bell.url == f"/contacts/import/{job.pk}/"


def test_a_stopped_import_resumes_without_importing_a_row_twice(user, monkeypatch):
    rows = [HEADER] + [[f"Name{i}", "Surname", f"p{i}@example.com"] for i in range(4)]
    job = imports.upload_import(user, upload(csv_bytes(rows)))
    imports.configure_import(user, job, job.mapping, {"duplicates": "create"})
    advance = imports._advance

    def crash_on_the_third_row(job, position, action, companies=0):
        if position == 2:
            raise ConnectionError("database went away")
        return advance(job, position, action, companies)

    monkeypatch.setattr(imports, "_advance", crash_on_the_third_row)
    job = imports.run_import(user, job)
    assert job.status == ContactImport.Status.FAILED
    assert "database went away" in job.error
    assert (job.processed_rows, job.created_count) == (2, 2)
    assert Contact.objects.count() == 2
    monkeypatch.setattr(imports, "_advance", advance)
    job = imports.run_import(user, job)
    assert (job.status, job.processed_rows, job.created_count) == ("done", 4, 4)
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == [
        "Name0",
        "Name1",
        "Name2",
        "Name3",
    ]


def test_a_runner_that_lost_its_place_stops_without_writing(user):
    job = imports.upload_import(user, upload(csv_bytes([HEADER, ["Ana", "García", ""]])))
    imports.configure_import(user, job, job.mapping, {})
    ContactImport.objects.filter(pk=job.pk).update(status="importing")
    job.refresh_from_db()
    ContactImport.objects.filter(pk=job.pk).update(processed_rows=1)
    assert imports._import(job) is False
    assert not Contact.objects.exists()


def test_only_the_owner_acts_on_an_import(user, other_user, admin_user):
    job = imports.upload_import(user, upload(csv_bytes([HEADER, ["Ana", "García", ""]])))
    for actor in (other_user, admin_user):
        with pytest.raises(PermissionDenied):
            imports.configure_import(actor, job, job.mapping, {})
        with pytest.raises(PermissionDenied):
            imports.run_import(actor, job)
        with pytest.raises(PermissionDenied):
            imports.discard_import(actor, job)
    assert list(ContactImport.objects.visible_to(other_user)) == []
    assert list(ContactImport.objects.visible_to(admin_user)) == [job]
    assert list(ContactImport.objects.editable_by(admin_user)) == []


def test_the_file_is_kept_outside_served_folders_until_the_import_is_done(
    user, settings, django_capture_on_commit_callbacks
):
    job = imports.upload_import(user, upload(csv_bytes([HEADER, ["Ana", "García", ""]])))
    stored = settings.ATTACHMENTS_ROOT / job.stored_name
    assert stored.is_file() and job.stored_name.startswith("imports/")
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))
    imports.configure_import(user, job, job.mapping, {})
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.run_import(user, job)
    assert job.stored_name == "" and not stored.exists()


def test_discarding_forgets_the_import_and_its_file(
    user, settings, django_capture_on_commit_callbacks
):
    job = imports.upload_import(user, upload(csv_bytes([HEADER, ["Ana", "García", ""]])))
    stored = settings.ATTACHMENTS_ROOT / job.stored_name
    with django_capture_on_commit_callbacks(execute=True):
        imports.discard_import(user, job)
    assert not ContactImport.objects.exists() and not stored.exists()


def test_the_failed_lines_download_can_be_corrected_and_imported_again(user):
    rows = [["Nombre", "Apellidos", "Correo"], ["Ana", "García", "ana@"], ["Luis", "Pérez", ""]]
    job = import_rows(user, rows)
    response = imports.failed_lines_response(job)
    text = response.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["Nombre", "Apellidos", "Correo", "Line", "Errors"],
        [
            "Ana",
            "García",
            "ana@",
            "2",
            "Email (work) (column “Correo”): “ana@” is not an email address.",
        ],
    ]
    fixed = text.replace("ana@,", "ana@example.com,").encode()
    again = imports.upload_import(user, upload(fixed))
    assert again.mapping == ["first_name", "last_name", "email", "", ""]


# --- how many queries ----------------------------------------------------------------------------


def _queries_to_import(user, count: int) -> int:
    rows = [["Name", "Email", "Source", "Company", "Tags"]] + [
        [f"Person{i} Surname", f"p{i}.{count}@example.com", "Web", "Acme", "a, b"]
        for i in range(count)
    ]
    job = imports.upload_import(user, upload(csv_bytes(rows)))
    imports.configure_import(user, job, job.mapping, {"tag": ""})
    with CaptureQueriesContext(connection) as captured:
        imports.run_import(user, job)
    return len(captured)


def test_each_row_costs_the_same_few_queries(user):
    Source.objects.create(name="Web")
    services.create_contact(user, {"kind": "company", "company_name": "Acme"})
    _queries_to_import(user, 1)  # creates the tags
    five, ten = _queries_to_import(user, 5), _queries_to_import(user, 10)
    per_row = (ten - five) / 5
    assert per_row == int(per_row)
    # A duplicate check, the company by name, the row's savepoint and counters, and what
    # create_contact does (validation, rows, managers, tags, change log snapshot).
    assert per_row <= 50, per_row
    assert five - 5 * per_row <= 15


def test_a_company_that_cannot_be_created_fails_its_persons_row_at_the_company_column(user):
    job = import_rows(user, [["Name", "Empresa"], ["Ana García", "A" * 201]])
    assert failures(job)[2] == [
        {"field": "company", "column": "Empresa", "message": "At most 200 characters."}
    ]
    assert not Contact.objects.exists()
