"""``relaydesk policy …``, ``relaydesk audit …`` and ``relaydesk why``.

Exit codes: 0 done, 1 the command found a problem (an invalid policy, a broken chain),
2 the command was used wrongly (a missing file, a bad option value).
"""

from __future__ import annotations

import getpass
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from relaydesk.cli_options import DbOption, open_database
from relaydesk.errors import RelaydeskError
from relaydesk.policy import pilots, versions
from relaydesk.policy.audit import chain_head, verify_chain
from relaydesk.policy.check import check_policy, format_problems
from relaydesk.policy.compile import PolicyInvalid, compile_policy
from relaydesk.policy.models import DecisionRecord, PolicyVersion
from relaydesk.policy.replay import format_report, replay
from relaydesk.policy.story import decision_story
from relaydesk.settings import Settings
from relaydesk.signals.categories import category_names

policy_app = typer.Typer(help="The routing policy: check, load, roll back, replay, pilot.")
pilot_app = typer.Typer(help="Pilot a candidate policy on a slice of traffic.")
audit_app = typer.Typer(help="The tamper-evident chain of decision records.")
policy_app.add_typer(pilot_app, name="pilot")
console = Console()
err = Console(stderr=True)

ByOption = Annotated[str | None, typer.Option("--by", help="Who is making this change.")]
FileArgument = Annotated[Path, typer.Argument(help="A policy YAML file.")]
_SINCE = re.compile(r"^(\d+)([hdw])$")


