"""Generate realistic contacts at scale into a PostgreSQL benchmark database, fast.

    python bench/generate.py --contacts 1000000 [--database-url URL] [--users 20] [--seed 42]

Users, teams, admin lists and tags go through the services (they are few). Contacts and their
rows are written with COPY in chunks, with the secondary indexes dropped during the load and
rebuilt afterwards. The denormalised columns (display_name, name_key, search_text,
primary_email, primary_phone) are computed exactly as `contacts.services._refresh_denormalised` does, and
`--verify` re-checks a sample of contacts against that function.

The database is dropped and created afresh first; its name must contain "bench" unless --force is given.
"""

import argparse
import datetime
import random
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import DEFAULT_URL, configure_django, ensure_database  # noqa: E402

BENCH_PASSWORD = "s3cret-Pass!"

SPANISH_FIRST = [
    "Ana",
    "María",
    "Carmen",
    "Lucía",
    "Laura",
    "Marta",
    "Elena",
    "Paula",
    "Sara",
    "Isabel",
    "Pilar",
    "Rosa",
    "Cristina",
    "Raquel",
    "Beatriz",
    "Nuria",
    "Silvia",
    "Patricia",
    "Alba",
    "Irene",
    "Sofía",
    "Julia",
    "Noelia",
    "Inés",
    "Aitana",
    "Lorena",
    "Rocío",
    "Antonio",
    "José",
    "Manuel",
    "Francisco",
    "David",
    "Juan",
    "Javier",
    "Daniel",
    "Carlos",
    "Jesús",
    "Alejandro",
    "Miguel",
    "Rafael",
    "Pablo",
    "Sergio",
    "Fernando",
    "Jorge",
    "Luis",
    "Alberto",
    "Álvaro",
    "Íñigo",
    "Adrián",
    "Diego",
    "Rubén",
    "Hugo",
    "Mario",
    "Iker",
    "Gonzalo",
    "Ramón",
    "Vicente",
    "Joaquín",
    "Andrés",
    "Enrique",
    "Óscar",
]
SPANISH_LAST = [
    "García",
    "Rodríguez",
    "González",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Alonso",
    "Gutiérrez",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
    "Gil",
    "Ramírez",
    "Serrano",
    "Blanco",
    "Molina",
    "Morales",
    "Suárez",
    "Ortega",
    "Delgado",
    "Castro",
    "Ortiz",
    "Rubio",
    "Marín",
    "Sanz",
    "Núñez",
    "Iglesias",
    "Medina",
    "Garrido",
    "Cortés",
    "Castillo",
    "Santos",
    "Lozano",
    "Guerrero",
    "Cano",
    "Prieto",
    "Méndez",
    "Cruz",
    "Calvo",
    "Gallego",
    "Vidal",
    "León",
    "Márquez",
    "Herrera",
    "Peña",
    "Flores",
    "Cabrera",
    "Campos",
    "Vega",
    "Fuentes",
    "Carrasco",
    "Diez",
    "Caballero",
    "Reyes",
    "Nieto",
    "Aguilar",
    "Pascual",
    "Santana",
    "Herrero",
    "Lorenzo",
    "Montero",
    "Hidalgo",
    "Giménez",
    "Ibáñez",
    "Ferrer",
    "Durán",
    "Santiago",
    "Benítez",
]
ENGLISH_FIRST = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Emma",
    "Oliver",
    "Olivia",
    "George",
    "Amelia",
    "Harry",
    "Isla",
    "Jack",
    "Ava",
    "Noah",
    "Grace",
    "Jacob",
    "Sophie",
    "Leo",
    "Chloe",
    "Oscar",
    "Lily",
    "Charlie",
    "Ella",
    "Freddie",
    "Megan",
    "Alfie",
    "Hannah",
    "Archie",
    "Lucy",
    "Henry",
    "Ruby",
    "Theo",
    "Evie",
]
ENGLISH_LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Miller",
    "Davis",
    "Anderson",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Harris",
    "Clark",
    "Lewis",
    "Young",
    "King",
    "Hughes",
    "Edwards",
    "Turner",
    "Hill",
    "Cooper",
    "Ward",
    "Morris",
    "Baker",
    "Harrison",
    "Morgan",
    "Patel",
    "Scott",
    "Bennett",
    "Phillips",
    "Watson",
    "Campbell",
    "Murphy",
    "Kelly",
    "Price",
]
SPANISH_COMPANY_HEAD = [
    "Construcciones",
    "Talleres",
    "Grupo",
    "Distribuciones",
    "Consultores",
    "Transportes",
    "Inversiones",
    "Suministros",
    "Ingeniería",
    "Asesores",
    "Laboratorios",
    "Hoteles",
    "Bodegas",
    "Muebles",
    "Ferretería",
    "Panadería",
    "Clínica",
    "Gestoría",
    "Imprenta",
    "Frutas",
    "Cerámicas",
    "Reformas",
    "Seguros",
    "Electricidad",
]
SPANISH_COMPANY_TAIL = [
    "del Norte",
    "del Sur",
    "Levante",
    "Mediterráneo",
    "Ibérica",
    "Atlántico",
    "Hermanos",
    "e Hijos",
    "Integrales",
    "Castilla",
    "Galicia",
    "Andalucía",
    "Aragón",
    "Navarra",
    "Canarias",
    "Baleares",
    "Madrid",
    "Valencia",
    "Sevilla",
]
SPANISH_COMPANY_FORM = ["S.L.", "S.A.", "S.L.U.", "S.Coop.", "S.L.L."]
ENGLISH_COMPANY_HEAD = [
    "Northern",
    "Southern",
    "Western",
    "Eastern",
    "Royal",
    "Global",
    "United",
    "Premier",
    "Allied",
    "Atlantic",
    "Pacific",
    "Summit",
    "Pioneer",
    "Heritage",
    "Crown",
    "Oak",
    "Bridge",
    "River",
    "Harbour",
    "Highland",
]
ENGLISH_COMPANY_TAIL = [
    "Logistics",
    "Software",
    "Consulting",
    "Engineering",
    "Foods",
    "Textiles",
    "Holdings",
    "Partners",
    "Solutions",
    "Systems",
    "Trading",
    "Builders",
    "Analytics",
    "Media",
    "Pharma",
    "Motors",
    "Energy",
    "Supplies",
    "Networks",
    "Labs",
]
ENGLISH_COMPANY_FORM = ["Ltd", "Inc.", "LLP", "PLC", "Group"]
POSITIONS_ES = [
    "Gerente",
    "Director comercial",
    "Jefa de compras",
    "Administrativo",
    "Responsable de IT",
    "Contable",
    "Técnica de ventas",
    "Consejero delegado",
]
POSITIONS_EN = [
    "Manager",
    "Sales director",
    "Head of purchasing",
    "Office manager",
    "IT lead",
    "Accountant",
    "Account executive",
    "CEO",
]
FREE_MAIL = ["gmail.com", "hotmail.com", "yahoo.es", "outlook.com", "icloud.com", "proton.me"]
SPANISH_CITIES = [
    ("Madrid", "28", "Madrid"),
    ("Barcelona", "08", "Barcelona"),
    ("Valencia", "46", "Valencia"),
    ("Sevilla", "41", "Sevilla"),
    ("Zaragoza", "50", "Zaragoza"),
    ("Bilbao", "48", "Bizkaia"),
    ("Málaga", "29", "Málaga"),
    ("Pamplona", "31", "Navarra"),
]
ENGLISH_CITIES = [
    ("London", "EC1A", "Greater London"),
    ("Manchester", "M1", "Greater Manchester"),
    ("Bristol", "BS1", "Bristol"),
    ("Leeds", "LS1", "West Yorkshire"),
    ("Edinburgh", "EH1", "Scotland"),
]
CONTACT_TYPES = ["Cliente final", "Distribuidor", "Partner", "Prensa", "Proveedor potencial"]
TEMPERATURES = [("Frío", "#0d6efd"), ("Templado", "#fd7e14"), ("Caliente", "#dc3545")]
SOURCES = ["Web", "Feria", "Recomendación", "LinkedIn", "Llamada en frío", "Campaña email"]
INTERESTS = [
    "Consultoría",
    "Formación",
    "Licencias",
    "Soporte anual",
    "Desarrollo a medida",
    "Hosting",
    "Auditoría",
    "Mantenimiento",
]
TAGS = [
    "vip",
    "newsletter",
    "feria-2024",
    "feria-2025",
    "moroso",
    "partner",
    "prensa",
    "evento",
    "black-friday",
    "seguimiento",
    "no-llamar",
    "referido",
    "interno",
    "europa",
    "latam",
    "uk",
    "pyme",
    "gran-cuenta",
    "sector-público",
    "retail",
    "industria",
    "salud",
    "educación",
    "tecnología",
    "hostelería",
]
TEAMS = ["Ventas Norte", "Ventas Sur", "Cuentas clave", "Soporte", "Marketing"]

