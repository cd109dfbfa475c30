"""`recura`: serve, work, migrate, load the demo, manage accounts and API keys, queue the
PDFs of documents issued before Recura made them."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TaskID
from rich.table import Table
from sqlalchemy.orm import Session

from recura.clock import SystemClock
from recura.config import ConfigError, Settings, load_settings
from recura.db.engine import make_engine, make_session_factory
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import api_keys, scopes
from recura.domains.accounts import service as accounts
from recura.domains.accounts.api_key_schemas import ApiKeyCreate
from recura.domains.accounts.schemas import AccountCreate
from recura.domains.audit import service as audit
from recura.domains.common.actor import Actor
from recura.domains.common.errors import DomainError
from recura.domains.common.tenant import Tenant
from recura.domains.documents import backfill
from recura.domains.exchange_rates import service as exchange_rates
from recura.domains.funnels import rollups as funnel_rollups
from recura.domains.metrics import rollups
from recura.domains.payments import bank

app = typer.Typer(help="Recura: run a recurring-services business.", no_args_is_help=True)
accounts_app = typer.Typer(help="Merchant accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (shown once, stored as a keyed hash).", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
bank_app = typer.Typer(help="Bank transfers.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")
app.add_typer(keys_app, name="api-keys")
emails_app = typer.Typer(help="Subscriber emails.", no_args_is_help=True)
app.add_typer(emails_app, name="emails")
users_app = typer.Typer(help="Operators: the users of the console.", no_args_is_help=True)
app.add_typer(users_app, name="users")
rates_app = typer.Typer(help="Exchange rates.", no_args_is_help=True)
app.add_typer(rates_app, name="rates")
metrics_app = typer.Typer(help="Revenue metrics.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")
spend_app = typer.Typer(help="Acquisition spend per month and channel.", no_args_is_help=True)
app.add_typer(spend_app, name="spend")
documents_app = typer.Typer(help="Invoice and credit note documents.", no_args_is_help=True)
app.add_typer(documents_app, name="documents")
out = Console(soft_wrap=True)  # long lines (keys, curl) must stay copyable
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]Error:[/red] {message}")
    return typer.Exit(1)


# Who the audit log names for what the command line does.
CLI = Actor(kind="system", id=None, label="cli")
# Fields of AccountCreate whose option is named otherwise.
_OPTION_OF = {"default_currency": "--currency", "invoice_series_prefix": "--series"}


def _options_error(exc: ValidationError) -> str:
    """Name each wrong option as it is typed: "--tax-rate: the VAT rate is a percentage…"."""
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        field = next((step for step in error["loc"] if isinstance(step, str)), None)
        if field is None:
            problems.append(message)
        else:
            option = _OPTION_OF.get(field, "--" + field.replace("_", "-"))
            problems.append(f"{option}: {message}")
    return "; ".join(problems)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from recura.db.migrate import upgrade

    settings = _settings()
    upgrade(make_engine(settings.database_url))
    out.print(f"Database at {settings.database_url} is up to date.")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default RECURA_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RECURA_PORT).")] = None,
    worker: Annotated[bool, typer.Option(help="Run the worker in this process.")] = True,
) -> None:
    """Serve the API (and, by default, the worker) in one process."""
    import uvicorn

    from recura.api.app import create_app

    settings = _settings()
    api = create_app(settings, run_worker=worker and settings.embedded_worker)
    uvicorn.run(
        api, host=host or settings.host, port=port or settings.port, log_level=settings.log_level
    )


@app.command("worker")
def worker_command(
    once: Annotated[bool, typer.Option(help="Run passes until no work is due, then exit.")] = False,
) -> None:
    """Run due work (renewals, retries, outbox) in a loop."""
    import threading

    from recura.jobs.worker import run_forever, run_until_idle, tune_gc
    from recura.notifications.smtp import Mailer

    settings = _settings()
    logging.basicConfig(level=settings.log_level.upper())
    factory = make_session_factory(make_engine(settings.database_url))
    mailer = Mailer.from_settings(settings)
    tune_gc()
    retention = timedelta(days=settings.notifications_retention_days)
    if once:
        for name, count in run_until_idle(factory, SystemClock(), mailer, None, retention).items():
            out.print(f"{name}: {count}")
        return
    stop = threading.Event()
    out.print("Worker running; Ctrl+C stops it.")
    try:
        run_forever(
            factory, SystemClock(), settings.worker_interval_seconds, stop, mailer, retention
        )
    except KeyboardInterrupt:
        stop.set()


@app.command()
def demo(
    customers: Annotated[int, typer.Option(min=0, max=10_000, help="How many customers.")] = 200,
) -> None:
    """Load a demo account (a Romanian SaaS) and print an API key for it."""
    from recura.db.migrate import upgrade
    from recura.demo import load_demo

    settings = _settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    secret = settings.secret_key.get_secret_value().encode()
    columns = (*Progress.get_default_columns(), MofNCompleteColumn())
    with Progress(*columns, console=out) as progress, unit_of_work(factory) as session:
        tasks: dict[str, TaskID] = {}

        def advance(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.update(tasks[step], completed=done)

        now = SystemClock().now()
        result = load_demo(session, secret, now, customers=customers, progress=advance)
    out.print(f"Demo account [bold]{result.account_id}[/bold] ({result.legal_name}).")
    if result.created:
        out.print(f"Loaded {result.customers} customers and {result.plans} plans.")
    else:
        out.print("The demo data was already loaded; issued a fresh API key.")
    out.print(f"Test API key (shown once): [bold green]{result.token}[/bold green]")
    url = settings.public_url.rstrip("/")
    out.print(f"Try: curl -H 'Authorization: Bearer {result.token}' {url}/v1/customers")
    out.print(f"API docs: {url}/docs")
    if result.slug:
        out.print(f"Pricing page (test mode): {url}/p/{result.slug}/test")
        out.print(f"Portal sign-in: {url}/p/{result.slug}/test/sign-in")
    if result.portal_customer:
        with unit_of_work(factory) as session:
            link = _portal_link(session, settings, result.account_id, result.portal_customer)
        out.print("The portal as a demo subscriber (the link works once, within the hour):")
        out.print(link, soft_wrap=True)
        out.print(f"  a new link: recura portal-link {result.account_id} {result.portal_customer}")
    out.print(f"Operator console: {url}/console")
    out.print(
        f"  sign in as [bold]{result.owner_email}[/bold] with the password "
        f"[bold green]{result.owner_password}[/bold green] (new at every run of the demo)"
    )


@app.command("portal-link")
def portal_link(
    account_id: Annotated[str, typer.Argument(help="The account (acct_...).")],
    customer_id: Annotated[str, typer.Argument(help="The customer (cus_...).")],
    live: Annotated[bool, typer.Option(help="A live-mode customer.")] = False,
) -> None:
    """Print a link that signs a customer in to the portal (once, within the hour)."""
    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with unit_of_work(factory) as session:
            link = _portal_link(session, settings, account_id, customer_id, live)
    except DomainError as error:
        err.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    out.print(link, soft_wrap=True)


def _portal_link(
    session: Session, settings: Settings, account_id: str, customer_id: str, live: bool = False
) -> str:
    from recura.domains.customers import service as customers
    from recura.domains.portal_sessions import service as portal_sessions
    from recura.notifications import links

    tenant = Tenant(account_id, live)
    now = SystemClock().now()
    customer = customers.get(session, tenant, customer_id)
    row = portal_sessions.create_for_customer(session, tenant, customer, None, None, now)
    secret = settings.secret_key.get_secret_value().encode()
    token = links.sign(secret, "portal_session", account_id, live, customer.id, row.id, now)
    return f"{settings.public_url.rstrip('/')}/portal/session/{token}"


@accounts_app.command("create")
def accounts_create(
    legal_name: Annotated[str, typer.Option(help="Registered company name.")],
    country: Annotated[str, typer.Option(help="ISO country code, e.g. RO.")],
    currency: Annotated[str, typer.Option(help="Default currency, e.g. RON.")],
    timezone: Annotated[str, typer.Option(help="IANA zone.")] = "Europe/Bucharest",
    locale: Annotated[str, typer.Option(help="Language of documents.")] = "ro",
    series: Annotated[str, typer.Option(help="Invoice series prefix.")] = "INV",
    tax_rate: Annotated[
        str, typer.Option(help="VAT in percent: 21 is 21 % (0.21 is refused).")
    ] = "0",
    tax_inclusive: Annotated[
        bool, typer.Option("--tax-inclusive/--tax-exclusive", help="Prices include VAT.")
    ] = False,
    vat_registered: Annotated[
        bool,
        typer.Option(
            "--vat-registered/--not-vat-registered",
            help="Registered for VAT: charges the EU's rates (else no VAT, as a small enterprise).",
        ),
    ] = False,
) -> None:
    """Create a merchant account with one test and one live API key."""
    settings = _settings()
    try:
        data = AccountCreate(
            legal_name=legal_name,
            country=country,
            default_currency=currency,
            timezone=timezone,
            locale=locale,
            invoice_series_prefix=series,
            tax_rate=tax_rate,
            tax_inclusive=tax_inclusive,
            vat_registered=vat_registered,
        )
    except ValidationError as exc:
        raise _fail(_options_error(exc)) from None
    factory = make_session_factory(make_engine(settings.database_url))
    secret = settings.secret_key.get_secret_value().encode()
    now = SystemClock().now()
    with unit_of_work(factory) as session:
        account = accounts.create_account(session, data, now)
        test = accounts.issue_key(session, account.id, False, "default test key", secret, now)
        live = accounts.issue_key(session, account.id, True, "default live key", secret, now)
    out.print(f"Account [bold]{account.id}[/bold] created.")
    out.print(f"Test key (shown once): [bold green]{test.token}[/bold green]")
    out.print(f"Live key (shown once): [bold yellow]{live.token}[/bold yellow]")


@bank_app.command("import")
def bank_import(
    path: Annotated[
        Path, typer.Argument(help="A camt.053 statement file.", exists=True, dir_okay=False)
    ],
    account: Annotated[str, typer.Option(help="Account id (acct_…).")],
    live: Annotated[bool, typer.Option("--live/--test", help="Live or test data.")] = True,
) -> None:
    """Import a bank statement: incoming transfers pay the invoices they quote."""
    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with unit_of_work(factory) as session:
            accounts.get_account(session, account)
            tenant = Tenant(account, live)
            # On SQLite a long statement commits as it goes: `recura serve` may be writing too.
            sqlite = session.get_bind().dialect.name == "sqlite"
            checkpoint = session.commit if sqlite else None
            now = SystemClock().now()
            done = bank.import_statements(session, tenant, path.read_bytes(), now, checkpoint)
            report = [(r.statement_id, r.entry_count, r.matched_count) for r in done.statements]
    except DomainError as exc:
        raise _fail(exc.detail) from None
    for statement_id, entries, matched in report:
        out.print(f"Statement {statement_id}: {entries} entries, {matched} matched to invoices.")
    for skipped in done.skipped:
        out.print(
            f"Statement {skipped.statement_id} skipped: account {skipped.account} "
            f"({skipped.currency}) is not one of the account's bank accounts."
        )


@rates_app.command("import")
def rates_import(
    path: Annotated[
        Path,
        typer.Argument(
            help="The National Bank of Romania's XML (nbrfxrates.xml, or a year's file) "
            "or a CSV with date,base,quote,rate.",
            exists=True,
            dir_okay=False,
        ),
    ],
    account: Annotated[str, typer.Option(help="Account id (acct_…).")],
    live: Annotated[bool, typer.Option("--live/--test", help="Live or test data.")] = True,
) -> None:
    """Import exchange rates; a day's rate of a pair already stored is replaced."""
    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with unit_of_work(factory) as session:
            accounts.get_account(session, account)
            tenant = Tenant(account, live)
            count = exchange_rates.import_file(
                session, tenant, path.read_bytes(), SystemClock().now()
            )
    except DomainError as exc:
        raise _fail(exc.detail) from None
    out.print(f"{count} exchange rates imported.")


