"""What a runner gets: the open transaction, who asked, and the checked resource."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from relaydesk.actions.models import ActionRun
from relaydesk.permissions.actors import Actor
from relaydesk.permissions.authz import Resource


@dataclass(frozen=True)
class RunContext:
    session: Session  # the run's own transaction: an effect commits with its evidence
    actor: Actor  # who runs it (after an approval: the person who approved)
    resource: Resource  # as authorized: its owner and amounts came from the system of record
    run: ActionRun
