"""The `clientela` command: run the app, the worker, create an admin, demo data, API tokens.

Django is set up inside each sub-command, so `clientela --help` works before any configuration
and the environment (CLIENTELA_*) is read exactly once, by `clientela.settings`."""

import argparse
import getpass
import hashlib
import os
import sys
import warnings


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    import django

    django.setup()


def migrate_database(verbosity: int = 0):
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def static_files_fingerprint() -> str:
    """A digest of every static file's path, size and modification time, found by the finders."""
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    entries = []
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def collect_static_if_needed() -> bool:
    """Run collectstatic only when the static files changed since the last run (it gzips them all,
    which takes seconds); returns whether it ran."""
    from django.conf import settings
    from django.core.management import call_command

    stamp = settings.STATIC_ROOT / ".clientela-fingerprint"
    fingerprint = static_files_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True


def start_embedded_worker(workers: int):
    """Start a Huey consumer in threads of this process; the caller stops it."""
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")
    consumer = HUEY.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.start()
    return consumer


def cmd_run(args) -> int:
    setup_django()
    import uvicorn

    migrate_database()
    collect_static_if_needed()
    # WhiteNoise (static files) and the CSV export stream through synchronous iterators,
    # which Django's ASGI handler consumes correctly but warns about on every response.
    warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")
    from clientela.asgi import application

    consumer = None if args.no_worker else start_embedded_worker(args.workers)
    config = uvicorn.Config(
        application,
        host=args.host,
        port=args.port,
        lifespan="off",  # Django's ASGI handler does not speak the lifespan protocol
        log_level=args.log_level,
        server_header=False,
    )
    server = uvicorn.Server(config)
    print(
        f"Clientela is running at http://{args.host}:{args.port}/"
        f"{'' if consumer is None else ' with its background worker'}. Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        # uvicorn handles SIGINT and SIGTERM itself and returns once the server has stopped.
        server.run()
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
    print("Clientela stopped.", flush=True)
    return 0


def cmd_worker(args) -> int:
    setup_django()
    from django.core.management import call_command

    print(f"Clientela worker: {args.workers} thread(s). Press Ctrl-C to stop.", flush=True)
    call_command("run_huey", workers=args.workers, worker_type="thread")
    return 0


def _print_errors(error) -> None:
    from clientela.core.errors import validation_messages

    for field, messages in validation_messages(error).items():
        label = "" if field == "__all__" else f"{field}: "
        for message in messages:
            print(f"error: {label}{message}", file=sys.stderr)


def cmd_createadmin(args) -> int:
    setup_django()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from clientela.accounts.models import User
    from clientela.accounts.services import create_user

    migrate_database()
    email = args.email or input("Email: ").strip()
    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("error: the passwords do not match.", file=sys.stderr)
            return 1
    candidate = User(email=email, first_name=args.first_name, last_name=args.last_name)
    try:
        validate_password(password, candidate)
        user = create_user(
            None,
            email=email,
            password=password,
            first_name=args.first_name,
            last_name=args.last_name,
            role=User.Role.ADMIN,
            language=args.language,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            _print_errors(exc)
        else:
            _print_errors(ValidationError({"password": exc.messages}))
        return 1
    print(f"Created the CRM admin {user.email}.")
    return 0


def cmd_demo(args) -> int:
    setup_django()
    migrate_database()
    from clientela.contacts.demo import DEMO_PASSWORD, load_demo_data

    summary = load_demo_data()
    print(summary.report())
    from clientela.sales.demo import load_sales_demo

    print(f"Opportunities added: {load_sales_demo()}")
    from clientela.activities.demo import load_activities_demo
    from clientela.agenda.demo import load_agenda_demo
    from clientela.tasks.demo import load_tasks_demo

    activities = load_activities_demo()
    print(f"Notes added: {activities['notes']}")
    print(f"Comments added: {activities['comments']}")
    print(f"Tasks added: {load_tasks_demo()}")
    print(f"Events added: {load_agenda_demo()}")
    print()
    from django.conf import settings

    print(f"Log in at {settings.CLIENTELA_BASE_URL}/ (or wherever `clientela run` serves) with:")
    for email, role in summary.logins:
        print(f"  {email:<28} {DEMO_PASSWORD}   ({role})")
    return 0


def cmd_token_create(args) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from clientela.accounts.models import User
    from clientela.accounts.services import create_api_token

    user = User.objects.filter(email__iexact=args.email.strip(), is_active=True).first()
    if user is None:
        print(f"error: there is no active user {args.email}.", file=sys.stderr)
        return 1
    try:
        token, raw = create_api_token(user, args.name)
    except ValidationError as exc:
        _print_errors(exc)
        return 1
    # The token alone on stdout, so that scripts can capture it; it is never shown again.
    print(f"Token “{token.name}” for {user.email} (shown only now):", file=sys.stderr)
    print(raw)
    return 0


def _token_user(email: str):
    from clientela.accounts.models import User

    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        print(f"error: there is no user {email}.", file=sys.stderr)
    return user


def cmd_token_list(args) -> int:
    setup_django()
    user = _token_user(args.email)
    if user is None:
        return 1
    for token in user.api_tokens.order_by("-created_at", "-id"):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        used = (
            f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        )
        print(f"{token.hint}…\t{token.name}\t{state}\t{used}")
    return 0


def cmd_token_revoke(args) -> int:
    """Revoke the user's active tokens whose hint (the first characters the UI and `token list`
    show) begins with `args.hint`; refuse when it names none or, without --all, several."""
    setup_django()
    from clientela.accounts.services import revoke_api_token

    user = _token_user(args.email)
    if user is None:
        return 1
    hint = args.hint.strip().rstrip("…")
    tokens = list(user.api_tokens.filter(revoked_at__isnull=True, hint__startswith=hint))
    if not hint or not tokens:
        print(f"error: {user.email} has no active token starting {hint!r}.", file=sys.stderr)
        return 1
    if len(tokens) > 1 and not args.all:
        print(
            f"error: {len(tokens)} active tokens start {hint!r}; give more of it, or --all.",
            file=sys.stderr,
        )
        return 1
    for token in tokens:
        revoke_api_token(user, token)
        print(f"Revoked “{token.name}” ({token.hint}…) of {user.email}.", file=sys.stderr)
    return 0


def cmd_manage(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["clientela manage", *args.arguments])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clientela",
        description="Clientela, a self-hosted CRM. Configure it with CLIENTELA_* variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="migrate, then serve the web app with the background worker in one process"
    )
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    run.add_argument(
        "--no-worker", action="store_true", help="serve only; run `clientela worker` elsewhere"
    )
    run.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    run.set_defaults(handler=cmd_run)

    worker = commands.add_parser("worker", help="run the background worker alone")
    worker.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    worker.set_defaults(handler=cmd_worker)

    admin = commands.add_parser("createadmin", help="create a CRM admin (asks what is missing)")
    admin.add_argument("--email")
    admin.add_argument("--password", help="asked for when missing")
    admin.add_argument("--first-name", default="")
    admin.add_argument("--last-name", default="")
    admin.add_argument("--language", default="es", choices=["es", "en"])
    admin.set_defaults(handler=cmd_createadmin)

    demo = commands.add_parser(
        "demo", help="load demo data in Spanish and English (running it again adds nothing)"
    )
    demo.set_defaults(handler=cmd_demo)

    token = commands.add_parser("token", help="personal API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    token_create = token_commands.add_parser("create", help="create a token and print it")
    token_create.add_argument("email", metavar="USER_EMAIL")
    token_create.add_argument("--name", default="Command line")
    token_create.set_defaults(handler=cmd_token_create)
    token_list = token_commands.add_parser("list", help="list a user's tokens (hint, name, state)")
    token_list.add_argument("email", metavar="USER_EMAIL")
    token_list.set_defaults(handler=cmd_token_list)
    token_revoke = token_commands.add_parser(
        "revoke", help="revoke a user's token, named by the start of its hint"
    )
    token_revoke.add_argument("email", metavar="USER_EMAIL")
    token_revoke.add_argument("hint", metavar="HINT")
    token_revoke.add_argument("--all", action="store_true", help="revoke every token it names")
    token_revoke.set_defaults(handler=cmd_token_revoke)

    manage = commands.add_parser(
        "manage", help="any Django management command, e.g. `clientela manage migrate`"
    )
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["manage"]:
        # Handed over untouched: argparse would claim options such as --help or --version.
        return cmd_manage(argparse.Namespace(arguments=argv[1:]))
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