@metrics_app.command("rebuild")
def metrics_rebuild(
    account: Annotated[
        str | None, typer.Option(help="Account id (acct_…); without it, every account.")
    ] = None,
    live: Annotated[bool, typer.Option("--live/--test", help="Live or test data.")] = True,
) -> None:
    """Recompute the MRR and funnel rollups from the event log (the worker keeps them up
    to date), and the daily checkout, cancellation and support counts from their rows (the
    services keep them)."""
    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    folds = ((rollups.rebuild, rollups.fold_due), (funnel_rollups.rebuild, funnel_rollups.fold_due))
    counted = []
    for rebuild, fold_due in folds:
        try:
            with unit_of_work(factory) as session:
                if account is not None:
                    accounts.get_account(session, account)
                    done = rebuild(session, Tenant(account, live))
                else:
                    rebuild(session)
                    done = 0
        except DomainError as exc:
            raise _fail(exc.detail) from None
        if account is None:
            # Batch by batch, each its own transaction, as the worker folds.
            while True:
                with unit_of_work(factory) as session:
                    count = fold_due(session, SystemClock().now())
                done += count
                if count == 0:
                    break
        counted.append(done)
    out.print(
        f"{counted[0]} MRR changes folded into the rollups, "
        f"{counted[1]} subscription events into the funnel rollups."
    )


