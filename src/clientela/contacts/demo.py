"""Demo data in Spanish and English, built through the services exactly as users would.

Loading it twice adds nothing: every user, list entry and contact is looked up by its natural
key (email, name) first and only created when missing. All names and addresses are invented."""

from dataclasses import dataclass, field

from django.db import transaction

from clientela.accounts.models import Team, User
from clientela.accounts.services import create_user, set_team
from clientela.core.access import AccessLevel
from clientela.core.services import save_list_item

from .models import Contact, ContactType, Interest, Source, Temperature
from .services import (
    create_contact,
    create_customer,
    create_supplier,
    set_primary_contact,
)

ADMIN_EMAIL = "demo@clientela.test"
# Printed by `clientela demo` and given in the README: demo data is for trying Clientela out.
DEMO_PASSWORD = "clientela-demo"

USERS = [
    # email, first name, last name, role, language
    (ADMIN_EMAIL, "Elena", "Martín", User.Role.ADMIN, "es"),
    ("javier@clientela.test", "Javier", "Ortega", User.Role.USER, "es"),
    ("emma@clientela.test", "Emma", "Clarke", User.Role.USER, "en"),
]
TEAM = ("Equipo comercial", ["javier@clientela.test", "emma@clientela.test"])

CONTACT_TYPES = ["Cliente final", "Distribuidor", "Partner", "Administración pública"]
TEMPERATURES = [("Frío", "#0d6efd"), ("Templado", "#fd7e14"), ("Caliente", "#dc3545")]
SOURCES = [
    ("Web", "Formulario de contacto de la web"),
    ("Feria", "Ferias y congresos"),
    ("Recomendación", "Recomendado por un cliente"),
    ("LinkedIn", ""),
    ("Trade show", "Events abroad"),
]
INTERESTS = [
    ("Consultoría", "Proyectos de consultoría"),
    ("Licencias", "Licencias de software"),
    ("Soporte", "Contratos de soporte y mantenimiento"),
    ("Formación", "Cursos y talleres"),
    ("Cloud hosting", "Managed hosting"),
]


@dataclass
class DemoSummary:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def count(self, what: str):
        self.created[what] = self.created.get(what, 0) + 1

    def report(self) -> str:
        if not self.created:
            return "The demo data was already there; nothing was added."
        parts = ", ".join(f"{what}: {n}" for what, n in self.created.items())
        return f"Demo data loaded: {parts}."


def _address(street, city, postal_code, region, country, kind="billing"):
    return {
        "kind": kind,
        "street": street,
        "city": city,
        "postal_code": postal_code,
        "region": region,
        "country": country,
    }


