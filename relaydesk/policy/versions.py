"""Policy versions: loading a file creates a version (who, when, diff); rollback is one step.

Every version ever loaded is kept, so a decision's ``policy_hash`` always names the exact rules
that made it. Which version serves traffic is the latest activation; a rollback is a new
activation of an older version, so the history of what served when is never rewritten.
A file that does not compile is refused before anything is written: the running policy stays.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaydesk.db import Database
from relaydesk.errors import Conflict, NotFound
from relaydesk.policy.check import check_policy
from relaydesk.policy.compile import PolicyInvalid, compile_policy, policy_hash
from relaydesk.policy.models import PolicyActivation, PolicyVersion


@dataclass(frozen=True)
class Loaded:
    version: PolicyVersion
    created: bool  # False: this exact file was loaded before, and is re-activated
    activated: bool  # False: it was already the active version


def active(session: Session) -> tuple[PolicyVersion, PolicyActivation] | None:
    row = session.execute(
        select(PolicyVersion, PolicyActivation)
        .join(PolicyActivation, PolicyActivation.version_id == PolicyVersion.id)
        .order_by(PolicyActivation.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def _diff(before: PolicyVersion | None, source: str, label: str) -> str:
    if before is None:
        return ""
    lines = difflib.unified_diff(
        before.source.splitlines(keepends=True),
        source.splitlines(keepends=True),
        fromfile=f"{before.name} {before.label} (#{before.id})",
        tofile=f"new {label}",
    )
    return "".join(lines)


def store_version(
    session: Session, source: str, by: str, categories: Collection[str] | None = None
) -> PolicyVersion:
    """Check (raises ``PolicyInvalid`` on any error ``relaydesk policy check`` reports: dead
    rules and conflicts too) and store, without activating (a pilot's candidate). With
    ``categories``, thresholds for categories that do not exist are errors as well. The same
    file stored twice is one version."""
    errors = tuple(p for p in check_policy(source, categories) if p.severity == "error")
    if errors:
        raise PolicyInvalid(errors)
    policy = compile_policy(source)
    existing = session.scalar(select(PolicyVersion).where(PolicyVersion.hash == policy.hash))
    if existing is not None:
        return existing
    current = active(session)
    version = PolicyVersion(
        name=policy.name,
        label=policy.version,
        hash=policy.hash,
        source=source,
        diff=_diff(current[0] if current else None, source, policy.version),
        created_by=by,
    )
    session.add(version)
    session.flush()
    return version


def load_version(
    session: Session,
    source: str,
    by: str,
    reason: str = "load",
    categories: Collection[str] | None = None,
) -> Loaded:
    """Store if new (see ``store_version``) and make it the active version."""
    current = active(session)
    known = session.scalar(
        select(PolicyVersion.id).where(PolicyVersion.hash == policy_hash(source))
    )
    version = store_version(session, source, by, categories)
    if current is not None and current[0].id == version.id:
        return Loaded(version, created=False, activated=False)
    session.add(PolicyActivation(version_id=version.id, activated_by=by, reason=reason))
    session.flush()
    return Loaded(version, created=known is None, activated=True)


def rollback(session: Session, by: str, to: int | None = None) -> PolicyVersion:
    """Re-activate version ``to``, or the version that served before the current one."""
    current = active(session)
    if current is None:
        raise NotFound("no policy has been loaded yet")
    if to is None:
        earlier = session.scalar(
            select(PolicyActivation)
            .where(PolicyActivation.version_id != current[0].id)
            .order_by(PolicyActivation.id.desc())
            .limit(1)
        )
        if earlier is None:
            raise Conflict(f"version {current[0].id} is the only one that has served")
        to = earlier.version_id
    target = session.get(PolicyVersion, to)
    if target is None:
        raise NotFound(f"policy version {to} does not exist")
    if target.id == current[0].id:
        raise Conflict(f"version {to} is already active")
    compile_policy(target.source)  # a version the code can no longer run is not re-activated
    session.add(
        PolicyActivation(
            version_id=target.id, activated_by=by, reason=f"rollback from #{current[0].id}"
        )
    )
    session.flush()
    return target


def history(session: Session) -> list[tuple[PolicyActivation, PolicyVersion]]:
    rows = session.execute(
        select(PolicyActivation, PolicyVersion)
        .join(PolicyVersion, PolicyActivation.version_id == PolicyVersion.id)
        .order_by(PolicyActivation.id.desc())
    ).all()
    return [(row[0], row[1]) for row in rows]


def versions(session: Session) -> list[PolicyVersion]:
    return list(session.scalars(select(PolicyVersion).order_by(PolicyVersion.id.desc())))


def seed(database: Database, policy_file: Path) -> None:
    """A database with no policy yet starts with the configured file as version 1."""
    with database.read() as session:
        if active(session) is not None:
            return
    source = policy_file.read_text(encoding="utf-8")
    try:
        with database.write() as session:
            if active(session) is None:
                load_version(session, source, by="relaydesk (first start)", reason="seed")
    except IntegrityError:
        pass  # another worker seeded the same file at the same moment
