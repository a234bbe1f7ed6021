"""Add opportunities, stage history, timeline entries, notes, comments and tasks to a contacts
benchmark database made by `generate.py`, fast.

    python bench/generate.py --contacts 1000000
    python bench/generate_activity.py --opportunities 300000 --timeline 5000000 --tasks 200000

The few things (a second pipeline, exchange rates) go through the services; the many rows are
written with COPY, with the secondary indexes of the loaded tables dropped during the load and
rebuilt after it, as `generate.py` does. Earlier rows of these tables are removed first, so the
script can run again on the same contacts.

The timeline is skewed like a real CRM's: most contacts have a few entries and a few customer
companies have thousands (the "busiest contact", which `measure_activity.py` reads).
"""

import argparse
import datetime
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import DEFAULT_URL, configure_django  # noqa: E402
from generate import log  # noqa: E402

NOTE_TEXTS = [
    "Llamada de seguimiento: **interesados** en la propuesta, piden precio para 20 licencias.",
    "Reunión con el equipo de compras. Próximo paso: enviar la oferta revisada.",
    "Sent the revised quote; they will answer *next week*.",
    "Visita a la oficina de Bilbao, muy buena acogida.",
    "Asked for references from customers in retail.",
    "Pendiente de aprobación del presupuesto para el segundo trimestre.",
]
COMMENT_TEXTS = [
    "¿Alguien ha hablado ya con ellos este mes?",
    "I'll take this one.",
    "Ojo: el contrato vence en marzo.",
    "Let's bundle the support plan in the offer.",
]
TASK_TITLES = [
    "Llamar para confirmar la reunión",
    "Enviar presupuesto",
    "Preparar demo",
    "Follow up on the proposal",
    "Send the contract",
    "Revisar condiciones de pago",
]
OPPORTUNITY_TITLES = [
    "Renovación de licencias",
    "Implantación CRM",
    "Soporte anual",
    "Consultoría de procesos",
    "Hardware refresh",
    "Training programme",
    "Ampliación de contrato",
    "Migración a la nube",
]

LOADED_TABLES = [
    "sales_opportunity",
    "sales_opportunity_managers",
    "sales_stagechange",
    "activities_timelineentry",
    "activities_note",
    "activities_comment",
    "tasks_task",
]


def columns(model, names: list[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def copy_rows(cursor, table: str, column_names: list[str], rows):
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, column_names))
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def secondary_indexes(cursor) -> list[tuple[str, str]]:
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


