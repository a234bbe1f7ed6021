"""Print EXPLAIN ANALYZE of the queries behind the contact list, as a regular user and an admin.

    python bench/explain.py [--database-url URL] [--q garcía] [--ordering name] [--who user]

Shows the page query (51 rows: 50 shown plus one to know whether there is a next page, with
their tags, roles and visible company as columns) and the capped count, exactly as
`contacts.queries.contact_list` and `core.pagination.paginate` build them. A search without
--ordering lists its best matches first: each part's page query is shown.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_database import DEFAULT_URL, configure_django  # noqa: E402


def explain(queryset, label: str):
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"--- {label}\n{cursor.mogrify(sql, params) if hasattr(cursor, 'mogrify') else sql}")
    print(plan, "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--q", default=None)
    parser.add_argument("--ordering", default=None)
    parser.add_argument("--who", choices=["user", "admin", "both"], default="both")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    configure_django(args.database_url, allow_any_database=args.force)

    from measure import bench_users

    from clientela.contacts.filters import ContactFilter
    from clientela.contacts.queries import contact_list
    from clientela.core.pagination import COUNT_CAP, querysets_of

    filters = ContactFilter(q=args.q, ordering=args.ordering)
    for who, user in bench_users().items():
        if args.who not in (who, "both"):
            continue
        queryset = contact_list(user, filters)
        parts = querysets_of(queryset)
        for number, part in enumerate(parts, start=1):
            label = f"part {number} of {len(parts)}, " if len(parts) > 1 else ""
            explain(part[:51], f"{who}: {label}page of 51 rows")
        ordering = getattr(queryset, "count_ordering", ())
        count_query = queryset.order_by(*ordering).values("pk")[: COUNT_CAP + 1]
        explain(count_query, f"{who}: capped count subquery (counted by paginate)")


if __name__ == "__main__":
    main()
