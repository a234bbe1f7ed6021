"""Demo calendar events with the demo contacts and opportunities, built through the services.

Run after the contacts and sales demos. Events are placed from today: spread over the current
month (past days included, as a lived-in calendar has them), around today, and in the next
month. Loading it twice adds nothing: an event is looked up by its title and organiser (its
natural key here) first and only created when missing.

Each event is created by its organiser. Inviting attendees notifies them, so only a few
events have attendees (nine invitations in all, each one notification and one email in the
outbox). A reminder that would already be due when the demo is loaded is left out, so that
starting the worker right after the demo does not send a burst of reminders."""

import calendar
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from clientela.activities.demo import ARANDA, EBRO, HARBOUR, DemoWorld, contact, opportunity

from . import services
from .models import Event, ReminderOffset

# A reminder due sooner than this after loading is dropped (see above).
REMINDER_MARGIN = timedelta(hours=1)

MONTH, FROM_TODAY, NEXT_MONTH = "month", "from_today", "next_month"
MEETING, CALL, OTHER = Event.Kind.MEETING, Event.Kind.CALL, Event.Kind.OTHER

# organiser, when (in this month: the fraction of it gone by; from today: days; in the next
# month: its day), title, kind, and: the start (hour, minute) or the number of days of an
# all-day event, the length in minutes, location, attendees, contacts, record, reminder,
# description.
EVENTS = [
    ("javier", (MONTH, 0.1), "Reunión de arranque con Construcciones Aranda", MEETING,
     {"start": (10, 0), "minutes": 90, "location": "Calle de Alcalá 214, Madrid",
      "attendees": ["elena"], "contacts": ["Pablo Aranda", "Lucía Fernández"],
      "record": opportunity(f"Consultoría de procesos · {ARANDA}"),
      "description": "Presentar el equipo y el calendario del proyecto."}),
    ("emma", (MONTH, 0.2), "Call with Oliver Bennett", CALL,
     {"start": (15, 0), "minutes": 30, "contacts": ["Oliver Bennett"],
      "record": opportunity(f"Auditoría de seguridad · {HARBOUR}")}),
    ("elena", (MONTH, 0.3), "Comité comercial mensual", MEETING,
     {"start": (9, 30), "minutes": 60, "location": "Sala Retiro",
      "attendees": ["javier", "emma"],
      "description": "Orden del día:\n- Pipeline\n- Forecast del trimestre\n- Cuentas clave"}),
    ("javier", (MONTH, 0.45), "Demo de hosting para Tecnologías del Ebro", MEETING,
     {"start": (11, 0), "minutes": 60, "location": "Paseo de la Independencia 19, Zaragoza",
      "contacts": ["Carmen Ruiz", "Diego Navarro"],
      "record": opportunity(f"Cloud hosting · {EBRO}")}),
    ("elena", (MONTH, 0.55), "Llamada con Rosa Gil", CALL,
     {"start": (12, 0), "minutes": 30, "contacts": ["Rosa Gil"]}),
    ("emma", (MONTH, 0.65), "Quarterly review with Greenleaf Organics", MEETING,
     {"start": (17, 0), "minutes": 60, "location": "Video call", "contacts": ["Rachel Moore"]}),
    ("javier", (MONTH, 0.75), "Visita a Bodegas Montecillo Alto", MEETING,
     {"start": (10, 0), "minutes": 120, "location": "Haro, La Rioja",
      "contacts": ["Marta Ibáñez"]}),
    ("emma", (MONTH, 0.9), "Onboarding call with Nordic Cloud Hosting", CALL,
     {"start": (10, 0), "minutes": 45, "attendees": ["javier"],
      "contacts": ["Erik Lindqvist"]}),
    ("javier", (FROM_TODAY, 0), "Llamada con Diego Navarro", CALL,
     {"start": (16, 30), "minutes": 30, "contacts": ["Diego Navarro"]}),
    ("elena", (FROM_TODAY, 1), "Comida con Isabel Castro", MEETING,
     {"start": (14, 0), "minutes": 90, "location": "Restaurante La Castela, Madrid",
      "contacts": ["Isabel Castro"]}),
    ("emma", (FROM_TODAY, 2), "Call with Priya Shah: migration runbook", CALL,
     {"start": (11, 0), "minutes": 30, "contacts": ["Priya Shah"],
      "record": opportunity(f"Migración a la nube · {HARBOUR}"),
      "reminder": ReminderOffset.MIN_15}),
    ("javier", (NEXT_MONTH, 3), "Renovación del soporte con Construcciones Aranda", MEETING,
     {"start": (10, 0), "minutes": 60, "attendees": ["emma"], "contacts": ["Lucía Fernández"],
      "record": opportunity(f"Soporte y mantenimiento · {ARANDA}"),
      "reminder": ReminderOffset.DAY_1}),
    ("emma", (NEXT_MONTH, 6), "Workshop: cloud migration plan with Harbour & Finch", MEETING,
     {"start": (9, 30), "minutes": 180, "location": "Harbour & Finch, London",
      "attendees": ["javier"], "contacts": ["Priya Shah", "Oliver Bennett"],
      "record": opportunity(f"Migración a la nube · {HARBOUR}")}),
    ("javier", (NEXT_MONTH, 9), "Llamada con Andrés Molina", CALL,
     {"start": (9, 0), "minutes": 30, "contacts": ["Andrés Molina"]}),
    ("javier", (NEXT_MONTH, 12), "Feria Expoconstrucción Madrid", OTHER,
     {"days": 2, "location": "IFEMA, Madrid", "attendees": ["elena"]}),
    ("emma", (NEXT_MONTH, 16), "Call with Hannah Schmidt", CALL,
     {"start": (16, 0), "minutes": 30, "contacts": ["Hannah Schmidt"]}),
    ("elena", (NEXT_MONTH, 24), "Cierre de trimestre: revisión del forecast", MEETING,
     {"start": (9, 30), "minutes": 120, "location": "Sala Retiro",
      "attendees": ["javier", "emma"], "reminder": ReminderOffset.DAY_1}),
]  # fmt: skip