def _companies():
    """Companies with their people. `role` is customer, supplier or lead."""
    return [
        {
            "role": "customer",
            "company_name": "Construcciones Aranda S.L.",
            "contact_type": "Cliente final",
            "temperature": "Caliente",
            "source": "Recomendación",
            "interests": ["Consultoría", "Soporte"],
            "tags": ["VIP", "Madrid"],
            "manager": "javier@clientela.test",
            "access": AccessLevel.PUBLIC_READ,
            "emails": [{"email": "info@construccionesaranda.example", "kind": "work"}],
            "phones": [{"number": "+34 914 55 21 30", "kind": "work"}],
            "websites": [{"url": "https://construccionesaranda.example", "kind": "website"}],
            "addresses": [
                _address("Calle de Alcalá 214", "Madrid", "28028", "Madrid", "España"),
                _address(
                    "Polígono Las Mercedes, nave 7",
                    "Madrid",
                    "28022",
                    "Madrid",
                    "España",
                    kind="shipping",
                ),
            ],
            "description": "Constructora de obra residencial con 40 empleados.",
            "customer": {"tax_id": "B84512367", "payment_terms": "30 días"},
            "people": [
                ("Lucía", "Fernández", "Directora de compras", "lucia.fernandez"),
                ("Pablo", "Aranda", "Gerente", "pablo.aranda"),
            ],
            "primary": "Pablo Aranda",
        },
        {
            "role": "customer",
            "company_name": "Tecnologías del Ebro S.A.",
            "contact_type": "Distribuidor",
            "temperature": "Templado",
            "source": "Feria",
            "interests": ["Licencias", "Formación"],
            "tags": ["Distribuidor", "Newsletter"],
            "manager": "javier@clientela.test",
            "emails": [{"email": "comercial@tecnologiasebro.example", "kind": "work"}],
            "phones": [{"number": "+34 976 30 44 12", "kind": "work"}],
            "websites": [{"url": "https://tecnologiasebro.example", "kind": "website"}],
            "addresses": [
                _address("Paseo de la Independencia 19", "Zaragoza", "50001", "Aragón", "España")
            ],
            "customer": {"tax_id": "A50123987", "payment_terms": "60 días"},
            "people": [
                ("Carmen", "Ruiz", "Directora técnica", "carmen.ruiz"),
                ("Diego", "Navarro", "Responsable de cuentas", "diego.navarro"),
            ],
        },
        {
            "role": "customer",
            "company_name": "Harbour & Finch Ltd",
            "contact_type": "Cliente final",
            "temperature": "Caliente",
            "source": "Trade show",
            "interests": ["Cloud hosting", "Soporte"],
            "tags": ["VIP", "Export"],
            "manager": "emma@clientela.test",
            "currency": "GBP",
            "emails": [{"email": "hello@harbourfinch.example", "kind": "work"}],
            "phones": [{"number": "+44 20 7946 0321", "kind": "work"}],
            "websites": [
                {"url": "https://harbourfinch.example", "kind": "website"},
                {
                    "url": "https://www.linkedin.com/company/harbourfinch-example",
                    "kind": "linkedin",
                },
            ],
            "addresses": [
                _address("14 Wapping High Street", "London", "E1W 1NG", "", "United Kingdom")
            ],
            "description": "Importer of Spanish food and wine for UK delis.",
            "customer": {"tax_id": "GB123456789", "payment_terms": "Net 30"},
            "people": [
                ("Oliver", "Bennett", "Operations Manager", "oliver.bennett"),
                ("Priya", "Shah", "Head of Purchasing", "priya.shah"),
            ],
        },
        {
            "role": "supplier",
            "company_name": "Papelería Central S.L.",
            "contact_type": "Distribuidor",
            "source": "Web",
            "tags": ["Proveedor local"],
            "manager": ADMIN_EMAIL,
            "emails": [{"email": "pedidos@papeleriacentral.example", "kind": "work"}],
            "phones": [{"number": "+34 963 11 22 33", "kind": "work"}],
            "addresses": [_address("Calle de Colón 8", "Valencia", "46004", "Valencia", "España")],
            "supplier": {"tax_id": "B46987654", "payment_terms": "Contado"},
            "people": [("Rosa", "Gil", "Atención al cliente", "rosa.gil")],
        },
        {
            "role": "supplier",
            "company_name": "Nordic Cloud Hosting AB",
            "contact_type": "Partner",
            "source": "LinkedIn",
            "interests": ["Cloud hosting"],
            "tags": ["Export"],
            "manager": "emma@clientela.test",
            "access": AccessLevel.PUBLIC_READ,
            "emails": [{"email": "billing@nordiccloud.example", "kind": "work"}],
            "phones": [{"number": "+46 8 123 456 78", "kind": "work"}],
            "websites": [{"url": "https://nordiccloud.example", "kind": "website"}],
            "addresses": [_address("Sveavägen 44", "Stockholm", "111 34", "", "Sweden")],
            "supplier": {"tax_id": "SE556677889901", "payment_terms": "Net 15"},
            "people": [("Erik", "Lindqvist", "Account Manager", "erik.lindqvist")],
        },
        {
            "role": "lead",
            "company_name": "Bodegas Montecillo Alto",
            "contact_type": "Cliente final",
            "temperature": "Templado",
            "source": "Feria",
            "interests": ["Consultoría"],
            "tags": ["La Rioja"],
            "manager": "javier@clientela.test",
            "emails": [{"email": "info@montecilloalto.example", "kind": "work"}],
            "phones": [{"number": "+34 941 20 30 40", "kind": "work"}],
            "addresses": [
                _address("Carretera de Elciego km 3", "Laguardia", "01300", "Álava", "España")
            ],
            "people": [("Marta", "Ibáñez", "Directora financiera", "marta.ibanez")],
        },
        {
            "role": "lead",
            "company_name": "Greenleaf Organics Inc.",
            "contact_type": "Distribuidor",
            "temperature": "Frío",
            "source": "Web",
            "interests": ["Licencias"],
            "tags": ["Export", "Newsletter"],
            "manager": "emma@clientela.test",
            "currency": "USD",
            "access": AccessLevel.PUBLIC_READ,
            "emails": [{"email": "sales@greenleaforganics.example", "kind": "work"}],
            "phones": [{"number": "+1 503 555 0147", "kind": "work"}],
            "addresses": [_address("820 NW Glisan St", "Portland", "97209", "Oregon", "USA")],
            "people": [("Rachel", "Moore", "Buyer", "rachel.moore")],
        },
    ]