CONTACT_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "custom_fields",
    "access",
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "display_name",
    "name_key",
    "search_text",
    "position",
    "description",
    "photo",
    "currency",
    "is_lead",
    "primary_email",
    "primary_phone",
    "company_id",
    "created_by_id",
    "contact_type_id",
    "source_id",
    "temperature_id",
]
LOADED_TABLES = [
    "contacts_contact",
    "contacts_contactemail",
    "contacts_contactphone",
    "contacts_contactwebsite",
    "contacts_contactaddress",
    "contacts_contact_tags",
    "contacts_contact_interests",
    "contacts_contact_managers",
    "contacts_contact_shared_users",
    "contacts_contact_shared_teams",
    "contacts_customer",
    "contacts_supplier",
]


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def search_text_of(display_name, emails, phones):
    """Mirror of `contacts.services._refresh_denormalised` (checked by --verify)."""
    from clientela.core.folding import fold

    return fold(
        " ".join(
            [
                display_name,
                *emails,
                *phones,
                *["".join(c for c in p if c.isdigit()) for p in phones],
            ]
        )
    )


def name_key_of(display_name):
    """Mirror of `contacts.services._refresh_denormalised` (checked by --verify)."""
    from clientela.contacts.models import Contact

    return Contact.name_key_of(display_name)