@documents_app.command("backfill")
def documents_backfill(
    account: Annotated[
        str | None, typer.Option(help="Account id (acct_…); without it, every account.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Queue at most this many; without it, all.")
    ] = None,
) -> None:
    """Queue the PDFs of finalised invoices and credit notes that have none (issued before
    Recura made PDFs), of accounts with invoice PDFs on; the worker makes them as it makes
    new ones, so a long history is best queued a few thousand at a time (--limit)."""
    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    if account is not None:
        try:
            with unit_of_work(factory) as session:
                making = accounts.get_account(session, account).invoice_pdfs
        except DomainError as exc:
            raise _fail(exc.detail) from None
        if not making:
            raise _fail(f"{account} has invoice PDFs off (invoice_pdfs): nothing to queue.")
    done = 0
    # Chunk by chunk, each its own transaction; a chunk not filled means none is left.
    while limit is None or done < limit:
        chunk = backfill.CHUNK if limit is None else min(backfill.CHUNK, limit - done)
        with unit_of_work(factory) as session:
            count = backfill.queue_missing(
                session, SystemClock().now(), account_id=account, limit=chunk
            )
        done += count
        if count < chunk:
            break
    out.print(f"{done} PDFs queued; the worker makes them.")


@spend_app.command("import")
def spend_import(
    path: Annotated[
        Path,
        typer.Argument(
            help="A CSV file: month, channel, currency, amount (1500.50) and optionally note.",
            exists=True,
            dir_okay=False,
        ),
    ],
    account: Annotated[str, typer.Option(help="Account id (acct_…).")],
    live: Annotated[bool, typer.Option("--live/--test", help="Live or test data.")] = True,
) -> None:
    """Import spend, all or nothing: a file with a bad line imports nothing and names each
    problem by its line; a month, channel and currency already there is replaced."""
    from recura.domains.acquisition import spend_csv

    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(f"{path} is not UTF-8 text") from None
    try:
        with unit_of_work(factory) as session:
            accounts.get_account(session, account)
            done = spend_csv.import_text(session, Tenant(account, live), text, SystemClock().now())
    except DomainError as exc:
        raise _fail(exc.detail) from None
    out.print(f"Imported {done.rows} rows: {done.created} new, {done.replaced} replaced.")


