"""Measure the performance targets of the contact list against the benchmark database.

    python bench/measure.py [--database-url URL] [--repeat 50] [--warmup 5] [--json]

Each request is handled in-process by Django's test `Client` (no network, no client set-up in
the timing): the figure is the time from handing the request to Django until the response is
complete, i.e. server time. Every scenario runs as a regular CRM user (through the access
filters) and as a CRM admin. Query counts are taken in a separate pass so that capturing them
does not slow the timed requests. With --json the results go to bench/results/.
"""

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import DEFAULT_URL, REPO_DIR, configure_django  # noqa: E402

RESULTS_DIR = REPO_DIR / "bench" / "results"

# name, target in ms, path, how it authenticates ("token" = API Bearer token, "session" = browser)
SCENARIOS = [
    ("API list, 50 rows, default sort", 20, "/api/v1/contacts?limit=50", "token"),
    ("API search: surname “garcía”", 20, "/api/v1/contacts?q=garc%C3%ADa", "token"),
    ("API search: first name “maría”", 20, "/api/v1/contacts?q=mar%C3%ADa", "token"),
    ("API search: first name “jose” (no accent)", 20, "/api/v1/contacts?q=jose", "token"),
    ("API search: first name “lucía”", 20, "/api/v1/contacts?q=luc%C3%ADa", "token"),
    ("API search: “ana” (72,000 matches)", 20, "/api/v1/contacts?q=ana", "token"),
    ("API search: start of a word “mar”", 20, "/api/v1/contacts?q=mar", "token"),
    ("API search: full name “lucía ortega”", 20, "/api/v1/contacts?q=luc%C3%ADa+ortega", "token"),
    ("API search: email “maria.lopez@”", 20, "/api/v1/contacts?q=maria.lopez%40", "token"),
    ("API search: rare word “zzqx” (no match)", 20, "/api/v1/contacts?q=zzqx", "token"),
    ("List page /contacts/", 60, "/contacts/", "session"),
    ("List page search “garcía”", 60, "/contacts/?q=garc%C3%ADa", "session"),
]


def percentile(values, share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def bench_users():
    from clientela.accounts.models import User

    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk").first()
    regular = (
        User.objects.filter(role=User.Role.USER, is_active=True, teams__isnull=False)
        .order_by("pk")
        .first()
    )
    if admin is None or regular is None:
        sys.exit("No bench users: run bench/generate.py first.")
    return {"user": regular, "admin": admin}


def client_for(user, auth: str):
    from django.test import Client

    from clientela.accounts.services import create_api_token

    client = Client()
    if auth == "token":
        _token, raw = create_api_token(user, "bench")
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    else:
        client.force_login(user)
    return client


def run_scenario(client, path: str, repeat: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    rows = None
    if response.headers.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        rows = len(body.get("items", [])) if isinstance(body, dict) else None
    return {
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "min_ms": round(min(timings), 2),
        "queries": len(queries),
        "rows": rows,
        "sql": [q["sql"] for q in queries.captured_queries],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--json", action="store_true", help="write bench/results/measure-*.json")
    parser.add_argument("--show-sql", action="store_true", help="print each request's SQL")
    parser.add_argument("--force", action="store_true", help="allow a database not named *bench*")
    args = parser.parse_args(argv)

    configure_django(args.database_url, allow_any_database=args.force)
    from django.db import connection

    from clientela.contacts.models import Contact

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'contacts_contact'")
        approximate_rows = cursor.fetchone()[0]
    users = bench_users()
    print(
        f"~{approximate_rows:,} contacts; regular user {users['user'].email} "
        f"(manages {Contact.managers.through.objects.filter(user=users['user']).count():,}), "
        f"admin {users['admin'].email}; {args.repeat} timed requests after {args.warmup} warm-up"
    )
    results = []
    header = f"{'scenario':44} {'as':5} {'target':>6} {'median':>8} {'p95':>8} {'queries':>7}  ok"
    print(header)
    print("-" * len(header))
    clients = {}
    for name, target, path, auth in SCENARIOS:
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
        out = RESULTS_DIR / f"measure-{stamp}.json"
        out.write_text(
            json.dumps(
                {
                    "contacts": approximate_rows,
                    "repeat": args.repeat,
                    "warmup": args.warmup,
                    "results": results,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        print(f"written {out.relative_to(REPO_DIR)}")


if __name__ == "__main__":
    main()
