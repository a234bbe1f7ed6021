"""Demo opportunities over the demo contacts, built through the services.

Run after `contacts.demo.load_demo_data()`. Loading it twice adds nothing: an opportunity is
looked up by its title (its natural key here) first and only created when missing."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clientela.accounts.models import Team, User
from clientela.contacts.demo import ADMIN_EMAIL
from clientela.contacts.models import Contact, Interest
from clientela.core.access import AccessLevel

from . import services
from .models import LeadSource, LostReason, Opportunity, Stage

TOPICS = [
    ("Licencias anuales", "1200.00", "fixed", 1),
    ("Soporte y mantenimiento", "350.00", "month", 12),
    ("Consultoría de procesos", "75.00", "hour", 80),
    ("Formación de equipos", "900.00", "day", 3),
    ("Migración a la nube", "18500.00", "fixed", 1),
    ("Cloud hosting", "420.00", "month", 24),
    ("Auditoría de seguridad", "6400.00", "fixed", 1),
    ("Website redesign", "9800.00", "fixed", 1),
    ("Support renewal", "5200.00", "year", 2),
    ("Integración con ERP", "14000.00", "fixed", 1),
]
PLANNED = 40
NEXT_STEPS = ["Llamar para revisar la propuesta", "Enviar presupuesto", "Demo con el equipo", ""]


def _candidates(admin) -> list[tuple[Contact, object]]:
    """Demo contacts with a customer to sell to (their own role or their company's)."""
    rows = []
    for contact in Contact.objects.select_related("company").order_by("id"):
        customer = services.customer_for_contact(admin, contact)
        if customer is not None:
            rows.append((contact, customer))
    return rows


@transaction.atomic
def load_sales_demo(summary=None) -> int:
    """Add the demo opportunities that are missing; return how many were created."""
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if admin is None:
        return 0
    candidates = _candidates(admin)
    if not candidates:
        return 0
    users = list(User.objects.filter(email__endswith="@clientela.test", is_active=True))
    team = Team.objects.order_by("id").first()
    pipeline = services.default_pipeline()
    stages = list(pipeline.stages.all())
    open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
    won = next(s for s in stages if s.kind == Stage.Kind.WON)
    lost = next(s for s in stages if s.kind == Stage.Kind.LOST)
    sources = list(LeadSource.objects.all())
    reasons = list(LostReason.objects.all())
    interests = list(Interest.objects.all())
    today = timezone.localdate()
    created = 0
    for n in range(PLANNED):
        contact, customer = candidates[n % len(candidates)]
        topic, amount, budget_type, periods = TOPICS[n % len(TOPICS)]
        title = f"{topic} · {customer.contact.display_name} ({2026 + n // len(TOPICS)})"
        if Opportunity.objects.filter(title=title).exists():
            continue
        responsible = users[n % len(users)] if users else admin
        data = {
            "title": title,
            "contact_id": contact.pk,
            "customer_id": customer.pk,
            "amount": Decimal(amount) * (1 + n % 3),
            "currency": customer.contact.currency,
            "budget_type": budget_type,
            "budget_periods": periods,
            "expected_close": today + datetime.timedelta(days=(n * 23) % 330 - 60),
            "responsible_id": responsible.pk,
            "lead_source_id": sources[n % len(sources)].pk if sources else None,
            "interest_ids": [interests[n % len(interests)].pk] if interests else [],
            "next_step": NEXT_STEPS[n % len(NEXT_STEPS)],
            "description": "",
            "tags": ["Demo"] if n % 5 == 0 else [],
        }
        if n % 9 == 4 and team is not None:
            data.update(access=AccessLevel.PRIVATE, shared_team_ids=[team.pk])
        opportunity = services.create_opportunity(admin, data)
        # Walk it along the pipeline so that the stage history and the funnel have data.
        outcome = n % 8
        for stage in open_stages[1 : 1 + n % len(open_stages)]:
            opportunity = services.change_stage(responsible, opportunity, stage)
        if outcome == 6:
            opportunity = services.change_stage(responsible, opportunity, won)
        elif outcome == 7 and reasons:
            opportunity = services.change_stage(
                responsible, opportunity, lost, lost_reason=reasons[n % len(reasons)]
            )
        created += 1
        if summary is not None:
            summary.count("opportunities")
    return created
