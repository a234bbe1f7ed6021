"""Demo tasks on the demo contacts and opportunities, built through the services.

Run after the contacts and sales demos. Deadlines are set from today, so that every demo
user's "Tasks at a glance" has something overdue, something for today, for the rest of this
week (unless today is Sunday, when that section is empty by definition) and for later, plus
a few done. Loading it twice adds nothing: a task is looked up by its title and responsible
(its natural key here) first and only created when missing.

Users create their own tasks, which notifies nobody; the admin assigns two of them, which
leaves two "task assigned" notifications (and emails in the outbox). A reminder that would
already be due when the demo is loaded is left out, so that starting the worker right after
the demo does not send a burst of reminders; the others fire on their day."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from clientela.activities.demo import ARANDA, EBRO, HARBOUR, DemoWorld, contact, opportunity

from . import services
from .models import Reminder, Task, TaskCategory

# Categories are found by icon: the seeded names are in the installation's language.
CATEGORY_ICONS = {
    "call": "telephone",
    "email": "envelope",
    "meeting": "people",
    "follow-up": "arrow-repeat",
    "other": "check2-square",
}
# A reminder due sooner than this after loading is dropped (see above).
REMINDER_MARGIN = timedelta(hours=1)

OVERDUE, TODAY, WEEK, LATER, DONE = "overdue", "today", "week", "later", "done"

# responsible, when (section, days: before today for overdue and done, into the week, after
# this week for later), title, record, category, and optionally: the hour, who assigned it,
# the reminder, a description.
TASKS = [
    ("javier", (OVERDUE, 3), "Enviar presupuesto de soporte a Pablo Aranda",
     contact("Pablo Aranda"), "email"),
    ("javier", (OVERDUE, 1), "Llamar a Diego Navarro por la renovación de licencias",
     contact("Diego Navarro"), "call", {"hour": 16}),
    ("javier", (TODAY, 0), "Preparar la demo de hosting para Tecnologías del Ebro",
     opportunity(f"Cloud hosting · {EBRO}"), "meeting",
     {"description": "Usar la cuenta de pruebas y enseñar la migración del correo."}),
    ("javier", (TODAY, 0), "Confirmar con Carmen Ruiz los asistentes a la formación",
     contact("Carmen Ruiz"), "call"),
    ("javier", (WEEK, 1), "Enviar casos de éxito a Marta Ibáñez",
     contact("Marta Ibáñez"), "email", {"reminder": Reminder.HOUR_1}),
    ("javier", (WEEK, 2), "Revisar la propuesta v2 de consultoría",
     opportunity(f"Consultoría de procesos · {ARANDA}"), "follow-up",
     {"assigned_by": "elena",
      "description": "Comprobar el descuento del 8 % antes de enviarla a Lucía."}),
    ("javier", (LATER, 4), "Llamar a Andrés Molina",
     contact("Andrés Molina"), "call", {"hour": 9, "reminder": Reminder.DAY_1}),
    ("javier", (LATER, 12), "Preparar la renovación del soporte de Harbour & Finch",
     opportunity(f"Support renewal · {HARBOUR}"), "other"),
    ("javier", (DONE, 2), "Enviar la factura rectificativa a Sofía Ramírez",
     contact("Sofía Ramírez"), "email"),
    ("javier", (DONE, 5), "Dar de alta Bodegas Montecillo Alto como lead",
     contact("Bodegas Montecillo Alto"), "other"),
    ("emma", (OVERDUE, 2), "Send the penetration testing quote to Oliver Bennett",
     contact("Oliver Bennett"), "email"),
    ("emma", (OVERDUE, 6), "Follow up with Hannah Schmidt",
     contact("Hannah Schmidt"), "follow-up", {"hour": 11}),
    ("emma", (TODAY, 0), "Call Rachel Moore about pricing",
     contact("Rachel Moore"), "call",
     {"description": "She needs the price per seat for 40 and for 60 users."}),
    ("emma", (TODAY, 0), "Send the migration runbook to Priya Shah",
     contact("Priya Shah"), "email", {"assigned_by": "elena"}),
    ("emma", (WEEK, 1), "Review the Nordic partnership draft",
     contact("Erik Lindqvist"), "other"),
    ("emma", (WEEK, 3), "Prepare the Greenleaf quarterly review",
     contact("Greenleaf Organics Inc."), "meeting", {"reminder": Reminder.DAY_1}),
    ("emma", (LATER, 6), "Plan the kick-off with Harbour & Finch",
     opportunity(f"Auditoría de seguridad · {HARBOUR}"), "meeting",
     {"reminder": Reminder.DAY_1}),
    ("emma", (LATER, 20), "Update the cloud migration estimate for Tecnologías del Ebro",
     opportunity(f"Migración a la nube · {EBRO}"), "other"),
    ("emma", (DONE, 1), "Update Mark Evans's newsletter preferences",
     contact("Mark Evans"), "other"),
    ("emma", (DONE, 3), "Send the signed audit contract to Harbour & Finch",
     contact(HARBOUR), "email"),
    ("elena", (OVERDUE, 4), "Pedir otra oferta de material de oficina",
     contact("Papelería Central S.L."), "other"),
    ("elena", (OVERDUE, 1), "Aprobar el descuento de Construcciones Aranda",
     opportunity(f"Consultoría de procesos · {ARANDA}"), "follow-up", {"hour": 9}),
    ("elena", (TODAY, 0), "Llamar a Rosa Gil por el retraso del pedido",
     contact("Rosa Gil"), "call"),
    ("elena", (TODAY, 0), "Revisar el forecast del trimestre", None, "other"),
    ("elena", (WEEK, 2), "Llamar a Talleres Robledo de parte de Isabel Castro",
     contact("Isabel Castro"), "call", {"hour": 12, "reminder": Reminder.HOURS_2}),
    ("elena", (WEEK, 4), "Conseguir la firma del contrato de formación",
     opportunity(f"Formación de equipos · {EBRO}"), "follow-up"),
    ("elena", (LATER, 3), "Definir los requisitos del conector con el ERP",
     opportunity(f"Integración con ERP · {ARANDA}"), "meeting",
     {"reminder": Reminder.DAY_1,
      "description": "- Versión del ERP\n- Frecuencia de sincronización\n- Acceso por VPN"}),
    ("elena", (LATER, 25), "Preparar el cierre del trimestre", None, "other", {"hour": None}),
    ("elena", (DONE, 1), "Enviar el contrato de formación para firma",
     opportunity(f"Formación de equipos · {EBRO}"), "email"),
    ("elena", (DONE, 7), "Dar de alta a Javier y Emma en Clientela", None, "other"),
]  # fmt: skip


def _categories() -> dict[str, int]:
    by_icon = {}
    for category in TaskCategory.objects.order_by("position", "pk"):
        by_icon.setdefault(category.icon, category.pk)
    return {key: by_icon[icon] for key, icon in CATEGORY_ICONS.items() if icon in by_icon}


def _deadline(section: str, days: int, hour: int | None, today) -> tuple[datetime, bool]:
    """The deadline of a task of `section`, and whether it is all-day. Today's tasks are
    all-day, so that they stay in "today" whatever the hour the demo is loaded."""
    if section in (OVERDUE, DONE):
        day = today - timedelta(days=days)
    elif section == TODAY:
        return _local(today, None), True
    elif section == WEEK:
        rest_of_week = 6 - today.weekday()  # the days after today, up to Sunday
        # On a Sunday there is no rest of the week: the task falls into next week, "later".
        ahead = 1 + (days - 1) % rest_of_week if rest_of_week else days
        day = today + timedelta(days=ahead)
    else:
        next_monday = today + timedelta(days=7 - today.weekday())
        day = next_monday + timedelta(days=days)
    return _local(day, hour), hour is None


def _local(day, hour: int | None) -> datetime:
    return datetime.combine(day, time(hour or 0), tzinfo=timezone.get_current_timezone())


def _reminder(due_at: datetime, all_day: bool, wanted: str, now: datetime) -> str:
    at = Task(due_at=due_at, all_day=all_day, reminder=wanted).reminder_at()
    return wanted if at is not None and at > now + REMINDER_MARGIN else Reminder.NEVER


@transaction.atomic
def load_tasks_demo(now: datetime | None = None) -> int:
    """Add the demo tasks that are missing, with deadlines set from `now` (default: now);
    return how many were created."""
    world = DemoWorld.load()
    if world is None:
        return 0
    categories = _categories()
    now = now or timezone.now()
    today = timezone.localdate(now)
    created = 0
    for responsible_key, (section, days), title, ref, category, *options in TASKS:
        extra = options[0] if options else {}
        responsible = world.user(responsible_key)
        if Task.objects.filter(title=title, responsible=responsible).exists():
            continue
        record = world.record(ref)
        if ref is not None and record is None:
            continue
        due_at, all_day = _deadline(section, days, extra.get("hour", 10), today)
        data = {
            "title": title,
            "category_id": categories.get(category),
            "due_at": due_at,
            "all_day": all_day,
            "reminder": _reminder(due_at, all_day, extra.get("reminder", Reminder.NEVER), now),
            "responsible_id": responsible.pk,
            "description": extra.get("description", ""),
        }
        if record is not None:
            data.update(target_type=ref[0], target_id=record.pk)
        actor = world.user(extra["assigned_by"]) if "assigned_by" in extra else responsible
        task = services.create_task(actor, data)
        if section == DONE:
            services.close_task(responsible, task)
        created += 1
    return created
