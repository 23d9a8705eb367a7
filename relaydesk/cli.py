"""The ``relaydesk`` command line: serve, migrate, manage API keys, and ask the path directly."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from relaydesk.app import create_app
from relaydesk.capacity.commands import capacity_app
from relaydesk.cli_options import DbOption, open_database, settings_for
from relaydesk.conversations.results import message_result
from relaydesk.conversations.schemas import CustomerIn, MessageCreate, MessageResult
from relaydesk.conversations.service import Inbound, handle_message, resume_pending
from relaydesk.db import Database
from relaydesk.demo.loader import DEMO_KEY_NAME, load_demo, rotate_demo_key, rotate_demo_password
from relaydesk.errors import RelaydeskError
from relaydesk.eval_commands import eval_app
from relaydesk.knowledge.commands import kb_app
from relaydesk.permissions import api_keys
from relaydesk.permissions.commands import authz_app
from relaydesk.policy.commands import audit_app, policy_app, why
from relaydesk.queue.commands import agent_app
from relaydesk.signals.classifier import train
from relaydesk.startup import load_parts

app = typer.Typer(help="Relaydesk: AI and people working together on customer support.")
db_app = typer.Typer(help="Database migrations.")
apikey_app = typer.Typer(help="API keys for service callers.")
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
app.add_typer(capacity_app, name="capacity")
app.add_typer(agent_app, name="agent")
app.add_typer(eval_app, name="eval")
app.add_typer(kb_app, name="kb")
app.add_typer(authz_app, name="authz")
app.command()(why)
app.command()(train)
console = Console()


@app.callback()
def _logging(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=Console(stderr=True), show_path=False)],
    )
    for chatty in ("alembic", "bm25s"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo shop first.")] = False,
) -> None:
    """Run the HTTP API."""
    settings = settings_for(db)
    if demo:
        database = Database(settings.database_url)
        database.upgrade()
        _load_demo(database, host, port)
        database.dispose()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _load_demo(database: Database, host: str, port: int) -> None:
    counts = load_demo(database)
    key = rotate_demo_key(database)
    password = rotate_demo_password(database)
    base = f"http://{host}:{port}"
    console.print(
        f"[bold]Demo shop loaded[/bold]: {counts['customers']} customers, "
        f"{counts['agents']} support agents.\n"
        f"Customer chat: [bold]{base}/demo[/bold]\n"
        f"Agent workspace: [bold]{base}/workspace[/bold] — sign in as ava@stride.example "
        f"(or rosa@stride.example, an admin) with the password [bold]{password}[/bold]\n"
        f"API key [bold]{DEMO_KEY_NAME}[/bold] (key and password are new on every demo start):"
        f"\n  {key}\n"
        "Try:\n"
        f"  curl -s http://{host}:{port}/v1/messages -H 'Authorization: Bearer {key}' \\\n"
        "    -H 'Content-Type: application/json' \\\n"
        """    -d '{"channel": "web", "text": "How do I reset my password?"}'\n"""
    )


@app.command()
def demo(db: DbOption = None) -> None:
    """Load the demo shop's customers into the database (idempotent)."""
    _, database = open_database(db)
    counts = load_demo(database)
    console.print(f"demo loaded: {counts}")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply every migration to the database."""
    settings, _ = open_database(db)
    console.print(f"database at head: {settings.database_url}")


@apikey_app.command("create")
def apikey_create(name: str, db: DbOption = None) -> None:
    """Create an API key; its value is printed once and never stored."""
    _, database = open_database(db)
    try:
        with database.write() as session:
            _, plaintext = api_keys.create_key(session, name)
    except RelaydeskError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(1) from error
    console.print(f"API key [bold]{name}[/bold] (shown once, store it now):")
    typer.echo(plaintext)


@apikey_app.command("list")
def apikey_list(db: DbOption = None) -> None:
    """List API keys (names and prefixes only)."""
    _, database = open_database(db)
    table = Table("name", "prefix", "created", "revoked")
    with database.read() as session:
        for key in api_keys.list_keys(session):
            revoked = key.revoked_at.isoformat() if key.revoked_at else ""
            table.add_row(key.name, key.prefix + "…", key.created_at.isoformat(), revoked)
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(name: str, db: DbOption = None) -> None:
    """Revoke an API key by name."""
    _, database = open_database(db)
    try:
        with database.write() as session:
            api_keys.revoke_key(session, name)
    except RelaydeskError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(1) from error
    console.print(f"revoked {name}")


@app.command()
def ask(
    text: str,
    db: DbOption = None,
    conversation: Annotated[str | None, typer.Option(help="Continue this conversation.")] = None,
    email: Annotated[str | None, typer.Option(help="The customer's email.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run the message path on one message (stored, channel 'cli') and print the decision."""
    settings, database = open_database(db)
    try:
        message = MessageCreate(
            channel="cli", conversation_id=conversation, text=text, customer=CustomerIn(email=email)
        )
        stored = handle_message(database, load_parts(settings, database), Inbound(message))
        with database.read() as session:
            result = message_result(session, stored.message_id, replayed=False)
    except (RelaydeskError, ValueError) as error:
        console.print(f"[red]error:[/red] {getattr(error, 'message', error)}")
        raise typer.Exit(2) from error
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _print_result(result)


def _print_result(result: MessageResult) -> None:
    decision = result.decision
    console.print(
        f"[bold]route[/bold]: {decision.route}  team: {decision.team or '-'}  "
        f"priority: {decision.priority}  policy: {decision.policy_name}@"
        f"{decision.policy_version}"
    )
    for rule in decision.matched_rules:
        console.print(f"  • [cyan]{rule['id']}[/cyan] ({rule['owner']}): {rule['reason']}")
    if result.reply is not None:
        console.print(f"\n[bold]reply[/bold]: {result.reply.text}")
        for citation in result.reply.citations:
            console.print(f"  source: {citation['title']} — {citation['url']}")
    if result.handoff is not None:
        console.print(f"\n[bold]handoff[/bold]: {result.handoff.text}")
    console.print(f"\nconversation {result.conversation_id}, message {result.message_id}")


@app.command()
def resume(db: DbOption = None) -> None:
    """Decide every stored message that has no decision yet (after a crash)."""
    settings, database = open_database(db)
    count = resume_pending(database, load_parts(settings, database))
    console.print(json.dumps({"resumed": count}))
