"""Demo notes and comments on the demo contacts and opportunities, built through the services.

Run after `contacts.demo.load_demo_data()` and `sales.demo.load_sales_demo()`. Loading it
twice adds nothing: a note or a comment is looked up by its record, author and text (its
natural key here) first and only written when missing.

Each note and comment is written by a user who sees its record, as they would in the app. A
few comments mention a colleague, and a few notes have a follow-up date: each of those leaves
one notification (and one email in the outbox) for that colleague, on purpose, so that the
bell has something in it; nothing else notifies anyone.

`DemoWorld` (the demo users by first name and the records the demo texts are about) is shared
with the tasks and calendar demos."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from clientela.accounts.models import User
from clientela.contacts.demo import USERS

from . import services
from .models import Comment, HistoryCategory, Note
from .targets import ACTIVITY_TARGETS

# How the demo texts name a record of each type: contacts by their shown name, opportunities
# by the start of their title (the sales demo ends each title with a year).
NATURAL_KEYS = {"contact": "display_name", "opportunity": "title__startswith"}


def contact(name: str) -> tuple[str, str]:
    return ("contact", name)


def opportunity(title: str) -> tuple[str, str]:
    return ("opportunity", title)


class DemoWorld:
    """The demo users, by lower-case first name ("elena", "javier", "emma"), and the demo
    records named by `contact(...)` / `opportunity(...)`."""

    def __init__(self, users: dict[str, User]):
        self.users = users
        self._records: dict[tuple[str, str], object] = {}

    @classmethod
    def load(cls) -> "DemoWorld | None":
        """None until the contacts demo has created its users."""
        emails = {email: first_name.lower() for email, first_name, *_rest in USERS}
        found = User.objects.filter(email__in=emails, is_active=True)
        users = {emails[user.email]: user for user in found}
        if len(users) != len(emails):
            return None
        return cls(users)

    def user(self, key: str) -> User:
        return self.users[key]

    def mention(self, key: str) -> str:
        """A mention of a demo user, as the comment box writes it."""
        user = self.users[key]
        return f"@[{user.get_full_name()}](user:{user.pk})"

    def record(self, ref: tuple[str, str] | None):
        """The record `ref` names, or None (also when the demo it belongs to is not loaded)."""
        if ref is None:
            return None
        if ref not in self._records:
            key, name = ref
            model = ACTIVITY_TARGETS.get(key)
            found = None
            if model is not None and key in NATURAL_KEYS:
                found = model.objects.filter(**{NATURAL_KEYS[key]: name}).order_by("pk").first()
            self._records[ref] = found
        return self._records[ref]


# Categories are found by icon: the seeded names are in the installation's language.
CATEGORY_ICONS = {
    "note": "journal-text",
    "call": "telephone",
    "email": "envelope",
    "meeting": "people",
}

ARANDA = "Construcciones Aranda S.L."
EBRO = "Tecnologías del Ebro S.A."
HARBOUR = "Harbour & Finch Ltd"

# author, record, category, follow-up (days from today), text
NOTES = [
    (
        "javier",
        contact("Pablo Aranda"),
        "call",
        3,
        "Llamada con Pablo: quiere ampliar el contrato de soporte a la **nave de Las "
        "Mercedes**. Pide presupuesto antes de fin de mes.",
    ),
    (
        "javier",
        contact("Lucía Fernández"),
        "meeting",
        None,
        "Reunión en sus oficinas de Alcalá.\n\n"
        "- Revisamos las incidencias del último trimestre\n"
        "- Les preocupa el tiempo de respuesta los fines de semana\n"
        "- **Próximo paso:** enviar propuesta de soporte 24/7",
    ),
    (
        "javier",
        contact(ARANDA),
        None,
        None,
        "Cliente desde 2019. Pagan siempre a 30 días, sin retrasos. Buen candidato para la "
        "**renovación anticipada**.",
    ),
    (
        "javier",
        opportunity(f"Consultoría de procesos · {ARANDA}"),
        "email",
        None,
        "Enviada la propuesta v2 con un 8 % de descuento por volumen. Lucía la revisa con "
        "dirección esta semana.",
    ),
    (
        "javier",
        contact("Carmen Ruiz"),
        "call",
        None,
        "Carmen confirma que la formación será para **12 técnicos**, en dos turnos:\n\n"
        "1. Mañanas (lunes y martes)\n"
        "2. Tardes (miércoles y jueves)",
    ),
    (
        "javier",
        contact(EBRO),
        "note",
        None,
        "Renuevan licencias en marzo. Diego prefiere que toda la comunicación pase por él.",
    ),
    (
        "javier",
        opportunity(f"Cloud hosting · {EBRO}"),
        "meeting",
        None,
        "Demo del panel de hosting con el equipo técnico. Les gustó la monitorización; tienen "
        "dudas sobre la **migración del correo**.",
    ),
    (
        "javier",
        contact("Marta Ibáñez"),
        "call",
        6,
        "Marta quiere una tienda online para la bodega. Le he enviado casos de éxito del "
        "sector del vino.",
    ),
    (
        "javier",
        contact("Andrés Molina"),
        None,
        None,
        "Contacto de la feria de Zaragoza. Autónomo; busca *consultoría puntual* para "
        "digitalizar su gestoría.",
    ),
    (
        "javier",
        contact("Sofía Ramírez"),
        "email",
        None,
        "Sofía pide una factura rectificativa del mes pasado: el IVA salió mal calculado. "
        "Reenviado a administración.",
    ),
    (
        "emma",
        contact("Oliver Bennett"),
        "meeting",
        None,
        "Met Oliver at their London office.\n\n"
        "- They are **happy with the audit**\n"
        "- Next year's budget is approved in April\n"
        "- He wants a quote for penetration testing too",
    ),
    (
        "emma",
        opportunity(f"Auditoría de seguridad · {HARBOUR}"),
        "note",
        None,
        "Signed! Kick-off planned for next month. Priya will be our day-to-day contact.",
    ),
    (
        "emma",
        contact("Priya Shah"),
        "call",
        2,
        "Priya asked for the migration runbook in advance so that her team can review it. "
        "**Send it by Friday.**",
    ),
    (
        "emma",
        contact("Erik Lindqvist"),
        "email",
        None,
        "Erik replied about the partnership: they would resell our support contracts in the "
        "Nordics from Q3. Waiting for their draft agreement.",
    ),
    (
        "emma",
        contact("Nordic Cloud Hosting AB"),
        None,
        None,
        "Supplier of our hosting capacity. The contract renews automatically every **24 "
        "months**, with 90 days' notice to cancel.",
    ),
    (
        "emma",
        contact("Rachel Moore"),
        "call",
        None,
        "Rachel is comparing us with two other vendors. What matters to her:\n\n"
        "1. Price per seat\n"
        "2. Onboarding time\n"
        "3. *Support during US hours*",
    ),
    (
        "emma",
        contact("Hannah Schmidt"),
        None,
        None,
        "Inbound lead from the website form. A small team (8 people) in Berlin, interested in "
        "cloud hosting.",
    ),
    (
        "emma",
        contact("Mark Evans"),
        "email",
        None,
        "Mark asked to be taken off the newsletter but still wants the product updates. "
        "Preferences updated.",
    ),
    (
        "emma",
        opportunity(f"Soporte y mantenimiento · {ARANDA}"),
        "note",
        None,
        "Lucía wants the SLA in Spanish and English; **Javier** reviews the Spanish version.",
    ),
    (
        "elena",
        contact("Rosa Gil"),
        "call",
        None,
        "Rosa avisa de que el pedido de material llega con una semana de retraso. Acordamos "
        "un **5 % de descuento** en la próxima factura.",
    ),
    (
        "elena",
        contact("Papelería Central S.L."),
        None,
        None,
        "Proveedor habitual de material de oficina. Pedir otra oferta antes de renovar.",
    ),
    (
        "elena",
        contact("Isabel Castro"),
        "meeting",
        None,
        "Comida con Isabel. Nos recomienda a dos empresas de su asociación:\n\n"
        "- Talleres Robledo\n"
        "- Grupo Almazán\n\n"
        "Llamarles de su parte.",
    ),
    (
        "elena",
        opportunity(f"Formación de equipos · {EBRO}"),
        "email",
        None,
        "Enviado el contrato para firma electrónica. Falta la **firma del gerente**.",
    ),
    (
        "elena",
        opportunity(f"Integración con ERP · {ARANDA}"),
        "note",
        None,
        "Requisitos técnicos:\n\n"
        "- Conector con su ERP actual (versión de 2019)\n"
        "- Sincronizar clientes y facturas cada hora\n"
        "- **Sin** acceso desde fuera de su red",
    ),
    (
        "elena",
        opportunity(f"Licencias anuales · {ARANDA}"),
        "call",
        None,
        "Pablo confirma 25 licencias. Quiere pagarlas en dos plazos.",
    ),
]

# author, record, text; "{javier}" and the like become a mention of that demo user.
COMMENTS = [
    (
        "javier",
        opportunity(f"Consultoría de procesos · {ARANDA}"),
        "{emma} ¿puedes revisar la parte en inglés de la propuesta antes del jueves?",
    ),
    (
        "emma",
        opportunity(f"Consultoría de procesos · {ARANDA}"),
        "Done: two small fixes in section 3, otherwise good to go.",
    ),
    (
        "emma",
        opportunity(f"Soporte y mantenimiento · {ARANDA}"),
        "{javier} could you check the Spanish SLA draft? My comments are in the shared folder.",
    ),
    (
        "javier",
        opportunity(f"Soporte y mantenimiento · {ARANDA}"),
        "Revisado. Cambiaría «tiempo de resolución» por «tiempo de respuesta» en la cláusula 4.",
    ),
    (
        "elena",
        contact("Isabel Castro"),
        "{javier} te paso estos dos contactos; tú llevas la zona centro.",
    ),
    ("javier", contact("Isabel Castro"), "Perfecto, les llamo la semana que viene."),
    (
        "javier",
        opportunity(f"Migración a la nube · {EBRO}"),
        "{emma} Carmen pregunta por la fecha de corte, ¿la tenemos ya?",
    ),
    (
        "emma",
        opportunity(f"Migración a la nube · {EBRO}"),
        "Not yet, we're waiting for their IT team. I'll chase them on Monday.",
    ),
    (
        "elena",
        opportunity(f"Formación de equipos · {EBRO}"),
        "Buen trabajo con este cliente. Si firman antes de fin de mes, entra en el objetivo "
        "del trimestre.",
    ),
    (
        "emma",
        contact("Rachel Moore"),
        "A competitor offered her 15% off. We can match up to 10%.",
    ),
    (
        "javier",
        contact(ARANDA),
        "{elena} ¿aprobamos el 8 % de descuento? Lo necesitan para cerrar este mes.",
    ),
]


def _categories() -> dict[str, HistoryCategory]:
    by_icon = {}
    for category in HistoryCategory.objects.order_by("position", "pk"):
        by_icon.setdefault(category.icon, category)
    return {key: by_icon[icon] for key, icon in CATEGORY_ICONS.items() if icon in by_icon}


def _add_notes(world: DemoWorld) -> int:
    categories = _categories()
    today = timezone.localdate()
    added = 0
    for author_key, ref, category_key, follow_up_in, text in NOTES:
        record, author = world.record(ref), world.user(author_key)
        if record is None or Note.objects.of(record).filter(author=author, text=text).exists():
            continue
        category = categories.get(category_key)
        data = {"text": text, "category": category.pk if category else None}
        if follow_up_in is not None:
            data["follow_up"] = today + timedelta(days=follow_up_in)
        services.add_note(author, record, data)
        added += 1
    return added


def _add_comments(world: DemoWorld) -> int:
    mentions = {key: world.mention(key) for key in world.users}
    added = 0
    for author_key, ref, template in COMMENTS:
        record, author = world.record(ref), world.user(author_key)
        text = template.format(**mentions)
        if record is None or Comment.objects.of(record).filter(author=author, text=text).exists():
            continue
        services.add_comment(author, record, {"text": text})
        added += 1
    return added


@transaction.atomic
def load_activities_demo() -> dict[str, int]:
    """Add the demo notes and comments that are missing; return how many of each."""
    world = DemoWorld.load()
    if world is None:
        return {"notes": 0, "comments": 0}
    return {"notes": _add_notes(world), "comments": _add_comments(world)}