@spend_app.command("export")
def spend_export(
    account: Annotated[str, typer.Option(help="Account id (acct_…).")],
    path: Annotated[
        Path | None, typer.Argument(help="Where to write the CSV; standard output if none.")
    ] = None,
    live: Annotated[bool, typer.Option("--live/--test", help="Live or test data.")] = True,
) -> None:
    """Write the spend as CSV, in the format `recura spend import` takes."""
    from recura.domains.acquisition import spend_csv

    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with unit_of_work(factory) as session:
            accounts.get_account(session, account)
            text = spend_csv.export_text(session, Tenant(account, live))
    except DomainError as exc:
        raise _fail(exc.detail) from None
    if path is None:
        typer.echo(text, nl=False)
    else:
        path.write_text(text, encoding="utf-8")


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="Account id (acct_…).")],
    live: Annotated[bool, typer.Option("--live/--test", help="Live or test data.")] = False,
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "api key",
    scope: Annotated[
        str, typer.Option(help="full, read_only, or restricted (with --permission).")
    ] = "full",
    permission: Annotated[
        list[str] | None,
        typer.Option(
            help="For a restricted key, FAMILY:read or FAMILY:write, once per family "
            f"({', '.join(scopes.FAMILIES)})."
        ),
    ] = None,
) -> None:
    """Issue an API key; it is printed once and never again."""
    settings = _settings()
    granted: dict[str, str] = {}
    for item in permission or []:
        family, _, level = item.partition(":")
        granted[family] = level
    factory = make_session_factory(make_engine(settings.database_url))
    now = SystemClock().now()
    try:
        data = ApiKeyCreate.model_validate({"name": name, "scope": scope, "permissions": granted})
        with unit_of_work(factory) as session:
            accounts.get_account(session, account)
            issued = api_keys.issue(
                session,
                account,
                live,
                data,
                settings.secret_key.get_secret_value().encode(),
                now,
                CLI.label,
            )
            audit.record(
                session, Tenant(account, live), CLI, "api_key.create", "api_key", issued.key.id, now
            )
    except ValidationError as exc:
        raise _fail(_options_error(exc)) from None
    except DomainError as exc:
        raise _fail(exc.detail) from None
    out.print(f"Key {issued.key.id} (shown once): [bold green]{issued.token}[/bold green]")