def _day(when: tuple[str, float], today: date) -> date:
    place, amount = when
    first = today.replace(day=1)
    if place == MONTH:
        length = calendar.monthrange(today.year, today.month)[1]
        return first + timedelta(days=int(amount * length))
    if place == FROM_TODAY:
        return today + timedelta(days=amount)
    next_first = (first + timedelta(days=31)).replace(day=1)
    return next_first + timedelta(days=amount - 1)


def _times(day: date, options: dict) -> dict:
    if "days" in options:
        return {
            "all_day": True,
            "start_date": day,
            "end_date": day + timedelta(days=options["days"] - 1),
        }
    hour, minute = options["start"]
    starts_at = datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())
    return {
        "all_day": False,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=options["minutes"]),
    }


def _reminder(times: dict, wanted: int | None, now: datetime) -> int | None:
    if wanted is None or times["all_day"]:
        return None
    fires_at = times["starts_at"] - timedelta(minutes=wanted)
    return wanted if fires_at > now + REMINDER_MARGIN else None


@transaction.atomic
def load_agenda_demo() -> int:
    """Add the demo events that are missing; return how many were created."""
    world = DemoWorld.load()
    if world is None:
        return 0
    now = timezone.now()
    today = timezone.localdate(now)
    created = 0
    for organiser_key, when, title, kind, options in EVENTS:
        organiser = world.user(organiser_key)
        if Event.objects.filter(title=title, organiser=organiser).exists():
            continue
        contacts = [world.record(contact(name)) for name in options.get("contacts", [])]
        record = world.record(options.get("record"))
        if None in contacts or ("record" in options and record is None):
            continue
        times = _times(_day(when, today), options)
        data = {
            "title": title,
            "kind": kind,
            **times,
            "location": options.get("location", ""),
            "description": options.get("description", ""),
            "attendee_ids": [world.user(key).pk for key in options.get("attendees", [])],
            "contact_ids": [c.pk for c in contacts],
            "reminder": _reminder(times, options.get("reminder"), now),
        }
        if record is not None:
            data.update(target_type=options["record"][0], target_id=record.pk)
        services.create_event(organiser, data)
        created += 1
    return created