def skewed_pick(rnd: random.Random, items: list, heavy: list, heavy_share: float):
    """Mostly uniform over `items`; `heavy_share` of the picks go to the few `heavy` ones."""
    if heavy and rnd.random() < heavy_share:
        return rnd.choice(heavy)
    return rnd.choice(items)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--opportunities", type=int, default=300_000)
    parser.add_argument("--timeline", type=int, default=5_000_000)
    parser.add_argument("--tasks", type=int, default=200_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=43)
    parser.add_argument("--force", action="store_true", help="allow a database not named *bench*")
    args = parser.parse_args(argv)

    started = time.monotonic()
    configure_django(args.database_url, allow_any_database=args.force)
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from clientela.accounts.models import User
    from clientela.activities.models import Comment, HistoryCategory, Note, TimelineEntry
    from clientela.contacts.models import Contact, Customer
    from clientela.core.models import ExchangeRate
    from clientela.core.services import save_list_item
    from clientela.sales import services as sales_services
    from clientela.sales.models import (
        LeadSource,
        LostReason,
        Opportunity,
        Pipeline,
        Stage,
        StageChange,
    )
    from clientela.tasks.models import Task, TaskCategory

    call_command("migrate", verbosity=0)
    log("migrated", started)
    rnd = random.Random(args.seed)
    now = timezone.now().replace(microsecond=0)
    today = now.date()

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in LOADED_TABLES) + " RESTART IDENTITY CASCADE"
        )
    ExchangeRate.objects.all().delete()

    admin = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    users = list(User.objects.filter(is_active=True).order_by("pk"))
    user_ids = [u.pk for u in users]

    # --- the few things, through the services ----------------------------------------------
    default_pipeline = Pipeline.default()
    second = Pipeline.objects.filter(name="Proyectos").first() or sales_services.save_pipeline(
        admin, None, {"name": "Proyectos"}
    )
    if not second.stages.exists():
        for position, (name, probability, kind) in enumerate(
            [
                ("Contacto inicial", 10, "open"),
                ("Análisis", 30, "open"),
                ("Propuesta", 60, "open"),
                ("Ganada", 100, "won"),
                ("Perdida", 0, "lost"),
            ]
        ):
            sales_services.save_stage(
                admin,
                second,
                None,
                {"name": name, "probability": probability, "kind": kind, "position": position},
            )
    pipelines = [(default_pipeline, 0.85), (second, 0.15)]
    stages_of = {
        p.pk: list(Stage.objects.filter(pipeline=p).order_by("position", "id"))
        for p, _ in pipelines
    }
    sources = list(LeadSource.objects.all()) or [
        save_list_item(admin, LeadSource, None, {"name": "Web"})
    ]
    lost_reasons = list(LostReason.objects.all()) or [
        save_list_item(admin, LostReason, None, {"name": "Precio"})
    ]
    categories = list(HistoryCategory.objects.all())
    task_categories = list(TaskCategory.objects.all())
    # Monthly USD and GBP rates over the dates the opportunities use.
    month = datetime.date(today.year - 3, 1, 1)
    rates = []
    while month <= datetime.date(today.year + 2, 12, 1):
        rates.append(ExchangeRate(currency="USD", rate_date=month, rate=Decimal("0.92")))
        rates.append(ExchangeRate(currency="GBP", rate_date=month, rate=Decimal("1.17")))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    ExchangeRate.objects.bulk_create(rates)
    log(f"pipelines, lists and {len(rates)} exchange rates", started)

    customers = list(Customer.objects.values_list("pk", "contact_id", "primary_contact_id"))
    contact_count = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    # The busiest records: a few customer companies with thousands of timeline entries.
    busiest_contacts = [contact_id for _pk, contact_id, _p in rnd.sample(customers, 20)]

    # One transaction: a failed run leaves the tables and their indexes as they were.
    with transaction.atomic(), connection.cursor() as cursor:
        indexes = secondary_indexes(cursor)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")

        # --- opportunities, their managers and stage history ---------------------------------
        opp_fields = [
            "id", "created_at", "updated_at", "version", "custom_fields", "access", "title",
            "contact", "customer", "description", "currency", "amount", "budget_type",
            "budget_periods", "total", "expected_close", "responsible", "pipeline", "stage",
            "probability", "lead_source", "next_step", "lost_reason", "closed_at", "created_by",
            "reached_stages",
        ]  # fmt: skip
        opp_rows, manager_rows, change_rows, opp_ids = [], [], [], []
        change_id = 0
        for opp_id in range(1, args.opportunities + 1):
            customer_id, company_id, primary_id = rnd.choice(customers)
            pipeline = default_pipeline if rnd.random() < pipelines[0][1] else second
            stages = stages_of[pipeline.pk]
            open_stages = [s for s in stages if s.kind == "open"]
            roll = rnd.random()
            if roll < 0.6:
                stage = rnd.choice(open_stages)
            else:
                stage = next(s for s in stages if s.kind == ("won" if roll < 0.8 else "lost"))
            created = now - datetime.timedelta(
                days=rnd.randrange(0, 3 * 365), seconds=rnd.randrange(86400)
            )
            expected = created.date() + datetime.timedelta(days=rnd.randrange(15, 400))
            closed = None
            if stage.kind != "open":
                closed = min(today, created.date() + datetime.timedelta(days=rnd.randrange(5, 300)))
            currency = rnd.choices(["EUR", "USD", "GBP"], [0.8, 0.1, 0.1])[0]
            budget_type, periods = rnd.choices(
                [("fixed", 1), ("month", 12), ("hour", 40), ("year", 2)], [0.7, 0.15, 0.1, 0.05]
            )[0]
            amount = Decimal(rnd.randrange(50, 200_000 if budget_type == "fixed" else 5_000))
            responsible = rnd.choice(user_ids)
            access = "public_write" if rnd.random() < 0.8 else "private"
            # The path it took to its stage: the open stages before it, then the stage.
            path = open_stages[: open_stages.index(stage) + 1] if stage.kind == "open" else [
                *open_stages[: rnd.randrange(1, len(open_stages) + 1)], stage
            ]  # fmt: skip
            opp_rows.append(
                (
                    opp_id, created, created, 1, "{}", access,
                    f"{rnd.choice(OPPORTUNITY_TITLES)} {opp_id}",
                    primary_id or company_id, customer_id, "", currency, amount, budget_type,
                    periods, amount * periods, expected, responsible, pipeline.pk, stage.pk,
                    stage.probability, rnd.choice(sources).pk if rnd.random() < 0.7 else None,
                    "", rnd.choice(lost_reasons).pk if stage.kind == "lost" else None, closed,
                    responsible, ",".join(str(pk) for pk in sorted({step.pk for step in path})),
                )
            )  # fmt: skip
            opp_ids.append(opp_id)
            manager_rows.append((opp_id, responsible))
            entered = created
            previous = None
            for position, step in enumerate(path):
                change_id += 1
                left = None
                if position < len(path) - 1:
                    left = entered + datetime.timedelta(days=rnd.randrange(1, 40))
                change_rows.append(
                    (change_id, opp_id, previous.pk if previous else None, step.pk, step.name, responsible, entered, left)
                )  # fmt: skip
                previous, entered = step, left or entered
        copy_rows(cursor, "sales_opportunity", columns(Opportunity, opp_fields), opp_rows)
        copy_rows(cursor, "sales_opportunity_managers", ["opportunity_id", "user_id"], manager_rows)
        copy_rows(
            cursor,
            "sales_stagechange",
            columns(
                StageChange,
                [
                    "id",
                    "opportunity",
                    "from_stage",
                    "to_stage",
                    "stage_name",
                    "by",
                    "entered_at",
                    "left_at",
                ],
            ),
            change_rows,
        )
        log(f"{len(opp_rows):,} opportunities, {len(change_rows):,} stage changes", started)
        del opp_rows, change_rows, manager_rows

        # --- timeline entries, with their notes and comments -------------------------------
        contact_type = ContentType.objects.get_for_model(Contact).pk
        opportunity_type = ContentType.objects.get_for_model(Opportunity).pk
        note_type = ContentType.objects.get_for_model(Note).pk
        comment_type = ContentType.objects.get_for_model(Comment).pk
        entry_columns = columns(
            TimelineEntry,
            ["id", "content_type", "object_id", "at", "actor", "kind", "category", "params",
             "source_type", "source_id"],
        )  # fmt: skip
        note_columns = columns(
            Note,
            ["id", "target_type", "target_id", "author", "text", "category", "follow_up",
             "created_at", "updated_at", "version"],
        )  # fmt: skip
        comment_columns = columns(
            Comment, ["id", "target_type", "target_id", "author", "text", "created_at"]
        )
        entry_id = note_id = comment_id = 0
        chunk = 500_000
        remaining = args.timeline
        while remaining > 0:
            entries, notes, comments = [], [], []
            for _ in range(min(chunk, remaining)):
                entry_id += 1
                on_opportunity = rnd.random() < 0.1
                if on_opportunity:
                    target_type, target_id = opportunity_type, rnd.choice(opp_ids)
                else:
                    target_type = contact_type
                    target_id = skewed_pick(
                        rnd, range(1, contact_count + 1), busiest_contacts, 0.004
                    )
                at = now - datetime.timedelta(seconds=rnd.randrange(0, 3 * 365 * 86400))
                actor = rnd.choice(user_ids)
                roll = rnd.random()
                source_type = source_id = category = None
                if roll < 0.35:
                    note_id += 1
                    category = rnd.choice(categories).pk if categories else None
                    notes.append(
                        (note_id, target_type, target_id, actor, rnd.choice(NOTE_TEXTS),
                         category, None, at, at, 1)
                    )  # fmt: skip
                    kind, params, source_type, source_id = "note", "{}", note_type, note_id
                elif roll < 0.45:
                    comment_id += 1
                    comments.append(
                        (comment_id, target_type, target_id, actor, rnd.choice(COMMENT_TEXTS), at)
                    )
                    kind, params = "comment", "{}"
                    source_type, source_id = comment_type, comment_id
                elif roll < 0.75:
                    kind = rnd.choice(["task_created", "task_closed"])
                    params = json.dumps({"title": rnd.choice(TASK_TITLES)})
                elif on_opportunity:
                    kind, params = "stage_changed", '{"from": "Propuesta", "to": "Negociación"}'
                else:
                    kind, params = "event_scheduled", '{"title": "Reunión de seguimiento"}'
                entries.append(
                    (entry_id, target_type, target_id, at, actor, kind, category, params,
                     source_type, source_id)
                )  # fmt: skip
            copy_rows(cursor, "activities_note", note_columns, notes)
            copy_rows(cursor, "activities_comment", comment_columns, comments)
            copy_rows(cursor, "activities_timelineentry", entry_columns, entries)
            remaining -= len(entries)
            log(
                f"{entry_id:,} timeline entries ({note_id:,} notes, {comment_id:,} comments)",
                started,
            )

        # --- tasks -----------------------------------------------------------------------
        task_fields = [
            "id", "created_at", "updated_at", "version", "custom_fields", "title", "category",
            "target_type", "target_id", "due_at", "all_day", "reminder", "responsible",
            "description", "closed_at", "closed_by", "created_by",
        ]  # fmt: skip
        tasks = []
        for task_id in range(1, args.tasks + 1):
            due = now + datetime.timedelta(minutes=rnd.randrange(-90 * 1440, 90 * 1440))
            created = due - datetime.timedelta(days=rnd.randrange(1, 30))
            closed = due < now and rnd.random() < 0.7
            responsible = rnd.choice(user_ids)
            tasks.append(
                (
                    task_id, created, created, 1, "{}", rnd.choice(TASK_TITLES),
                    rnd.choice(task_categories).pk if task_categories else None,
                    contact_type, rnd.randrange(1, contact_count + 1), due, False, "1d",
                    responsible, "", due if closed else None, responsible if closed else None,
                    responsible,
                )
            )  # fmt: skip
        copy_rows(cursor, "tasks_task", columns(Task, task_fields), tasks)
        log(f"{len(tasks):,} tasks", started)

        cursor.execute("SET session_replication_role = origin")
        for table in LOADED_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )
        for name, definition in indexes:
            cursor.execute(definition)
            log(f"index {name}", started)
    # The opportunities were copied in without the services: the summaries of the board and
    # the forecast are rebuilt from them (the services keep them from here on).
    call_command("rebuild_sales_totals", verbosity=0)
    log("board and forecast totals rebuilt", started)
    summary_tables = ["sales_stagemonthtotal", "sales_forecastmonthtotal", "sales_closedmonthtotal"]
    with connection.cursor() as cursor:
        for table in [*LOADED_TABLES, *summary_tables]:
            cursor.execute(f'VACUUM ANALYZE "{table}"')
    log("vacuumed and analysed; done", started)


if __name__ == "__main__":
    main()