@keys_app.command("list")
def keys_list(account: Annotated[str, typer.Option(help="Account id (acct_…).")]) -> None:
    """List an account's keys (never the secret part)."""
    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with unit_of_work(factory) as session:
            rows = accounts.list_keys(session, account)
    except DomainError as exc:
        raise _fail(exc.detail) from None
    table = Table()
    for column in ("id", "name", "mode", "key", "scope", "created", "last used", "revoked"):
        # Ids and keys must stay whole and copyable, even in a narrow terminal or a pipe.
        whole = column in {"id", "key"}
        table.add_column(column, no_wrap=whole, overflow="ignore" if whole else "fold")
    for key in rows:
        table.add_row(
            key.id,
            key.name,
            "live" if key.livemode else "test",
            f"{key.prefix}…{key.last4}",
            _scope_of(key.scope, key.permissions),
            key.created_at.isoformat(timespec="seconds"),
            key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "",
            key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
        )
    _print_table(table)


def _print_table(table: Table) -> None:
    """A terminal's own width; piped or captured output as wide as the rows need (at 80
    columns a table of many columns squeezes its cells to nothing)."""
    if out.is_terminal:
        out.print(table)
    else:
        Console(file=out.file, width=240).print(table)


def _scope_of(scope: str, permissions: dict[str, str]) -> str:
    if scope != "restricted":
        return scope
    return "restricted: " + ", ".join(f"{f}:{level}" for f, level in sorted(permissions.items()))


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="Key id (key_…).")]) -> None:
    """Revoke a key; running servers refuse it within RECURA_API_KEY_CACHE_SECONDS."""
    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        now = SystemClock().now()
        with unit_of_work(factory) as session:
            key = accounts.revoke_key(session, key_id, now)
            tenant = Tenant(key.account_id, key.livemode)
            audit.record(session, tenant, CLI, "api_key.revoke", "api_key", key_id, now)
    except DomainError as exc:
        raise _fail(exc.detail) from None
    out.print(
        f"Key {key_id} revoked; servers refuse it within {settings.api_key_cache_seconds:g} s."
    )