class World:
    """The small things contacts refer to, created through the services."""

    def __init__(self, users, teams, contact_types, temperatures, sources, interests, tags):
        self.users, self.teams = users, teams
        self.contact_types, self.temperatures = contact_types, temperatures
        self.sources, self.interests, self.tags = sources, interests, tags


def build_world(user_count: int, rnd: random.Random) -> World:
    from clientela.accounts.models import User
    from clientela.accounts.services import create_user, set_team
    from clientela.contacts.models import ContactType, Interest, Source, Temperature
    from clientela.core import services as platform_services
    from clientela.core.tags import tags_by_name

    admins = max(1, user_count // 10)
    users = []
    for n in range(user_count):
        first = rnd.choice(SPANISH_FIRST + ENGLISH_FIRST)
        last = rnd.choice(SPANISH_LAST + ENGLISH_LAST)
        role = User.Role.ADMIN if n < admins else User.Role.USER
        email = f"{'admin' if role == User.Role.ADMIN else 'user'}{n + 1:02d}@bench.clientela.test"
        users.append(
            create_user(
                None,
                email=email,
                password=BENCH_PASSWORD,
                first_name=first,
                last_name=last,
                role=role,
                language=rnd.choice(["es", "en"]),
            )
        )
    admin = users[0]
    regular = [u for u in users if not u.is_crm_admin]
    teams = []
    for i, name in enumerate(TEAMS):
        members = regular[i :: len(TEAMS)] + rnd.sample(regular, min(2, len(regular)))
        teams.append(set_team(admin, None, name=name, member_ids=sorted({u.pk for u in members})))

    def admin_list(model, names):
        return [
            platform_services.save_list_item(
                admin, model, None, {"name": name, "position": i, **extra}
            )
            for i, (name, extra) in enumerate(names)
        ]

    return World(
        users=users,
        teams=teams,
        contact_types=admin_list(ContactType, [(n, {}) for n in CONTACT_TYPES]),
        temperatures=admin_list(Temperature, [(n, {"color": c}) for n, c in TEMPERATURES]),
        sources=admin_list(Source, [(n, {}) for n in SOURCES]),
        interests=admin_list(Interest, [(n, {}) for n in INTERESTS]),
        tags=tags_by_name(TAGS),
    )


class ContactFactory:
    """Makes the rows of one chunk of contacts; remembers companies across chunks."""

    def __init__(self, world: World, total: int, rnd: random.Random):
        self.world, self.total, self.rnd = world, total, rnd
        self.user_ids = [u.pk for u in world.users]
        self.team_ids = [t.pk for t in world.teams]
        self.companies: list[tuple[int, str, str, bool]] = []  # id, name, domain, spanish
        self.first_person_of: dict[int, int] = {}
        self.customer_ids: list[int] = []
        self.supplier_ids: list[int] = []
        self.end = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self.start = self.end - datetime.timedelta(days=5 * 365)
        self.step_us = int((self.end - self.start).total_seconds() * 1e6) // max(total, 1)

    def chunk(self, first_id: int, count: int) -> dict[str, list[tuple]]:
        rows: dict[str, list[tuple]] = {table: [] for table in LOADED_TABLES}
        for contact_id in range(first_id, first_id + count):
            self._contact(contact_id, rows)
        return rows

    def _name(self, spanish: bool):
        rnd = self.rnd
        if spanish:
            first = rnd.choice(SPANISH_FIRST)
            last = rnd.choice(SPANISH_LAST)
            if rnd.random() < 0.6:
                last = f"{last} {rnd.choice(SPANISH_LAST)}"
        else:
            first, last = rnd.choice(ENGLISH_FIRST), rnd.choice(ENGLISH_LAST)
        return first, last

    def _company_name(self, spanish: bool) -> str:
        rnd = self.rnd
        if spanish:
            middle = rnd.choice([rnd.choice(SPANISH_LAST), rnd.choice(SPANISH_COMPANY_TAIL)])
            return f"{rnd.choice(SPANISH_COMPANY_HEAD)} {middle} {rnd.choice(SPANISH_COMPANY_FORM)}"
        return (
            f"{rnd.choice(ENGLISH_COMPANY_HEAD)} {rnd.choice(ENGLISH_COMPANY_TAIL)} "
            f"{rnd.choice(ENGLISH_COMPANY_FORM)}"
        )

    def _phone(self, spanish: bool, mobile: bool) -> str:
        rnd = self.rnd
        if spanish:
            lead = rnd.choice("67") if mobile else rnd.choice("89")
            digits = lead + "".join(rnd.choice("0123456789") for _ in range(8))
            return f"+34 {digits[:3]} {digits[3:6]} {digits[6:]}"
        digits = "7" + "".join(rnd.choice("0123456789") for _ in range(9))
        return f"+44 {digits[:4]} {digits[4:]}"

    def _contact(self, contact_id: int, rows):
        rnd, world = self.rnd, self.world
        created = self.start + datetime.timedelta(
            microseconds=(contact_id - 1) * self.step_us + rnd.randrange(self.step_us or 1)
        )
        spanish = rnd.random() < 0.7
        is_company = rnd.random() < 0.15
        company_id, company_display, position, domain = None, "", "", None
        if is_company:
            first = last = ""
            company_name = self._company_name(spanish)
            display = company_name
            domain = f"{ascii_slug(company_name.rsplit(' ', 1)[0])[:24]}{contact_id}.example"
            self.companies.append((contact_id, display, domain, spanish))
        else:
            first, last = self._name(spanish)
            company_name = ""
            display = f"{first} {last}"
            if self.companies and rnd.random() < 0.6:
                company_id, company_display, domain, spanish = rnd.choice(self.companies)
                self.first_person_of.setdefault(company_id, contact_id)
                position = rnd.choice(POSITIONS_ES if spanish else POSITIONS_EN)

        emails = []
        if is_company:
            if rnd.random() < 0.85:
                emails.append(f"{rnd.choice(['info', 'contacto', 'hola', 'ventas'])}@{domain}")
        else:
            local = f"{ascii_slug(first)}.{ascii_slug(last.split()[0])}"
            if rnd.random() < 0.9:
                emails.append(
                    f"{local}@{domain}"
                    if domain
                    else f"{local}{rnd.randrange(1, 999)}@{rnd.choice(FREE_MAIL)}"
                )
            if rnd.random() < 0.15:
                emails.append(f"{local}{rnd.randrange(1, 99)}@{rnd.choice(FREE_MAIL)}")
        phones = []
        if rnd.random() < 0.75:
            phones.append(self._phone(spanish, mobile=not is_company))
            if rnd.random() < 0.2:
                phones.append(self._phone(spanish, mobile=is_company))

        roll = rnd.random()
        access = "public_read" if roll < 0.65 else "public_write" if roll < 0.75 else "private"
        creator = rnd.choice(self.user_ids)
        managers = [creator]
        if rnd.random() < 0.15:
            other = rnd.choice(self.user_ids)
            if other != creator:
                managers.append(other)
        is_customer = rnd.random() < (0.4 if is_company else 0.03)
        is_lead = not is_customer and rnd.random() < 0.12
        if is_customer:
            self.customer_ids.append(contact_id)
        if is_company and rnd.random() < 0.1:
            self.supplier_ids.append(contact_id)

        def maybe(items, share):
            return rnd.choice(items).pk if rnd.random() < share else None

        rows["contacts_contact"].append(
            (
                contact_id,
                created,
                created,
                1,
                "{}",
                access,
                "company" if is_company else "person",
                first,
                last,
                company_name,
                display,
                name_key_of(display),
                search_text_of(display, emails, phones),
                position,
                "",
                "",
                "EUR" if spanish else rnd.choice(["GBP", "GBP", "EUR", "USD"]),
                is_lead,
                emails[0] if emails else "",
                phones[0] if phones else "",
                company_id,
                creator,
                maybe(world.contact_types, 0.7),
                maybe(world.sources, 0.6),
                maybe(world.temperatures, 0.5),
            )
        )
        for i, email in enumerate(emails):
            rows["contacts_contactemail"].append(
                (contact_id, email, "work" if i == 0 and domain else "home", i)
            )
        for i, number in enumerate(phones):
            kind = "work" if is_company else "mobile" if i == 0 else "work"
            rows["contacts_contactphone"].append((contact_id, number, kind, i))
        if is_company and rnd.random() < 0.5:
            rows["contacts_contactwebsite"].append(
                (contact_id, f"https://www.{domain}", "website", 0)
            )
        if rnd.random() < (0.8 if is_company else 0.1):
            city, postal, region = rnd.choice(SPANISH_CITIES if spanish else ENGLISH_CITIES)
            street = (
                f"Calle {rnd.choice(SPANISH_LAST)} {rnd.randrange(1, 200)}"
                if spanish
                else f"{rnd.randrange(1, 200)} {rnd.choice(ENGLISH_LAST)} Street"
            )
            postal_code = (
                f"{postal}{rnd.randrange(0, 999):03d}"
                if spanish
                else f"{postal} {rnd.randrange(1, 9)}AB"
            )
            country = "España" if spanish else "United Kingdom"
            rows["contacts_contactaddress"].append(
                (contact_id, "billing", street, city, postal_code, region, country, True)
            )
        if rnd.random() < 0.35:
            for tag in rnd.sample(world.tags, rnd.choice([1, 1, 2, 3])):
                rows["contacts_contact_tags"].append((contact_id, tag.pk))
        if rnd.random() < 0.12:
            for interest in rnd.sample(world.interests, rnd.choice([1, 2])):
                rows["contacts_contact_interests"].append((contact_id, interest.pk))
        for user_id in managers:
            rows["contacts_contact_managers"].append((contact_id, user_id))
        if access == "private":
            if rnd.random() < 0.3:
                rows["contacts_contact_shared_teams"].append(
                    (contact_id, rnd.choice(self.team_ids))
                )
            if rnd.random() < 0.1:
                other = rnd.choice(self.user_ids)
                if other not in managers:
                    rows["contacts_contact_shared_users"].append((contact_id, other))

    def role_rows(self, created_at_of) -> dict[str, list[tuple]]:
        rnd = self.rnd
        customers = [
            (
                f"C{n:05d}",
                f"B{rnd.randrange(10_000_000, 99_999_999)}",
                rnd.choice(["30 días", "60 días", "Contado", "Net 30"]),
                "",
                created_at_of(contact_id),
                contact_id,
                self.first_person_of.get(contact_id),
                1,
            )
            for n, contact_id in enumerate(self.customer_ids, start=1)
        ]
        suppliers = [
            (
                f"S{n:05d}",
                f"A{rnd.randrange(10_000_000, 99_999_999)}",
                rnd.choice(["30 días", "90 días", "Net 60"]),
                "",
                created_at_of(contact_id),
                contact_id,
                1,
            )
            for n, contact_id in enumerate(self.supplier_ids, start=1)
        ]
        return {"contacts_customer": customers, "contacts_supplier": suppliers}


COLUMNS = {
    "contacts_contact": CONTACT_COLUMNS,
    "contacts_contactemail": ["contact_id", "email", "kind", "position"],
    "contacts_contactphone": ["contact_id", "number", "kind", "position"],
    "contacts_contactwebsite": ["contact_id", "url", "kind", "position"],
    "contacts_contactaddress": [
        "contact_id",
        "kind",
        "street",
        "city",
        "postal_code",
        "region",
        "country",
        "is_main",
    ],
    "contacts_contact_tags": ["contact_id", "tag_id"],
    "contacts_contact_interests": ["contact_id", "interest_id"],
    "contacts_contact_managers": ["contact_id", "user_id"],
    "contacts_contact_shared_users": ["contact_id", "user_id"],
    "contacts_contact_shared_teams": ["contact_id", "team_id"],
    "contacts_customer": [
        "code",
        "tax_id",
        "payment_terms",
        "notes",
        "created_at",
        "contact_id",
        "primary_contact_id",
        "version",
    ],
    "contacts_supplier": [
        "code",
        "tax_id",
        "payment_terms",
        "notes",
        "created_at",
        "contact_id",
        "version",
    ],
}


def copy_rows(cursor, table: str, rows):
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table]))
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def secondary_indexes(cursor) -> list[tuple[str, str]]:
    """Plain indexes (not primary keys nor constraints) of the loaded tables: name, definition."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s) AND NOT x.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        [LOADED_TABLES],
    )
    return cursor.fetchall()


def log(message: str, started: float):
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


def verify_sample(sample_size: int, rnd: random.Random) -> int:
    """Recompute the denormalised columns of random contacts with the service's own code."""
    from clientela.contacts.models import Contact
    from clientela.contacts.services import _refresh_denormalised

    top = Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = rnd.sample(range(1, top + 1), min(sample_size, top))
    mismatches = 0
    for contact in Contact.objects.filter(pk__in=ids).select_related("company"):
        changed = _refresh_denormalised(contact)
        if changed:
            mismatches += 1
            print(f"  contact {contact.pk}: {changed} differ from the services'", file=sys.stderr)
    return mismatches


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk", type=int, default=100_000, help="contacts per COPY round")
    parser.add_argument("--verify", type=int, default=500, help="contacts to re-check (0: none)")
    parser.add_argument("--force", action="store_true", help="allow a database not named *bench*")
    args = parser.parse_args(argv)
    if args.users < 2:
        parser.error("--users must be at least 2 (an admin and a regular user)")

    started = time.monotonic()
    # Checked before the database is dropped and created afresh, so that every run starts from
    # exactly the schema (and indexes) the migrations define, whatever an earlier run left.
    configure_django(args.database_url, allow_any_database=args.force)
    ensure_database(args.database_url, recreate=True)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    log("migrated", started)
    rnd = random.Random(args.seed)
    world = build_world(args.users, rnd)
    log(f"{len(world.users)} users, {len(world.teams)} teams, lists and tags via services", started)

    factory = ContactFactory(world, args.contacts, rnd)
    with connection.cursor() as cursor:
        indexes = secondary_indexes(cursor)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # The rows are consistent by construction; skipping the foreign-key triggers during
        # the load (superuser only) makes it several times faster.
        cursor.execute("SET session_replication_role = replica")
        loaded = 0
        while loaded < args.contacts:
            count = min(args.chunk, args.contacts - loaded)
            rows = factory.chunk(loaded + 1, count)
            for table, table_rows in rows.items():
                if table_rows:
                    copy_rows(cursor, table, table_rows)
            loaded += count
            log(f"{loaded:,} contacts", started)

        start, step = factory.start, factory.step_us
        # A role's creation time: its contact's slot start (close enough, and deterministic).
        roles = factory.role_rows(
            lambda contact_id: start + datetime.timedelta(microseconds=(contact_id - 1) * step)
        )
        for table, table_rows in roles.items():
            copy_rows(cursor, table, table_rows)
        cursor.execute("SET session_replication_role = origin")
        log(
            f"{len(roles['contacts_customer']):,} customers, "
            f"{len(roles['contacts_supplier']):,} suppliers",
            started,
        )
        for table in LOADED_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 1))"
            )
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        for name, definition in indexes:
            cursor.execute(definition)
            log(f"index {name}", started)
        for table in LOADED_TABLES + ["accounts_user", "accounts_team_members", "core_tag"]:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        log("vacuumed and analysed", started)

    if args.verify:
        mismatches = verify_sample(args.verify, rnd)
        if mismatches:
            sys.exit(f"{mismatches} of {args.verify} sampled contacts differ from the services")
        log(f"{args.verify} sampled contacts match the services' denormalised columns", started)
    connection.close()
    log("done", started)


if __name__ == "__main__":
    main()
