"""Measure the performance targets of the sales pipeline (issue 3) and of activities (issue 4)
against a benchmark database filled by `generate.py` then `generate_activity.py`.

    python bench/measure_activity.py [--database-url URL] [--repeat 50] [--warmup 5] [--json]

Same method as `measure.py`: each request goes through Django's test `Client` in-process, and
the figure is server time. Every scenario runs as a regular CRM user and as a CRM admin.
"""

import argparse
import datetime
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import DEFAULT_URL, configure_django  # noqa: E402
from measure import REPO_DIR, RESULTS_DIR, bench_users, client_for, run_scenario  # noqa: E402


def scenarios() -> list[tuple[str, int, str, str]]:
    """(name, target in ms, path, auth) with the ids of this database's records."""
    from django.db import connection

    from clientela.sales.models import Pipeline

    pipeline = Pipeline.default()
    year = datetime.date.today().year
    with connection.cursor() as cursor:
        # The contact with the longest timeline.
        cursor.execute(
            """
            SELECT object_id FROM activities_timelineentry
            WHERE content_type_id = (SELECT id FROM django_content_type
                                     WHERE app_label = 'contacts' AND model = 'contact')
            GROUP BY object_id ORDER BY count(*) DESC LIMIT 1
            """
        )
        busiest = cursor.fetchone()[0]
    return [
        ("Board of the default pipeline (page)", 100, f"/sales/board/?pipeline={pipeline.pk}", "session"),
        ("Opportunity list API, 50 rows", 20, "/api/v1/opportunities?limit=50", "token"),
        ("Forecast for a year (page)", 200, f"/sales/forecast/?start=01/01/{year}&end=31/12/{year}", "session"),
        ("Forecast for a year (API)", 200, f"/api/v1/sales/forecast?start={year}-01-01&end={year}-12-31", "token"),
        ("Contact timeline (busiest contact, page)", 50, f"/contacts/{busiest}/?tab=timeline", "session"),
        ("Tasks at a glance (page)", 100, "/tasks/", "session"),
    ]  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--json", action="store_true", help="write bench/results/*.json")
    parser.add_argument("--show-sql", action="store_true", help="print each request's SQL")
    parser.add_argument("--force", action="store_true", help="allow a database not named *bench*")
    args = parser.parse_args(argv)

    configure_django(args.database_url, allow_any_database=args.force)
    from django.db import connection

    def approximate(table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    sizes = {
        table: approximate(table)
        for table in (
            "contacts_contact",
            "sales_opportunity",
            "activities_timelineentry",
            "tasks_task",
        )
    }
    users = bench_users()
    print(
        ", ".join(f"~{count:,} {table}" for table, count in sizes.items())
        + f"; {args.repeat} timed requests after {args.warmup} warm-up"
    )
    header = f"{'scenario':44} {'as':5} {'target':>6} {'median':>8} {'p95':>8} {'queries':>7}  ok"
    print(header)
    print("-" * len(header))
    results, clients = [], {}
    for name, target, path, auth in scenarios():
        if args.only and args.only.lower() not in name.lower():
            continue
        for who, user in users.items():
            key = (who, auth)
            if key not in clients:
                clients[key] = client_for(user, auth)
            outcome = run_scenario(clients[key], path, args.repeat, args.warmup)
            ok = outcome["median_ms"] < target
            print(
                f"{name:44} {who:5} {target:>4}ms {outcome['median_ms']:>6.1f}ms "
                f"{outcome['p95_ms']:>6.1f}ms {outcome['queries']:>7}  {'yes' if ok else 'NO'}"
            )
            if args.show_sql:
                for sql in outcome["sql"]:
                    print(f"    {sql[:400]}")
            results.append(
                {"scenario": name, "as": who, "path": path, "target_ms": target, "met": ok}
                | outcome
            )
    connection.close()
    if args.json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = RESULTS_DIR / f"measure-activity-{stamp}.json"
        out.write_text(
            json.dumps(
                {"sizes": sizes, "repeat": args.repeat, "warmup": args.warmup, "results": results},
                indent=2,
                ensure_ascii=False,
            )
        )
        print(f"written {out.relative_to(REPO_DIR)}")


if __name__ == "__main__":
    main()