def _by(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        err.print(f"[red]error:[/red] cannot read {path}: {error.strerror}")
        raise typer.Exit(2) from error


def _fail(error: RelaydeskError | PolicyInvalid, path: str = "") -> typer.Exit:
    if isinstance(error, PolicyInvalid):
        err.print(format_problems(list(error.problems), path))
        err.print("[red]the running policy is unchanged[/red]")
    else:
        err.print(f"[red]error:[/red] {error.message}")
    return typer.Exit(1)


def parse_since(value: str | None) -> datetime | None:
    """``30d``, ``12h``, ``2w``, or an ISO date/time (UTC if no zone)."""
    if value is None:
        return None
    match = _SINCE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * amount
        return datetime.now(UTC) - timedelta(hours=hours)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use 30d, 12h, 2w or an ISO date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@policy_app.command("check")
def check(
    file: FileArgument,
    categories: Annotated[
        Path | None, typer.Option(help="The categories file; default: RELAYDESK_CATEGORIES_FILE.")
    ] = None,
) -> None:
    """Check a policy file: schema, facts, CEL, dead rules, conflicts, owners."""
    source = _read(file)
    categories_file = categories or Settings().categories_file
    problems = check_policy(source, category_names(categories_file))
    typer.echo(format_problems(problems, str(file)))
    if any(problem.severity == "error" for problem in problems):
        raise typer.Exit(1)


@policy_app.command("load")
def load(file: FileArgument, db: DbOption = None, by: ByOption = None) -> None:
    """Load a policy file as a new version and make it the active one."""
    source = _read(file)
    settings, database = open_database(db)
    try:
        with database.write() as session:
            loaded = versions.load_version(
                session, source, by=_by(by), categories=category_names(settings.categories_file)
            )
            version_id, label = loaded.version.id, loaded.version.label
    except (PolicyInvalid, RelaydeskError) as error:
        raise _fail(error, str(file)) from error
    if not loaded.activated:
        console.print(f"version #{version_id} ({label}) is already active; nothing changed")
    elif loaded.created:
        console.print(f"loaded version #{version_id} ({label}); it serves traffic now")
    else:
        console.print(f"re-activated version #{version_id} ({label}), loaded before")


@policy_app.command("show")
def show(
    db: DbOption = None,
    source: Annotated[bool, typer.Option("--source", help="Print the YAML file.")] = False,
) -> None:
    """The active policy: its version, who loaded it, its rules in precedence order."""
    _, database = open_database(db)
    with database.read() as session:
        current = versions.active(session)
        pilot = pilots.running(session)
    if current is None:
        err.print("no policy loaded yet (`relaydesk policy load FILE`)")
        raise typer.Exit(1)
    version, activation = current
    if source:
        typer.echo(version.source, nl=False)
        return
    policy = compile_policy(version.source)
    console.print(
        f"[bold]{policy.name} {policy.version}[/bold] (#{version.id}, hash {version.hash[:12]}), "
        f"owner {policy.owner}; active since {activation.activated_at:%Y-%m-%d %H:%M} "
        f"by {activation.activated_by} ({activation.reason})"
    )
    table = Table("rule", "owner", "when", "then", "prio")
    for rule in policy.rules:
        then = rule.then.route + (f" → {rule.then.team}" if rule.then.team else "")
        table.add_row(rule.id, rule.owner, " ".join(rule.when.split()), then, str(rule.priority))
    otherwise = policy.otherwise
    table.add_row(otherwise.id, otherwise.owner, "(no rule fired)", otherwise.then.route, "")
    console.print(table)
    if pilot is not None:
        console.print(
            f"pilot #{pilot.id}: version #{pilot.candidate_version_id} on {pilot.share:.0%} "
            "of eligible traffic (`relaydesk policy pilot status`)"
        )


@policy_app.command("history")
def history(db: DbOption = None) -> None:
    """Every activation, newest first."""
    _, database = open_database(db)
    table = Table("when", "version", "label", "hash", "by", "why")
    with database.read() as session:
        for activation, version in versions.history(session):
            table.add_row(
                f"{activation.activated_at:%Y-%m-%d %H:%M:%S}",
                f"#{version.id}",
                version.label,
                version.hash[:12],
                activation.activated_by,
                activation.reason,
            )
    console.print(table)


@policy_app.command("diff")
def diff(version_id: int, db: DbOption = None) -> None:
    """What version N changed against the version active when it was loaded."""
    _, database = open_database(db)
    with database.read() as session:
        version = session.get(PolicyVersion, version_id)
        text = version.diff if version else None
    if text is None:
        err.print(f"[red]error:[/red] policy version {version_id} does not exist")
        raise typer.Exit(1)
    typer.echo(text or "(the first version: nothing to compare with)")


@policy_app.command("rollback")
def rollback(
    db: DbOption = None,
    by: ByOption = None,
    to: Annotated[int | None, typer.Option(help="A version id; default: the previous one.")] = None,
) -> None:
    """Re-activate the version that served before the current one (or --to N)."""
    _, database = open_database(db)
    try:
        with database.write() as session:
            version = versions.rollback(session, by=_by(by), to=to)
            console.print(f"rolled back to version #{version.id} ({version.label})")
    except (PolicyInvalid, RelaydeskError) as error:
        raise _fail(error) from error


@policy_app.command("replay")
def replay_command(
    candidate: Annotated[Path, typer.Option(help="The candidate policy file.")],
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="30d, 12h, 2w or an ISO date.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 2,
    examples: Annotated[int, typer.Option(min=0, max=50, help="Examples per change.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """What the candidate would have decided on stored traffic, against what was decided."""
    source = _read(candidate)
    settings, database = open_database(db)
    start = parse_since(since)
    try:
        compile_policy(source)
    except PolicyInvalid as error:
        raise _fail(error, str(candidate)) from error
    with database.read() as session:
        query = select(func.count()).select_from(DecisionRecord)
        if start is not None:
            query = query.where(DecisionRecord.created_at >= start)
        total = session.scalar(query) or 0
    database.dispose()
    with Progress(
        "replaying", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("replay", total=total)
        report = replay(
            settings.database_url,
            source,
            since=start,
            workers=workers,
            examples=examples,
            progress=lambda done: progress.update(task, completed=done),  # a running total
        )
    typer.echo(report.model_dump_json(indent=2) if as_json else format_report(report))


@pilot_app.command("start")
def pilot_start(
    candidate: Annotated[Path, typer.Option(help="The candidate policy file.")],
    share: Annotated[float, typer.Option(help="Share of eligible traffic, e.g. 0.1.")],
    channel: Annotated[list[str] | None, typer.Option(help="Only this channel (repeat).")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only this category (repeat).")] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Store the candidate as a version (not active) and let it serve a slice of traffic."""
    source = _read(candidate)
    settings, database = open_database(db)
    try:
        with database.write() as session:
            names = category_names(settings.categories_file)
            version = versions.store_version(session, source, by=_by(by), categories=names)
            pilot = pilots.start(
                session, version.id, share, by=_by(by), channels=channel, categories=category
            )
            console.print(
                f"pilot #{pilot.id}: version #{version.id} ({version.label}) serves {share:.0%} "
                f"of eligible conversations; {settings.pilot_holdout_share:.0%} are held out"
            )
    except (PolicyInvalid, RelaydeskError) as error:
        raise _fail(error, str(candidate)) from error


@pilot_app.command("stop")
def pilot_stop(db: DbOption = None, by: ByOption = None) -> None:
    """Stop the running pilot. Its decisions keep their arm for the report."""
    _, database = open_database(db)
    try:
        with database.write() as session:
            pilot = pilots.stop(session, by=_by(by))
            console.print(f"pilot #{pilot.id} stopped")
    except RelaydeskError as error:
        raise _fail(error) from error


@pilot_app.command("status")
def pilot_status(db: DbOption = None) -> None:
    """The running pilot and its results per arm so far."""
    _, database = open_database(db)
    with database.read() as session:
        pilot = pilots.running(session)
        if pilot is None:
            err.print("no pilot is running")
            raise typer.Exit(1)
        arms = pilots.results(session, pilot)
    console.print(
        f"pilot #{pilot.id}: version #{pilot.candidate_version_id} on {pilot.share:.0%}, "
        f"since {pilot.started_at:%Y-%m-%d %H:%M} by {pilot.started_by}"
    )
    table = Table("arm", "policy", "decisions", "to a person", "recontacted", "CSAT")
    for arm in arms:
        csat = f"{arm.csat_mean:.2f}" if arm.csat_mean is not None else "-"
        table.add_row(
            arm.arm,
            arm.policy_version,
            str(arm.decisions),
            f"{arm.to_person} ({arm.handoff_rate:.0%})",
            str(arm.recontacted),
            csat,
        )
    console.print(table)


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    expect: Annotated[
        str | None, typer.Option(help="An anchor SEQ:HASH saved earlier by `audit head`.")
    ] = None,
) -> None:
    """Check every decision record against the hash chain and its head."""
    anchor: tuple[int, str] | None = None
    if expect is not None:
        seq, _, digest = expect.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise typer.BadParameter("use SEQ:HASH as printed by `relaydesk audit head`")
        anchor = (int(seq), digest)
    _, database = open_database(db)
    with database.read() as session:
        total = session.scalar(select(func.count()).select_from(DecisionRecord)) or 0
    with Progress(
        "verifying", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("verify", total=total)
        report = verify_chain(
            database, expect=anchor, progress=lambda done: progress.update(task, advance=done)
        )
    typer.echo(report.format())
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("head")
def audit_head(db: DbOption = None) -> None:
    """Print the chain's head as SEQ:HASH: store it elsewhere, verify against it later."""
    _, database = open_database(db)
    seq, digest = chain_head(database)
    typer.echo(f"{seq}:{digest}")


def why(message_id: int, db: DbOption = None) -> None:
    """The story of one decision: signals, AI attempt, rules and why, what was sent, outcomes."""
    _, database = open_database(db)
    try:
        with database.read() as session:
            story = decision_story(session, message_id)
    except RelaydeskError as error:
        raise _fail(error) from error
    typer.echo(story)