@users_app.command("create")
def users_create(
    account: Annotated[str, typer.Option(help="Account id (acct_…).")],
    email: Annotated[str, typer.Option(help="The user's email address (their sign-in).")],
    role: Annotated[str, typer.Option(help="owner, admin, finance, support or analyst.")] = "owner",
    name: Annotated[str, typer.Option(help="How the console names them.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a console user; the password is asked for (never echoed) or read from stdin."""
    import sys

    from recura.domains.users import service as users

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with unit_of_work(factory) as session:
            user = users.create(session, account, email, name, role, password, SystemClock().now())
    except DomainError as exc:
        raise _fail(exc.detail) from None
    out.print(f"User {user.id} ({user.email}, {user.role}) created.")
    out.print(f"Sign in at {settings.public_url.rstrip('/')}/console")


@users_app.command("list")
def users_list(
    account: Annotated[str | None, typer.Option(help="Only this account (acct_…).")] = None,
) -> None:
    """List console users (never their passwords or secrets)."""
    from recura.domains.users import service as users

    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    with unit_of_work(factory) as session:
        rows = users.listed(session, account)
    table = Table()
    for column in ("id", "account", "email", "name", "role", "totp", "last sign-in"):
        whole = column in {"id", "account", "email"}
        table.add_column(column, no_wrap=whole, overflow="ignore" if whole else "fold")
    for user in rows:
        table.add_row(
            user.id,
            user.account_id,
            user.email,
            user.name,
            user.role,
            "on" if user.totp_enabled_at else "off",
            user.last_sign_in_at.isoformat(timespec="seconds") if user.last_sign_in_at else "",
        )
    _print_table(table)


@emails_app.command("preview")
def emails_preview(
    template: Annotated[
        str | None, typer.Argument(help="Which email (welcome, receipt, ...); omit with --all.")
    ] = None,
    locale: Annotated[
        list[str] | None, typer.Option(help="Language (ro, en); repeat for several.")
    ] = None,
    directory: Annotated[Path, typer.Option("--out", help="Where to write the files.")] = Path(
        "email-preview"
    ),
    all_: Annotated[bool, typer.Option("--all", help="Every email.")] = False,
) -> None:
    """Render emails with sample data to TEMPLATE.LOCALE.html and .txt, to look at."""
    from recura.notifications import rendering, texts

    if all_ == (template is not None):
        raise _fail("name one email, or pass --all")
    names = list(rendering.TEMPLATES) if all_ else [str(template)]
    unknown = [n for n in names if n not in rendering.TEMPLATES]
    if unknown:
        raise _fail(f"no email named {unknown[0]!r}; one of: {', '.join(rendering.TEMPLATES)}")
    locales = locale or ["ro"]
    bad = [loc for loc in locales if loc not in texts.LOCALES]
    if bad:
        raise _fail(f"no {bad[0]!r} texts; one of: {', '.join(texts.LOCALES)}")
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        for loc in locales:
            rendered = rendering.sample(name, loc)
            html = directory / f"{name}.{loc}.html"
            text = directory / f"{name}.{loc}.txt"
            html.write_text(rendered.html, encoding="utf-8")
            text.write_text(f"Subject: {rendered.subject}\n\n{rendered.text}", encoding="utf-8")
            out.print(f"{name} ({loc}): {rendered.subject} -> {html}, {text}")


if __name__ == "__main__":
    app()
