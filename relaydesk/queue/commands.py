"""``relaydesk agent``: the people who sign in to the workspace, from the command line.

The first admin of a fresh install is made here (the API needs a key, the workspace a
person). A password is generated and printed once; only its scrypt hash is stored.
"""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from relaydesk.cli_options import DbOption, open_database
from relaydesk.errors import NotFound, RelaydeskError
from relaydesk.queue import agents
from relaydesk.queue.agents import AgentIn
from relaydesk.queue.models import Agent, AgentRole

agent_app = typer.Typer(help="People who take conversations and sign in to the workspace.")
console = Console()


def new_password() -> str:
    return "-".join(secrets.token_urlsafe(5) for _ in range(3))


@agent_app.command("add")
def add(
    name: str,
    email: str,
    role: Annotated[AgentRole, typer.Option(help="What they may do in the workspace.")] = (
        AgentRole.AGENT
    ),
    team: Annotated[list[str] | None, typer.Option(help="A team they work in (repeat).")] = None,
    capacity: Annotated[int, typer.Option(help="Conversations at once.")] = 3,
    db: DbOption = None,
) -> None:
    """Add a person; prints a generated password for the workspace, once."""
    _, database = open_database(db)
    password = new_password()
    try:
        given = AgentIn(
            name=name, email=email, role=role, teams=team or [], capacity=capacity,
            password=password,
        )  # fmt: skip
        agent = agents.create_agent(database, given)
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        console.print(f"[red]error:[/red] {problems}")
        raise typer.Exit(1) from None
    except RelaydeskError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(1) from error
    console.print(f"{agent.name} <{agent.email}> ({agent.role}); password, shown once:")
    typer.echo(password)


@agent_app.command("password")
def password(email: str, db: DbOption = None) -> None:
    """Give a person a new generated password (the old one stops working)."""
    _, database = open_database(db)
    with database.read() as session:
        agent = session.scalars(select(Agent).where(Agent.email == email.lower())).first()
    if agent is None:
        console.print(f"[red]error:[/red] {NotFound(f'no agent with email {email}').message}")
        raise typer.Exit(1)
    fresh = new_password()
    agents.set_password(database, agent.id, fresh)
    console.print(f"new password for {agent.email}, shown once:")
    typer.echo(fresh)


@agent_app.command("list")
def list_agents(db: DbOption = None) -> None:
    """Everyone, with role, teams, capacity and status."""
    _, database = open_database(db)
    table = Table("name", "email", "role", "teams", "capacity", "status", "can sign in")
    with database.read() as session:
        for agent in agents.list_agents(session):
            table.add_row(
                agent.name, agent.email, agent.role, ", ".join(agent.teams or []),
                str(agent.capacity), agent.status, "yes" if agent.password_hash else "no",
            )  # fmt: skip
    console.print(table)
