"""``relaydesk authz check FILE``: is this Cedar policy file safe to load?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from relaydesk.permissions.authz import DEFAULT_POLICIES, SCHEMA_FILE, validate_source

authz_app = typer.Typer(help="Authorization policies (Cedar) for actions.")


@authz_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The Cedar policy file.")] = DEFAULT_POLICIES,
    schema: Annotated[Path, typer.Option(help="The Cedar schema to validate against.")] = (
        SCHEMA_FILE
    ),
) -> None:
    """Parse FILE and validate it against the schema; exit 1 on any problem."""
    try:
        source = file.read_text("utf-8")
    except OSError as error:
        typer.echo(f"{file}: error: {error.strerror}", err=True)
        raise typer.Exit(1) from None
    problems = validate_source(source, schema.read_text("utf-8"))
    for problem in problems:
        typer.echo(f"{file}: error: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{file}: ok (valid against {schema.name})")
