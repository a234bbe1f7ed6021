"""Point Django at the benchmark database (never the real one) before anything imports models."""

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/clientela_bench"
REPO_DIR = Path(__file__).resolve().parent.parent


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def ensure_database(url: str, recreate: bool = False):
    """Create the database named in `url` when it does not exist yet (or afresh if `recreate`)."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    admin_url = parsed._replace(path="/postgres").geturl()
    name = database_name(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if recreate:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_django(url: str, *, allow_any_database: bool = False):
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("The benchmark runs on PostgreSQL: give a postgres:// URL.")
    if "bench" not in database_name(url) and not allow_any_database:
        sys.exit(
            f"Refusing to use database “{database_name(url)}”: its name must contain “bench” "
            "(the generator empties it). Pass --force to override."
        )
    os.environ["CLIENTELA_DATABASE_URL"] = url
    os.environ.setdefault("CLIENTELA_VAR_DIR", str(REPO_DIR / "var" / "bench"))
    os.environ.setdefault("CLIENTELA_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    import django

    django.setup()