def _people():
    """People who belong to no company."""
    return [
        {
            "first_name": "Andrés",
            "last_name": "Molina",
            "position": "Arquitecto autónomo",
            "lead": True,
            "temperature": "Caliente",
            "source": "Recomendación",
            "interests": ["Consultoría"],
            "tags": ["Madrid"],
            "manager": "javier@clientela.test",
            "emails": [{"email": "andres.molina@correo.example", "kind": "home"}],
            "phones": [{"number": "+34 612 34 56 78", "kind": "mobile"}],
            "addresses": [_address("Calle del Pez 12", "Madrid", "28004", "Madrid", "España")],
        },
        {
            "first_name": "Isabel",
            "last_name": "Castro",
            "position": "Periodista",
            "contact_type": "Partner",
            "source": "LinkedIn",
            "tags": ["Prensa", "Newsletter"],
            "manager": ADMIN_EMAIL,
            "access": AccessLevel.PUBLIC_WRITE,
            "emails": [{"email": "isabel.castro@prensa.example", "kind": "work"}],
            "phones": [{"number": "+34 699 87 65 43", "kind": "mobile"}],
            "websites": [{"url": "https://x.com/isabelcastro_example", "kind": "x"}],
        },
        {
            "first_name": "Hannah",
            "creator": ADMIN_EMAIL,
            "last_name": "Schmidt",
            "position": "Freelance translator",
            "lead": True,
            "temperature": "Frío",
            "source": "Web",
            "interests": ["Formación"],
            "manager": "emma@clientela.test",
            "emails": [{"email": "hannah@schmidt-translations.example", "kind": "work"}],
            "phones": [{"number": "+49 30 901820", "kind": "work"}],
            "addresses": [_address("Torstraße 101", "Berlin", "10119", "", "Germany")],
        },
        {
            "first_name": "Mark",
            "last_name": "Evans",
            "position": "Consultant",
            "contact_type": "Partner",
            "tags": ["Export"],
            "manager": "emma@clientela.test",
            "access": AccessLevel.PUBLIC_READ,
            "emails": [{"email": "mark.evans@evansconsulting.example", "kind": "work"}],
            "phones": [{"number": "+44 7700 900123", "kind": "mobile"}],
        },
        {
            "first_name": "Sofía",
            "creator": ADMIN_EMAIL,
            "last_name": "Ramírez",
            "position": "Responsable de marketing",
            "contact_type": "Cliente final",
            "temperature": "Templado",
            "source": "Web",
            "tags": ["Newsletter"],
            "manager": "javier@clientela.test",
            "emails": [
                {"email": "sofia.ramirez@correo.example", "kind": "home"},
                {"email": "sramirez@agenciasol.example", "kind": "work"},
            ],
            "phones": [
                {"number": "+34 655 44 33 22", "kind": "mobile"},
                {"number": "+34 954 22 11 00", "kind": "work"},
            ],
            "addresses": [
                _address("Avenida de la Constitución 5", "Sevilla", "41001", "", "España")
            ],
        },
    ]


class _DemoBuilder:
    def __init__(self, summary: DemoSummary):
        self.summary = summary
        self.users: dict[str, User] = {}
        self.lists: dict[type, dict[str, int]] = {}

    @property
    def admin(self) -> User:
        return self.users[ADMIN_EMAIL]

    def ensure_users(self):
        for email, first_name, last_name, role, language in USERS:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                actor = None if role == User.Role.ADMIN else self.admin
                user = create_user(
                    actor,
                    email=email,
                    password=DEMO_PASSWORD,
                    first_name=first_name,
                    last_name=last_name,
                    role=role,
                    language=language,
                )
                self.summary.count("users")
            self.users[email] = user
            self.summary.logins.append((email, user.get_role_display()))
        name, member_emails = TEAM
        if not Team.objects.filter(name=name).exists():
            set_team(
                self.admin,
                None,
                name=name,
                member_ids=[self.users[email].pk for email in member_emails],
            )
            self.summary.count("teams")

    def ensure_list(self, model, entries):
        ids = {}
        for position, entry in enumerate(entries):
            name, extra = (entry, {}) if isinstance(entry, str) else entry
            item = model.objects.filter(name=name).first()
            if item is None:
                data = {"name": name, "position": position}
                if extra:
                    data.update(extra)
                item = save_list_item(self.admin, model, None, data)
                self.summary.count("list entries")
            ids[name] = item.pk
        self.lists[model] = ids

    def ensure_lists(self):
        self.ensure_list(ContactType, CONTACT_TYPES)
        self.ensure_list(Temperature, [(name, {"color": color}) for name, color in TEMPERATURES])
        self.ensure_list(Source, [(n, {"description": d}) for n, d in SOURCES])
        self.ensure_list(Interest, [(n, {"description": d}) for n, d in INTERESTS])

    def contact_data(self, spec: dict) -> dict:
        """Translate a demo spec into the data `create_contact` takes."""
        data = {
            key: spec[key]
            for key in (
                "first_name",
                "last_name",
                "company_name",
                "position",
                "description",
                "currency",
                "access",
                "emails",
                "phones",
                "websites",
                "addresses",
                "tags",
            )
            if key in spec
        }
        for key, model in (
            ("contact_type", ContactType),
            ("temperature", Temperature),
            ("source", Source),
        ):
            if key in spec:
                data[f"{key}_id"] = self.lists[model][spec[key]]
        if "interests" in spec:
            data["interest_ids"] = [self.lists[Interest][name] for name in spec["interests"]]
        if "manager" in spec:
            data["manager_ids"] = [self.users[spec["manager"]].pk]
        if spec.get("lead"):
            data["is_lead"] = True
        return data

    def actor_for(self, spec: dict) -> User:
        # Most contacts are created by the user who manages them; a few are assigned by the
        # admin, which leaves notifications under the bell and emails in the outbox.
        return self.users[spec.get("creator") or spec.get("manager") or ADMIN_EMAIL]

    def ensure_company(self, spec: dict):
        company = Contact.objects.filter(
            kind=Contact.Kind.COMPANY, display_name=spec["company_name"]
        ).first()
        actor = self.actor_for(spec)
        if company is None:
            data = {**self.contact_data(spec), "kind": Contact.Kind.COMPANY}
            if spec["role"] == "customer":
                company = create_customer(actor, data, spec.get("customer")).contact
                self.summary.count("customers")
            elif spec["role"] == "supplier":
                company = create_supplier(actor, data, spec.get("supplier")).contact
                self.summary.count("suppliers")
            else:
                company = create_contact(actor, {**data, "is_lead": True})
                self.summary.count("leads")
        domain = spec["emails"][0]["email"].split("@", 1)[1]
        for first_name, last_name, position, mailbox in spec.get("people", []):
            self.ensure_person(
                {
                    "first_name": first_name,
                    "last_name": last_name,
                    "position": position,
                    "manager": spec.get("manager"),
                    "access": spec.get("access", AccessLevel.PRIVATE),
                    "emails": [{"email": f"{mailbox}@{domain}", "kind": "work"}],
                    "tags": [],
                },
                company=company,
            )
        if spec.get("primary"):
            self.ensure_primary(company, spec["primary"], actor)

    def ensure_primary(self, company: Contact, person_name: str, actor: User):
        customer = company.customer
        person = company.people.filter(display_name=person_name).first()
        if person is not None and customer.primary_contact_id != person.pk:
            set_primary_contact(actor, customer, person)

    def ensure_person(self, spec: dict, company: Contact | None = None):
        name = f"{spec['first_name']} {spec['last_name']}"
        existing = Contact.objects.filter(kind=Contact.Kind.PERSON, display_name=name)
        if company is not None:
            existing = existing.filter(company=company)
        if existing.exists():
            return
        data = {**self.contact_data(spec), "kind": Contact.Kind.PERSON}
        if company is not None:
            data["company_id"] = company.pk
        create_contact(self.actor_for(spec), data)
        self.summary.count("leads" if spec.get("lead") else "people")


@transaction.atomic
def load_demo_data() -> DemoSummary:
    """Create whatever part of the demo data is missing; returns what was added."""
    summary = DemoSummary()
    builder = _DemoBuilder(summary)
    builder.ensure_users()
    builder.ensure_lists()
    for spec in _companies():
        builder.ensure_company(spec)
    for spec in _people():
        builder.ensure_person(spec)
    return summary
