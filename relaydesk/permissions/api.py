"""HTTP routes for delegated grants and approvals.

Grants are issued by the company's backend (an API key) once its customer has agreed; the
token is in the response once and never again. Approvals are decided by a person: through the
API, naming the person (``agent_id``) and echoing the binding they were shown, or with the
workspace's buttons.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from relaydesk.actions.api import RuntimeDep
from relaydesk.deps import ApiKeyDep, DatabaseDep, SettingsDep
from relaydesk.errors import NotFound
from relaydesk.permissions import approvals, grants
from relaydesk.permissions.actors import Actor
from relaydesk.permissions.grants import GrantCreate
from relaydesk.permissions.models import Approval, Grant
from relaydesk.queue.models import Agent
from relaydesk.resolver.types import ActionTaken

router = APIRouter(prefix="/v1", tags=["permissions"])


class GrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    agent_id: str
    agent_name: str | None
    scopes: list[str]
    refund_limit: Decimal
    token_prefix: str
    issued_by: str
    created_at: datetime
    expires_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, grant: Grant) -> GrantRead:
        fields = {c: getattr(grant, c) for c in cls.model_fields if c != "refund_limit"}
        return cls(**fields, refund_limit=Decimal(grant.refund_limit_cents) / 100)


class GrantIssued(BaseModel):
    grant: GrantRead
    token: str  # shown once: only its hash is stored


class ApprovalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    action: str
    arguments: dict[str, Any]
    resource_type: str
    resource_id: str
    conversation_id: str | None
    requested_by: dict[str, Any]
    team: str
    reason: str
    binding: str  # echo it back when deciding: the person approves exactly this
    status: str
    expires_at: datetime
    decided_by: str | None
    executed_run_id: int | None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: Annotated[str, Field(min_length=1, max_length=36)]  # the person deciding
    binding: Annotated[str, Field(min_length=64, max_length=64)]
    arguments: dict[str, Any] | None = None  # if given, must be exactly the bound arguments


@router.post("/grants", status_code=201, response_model=GrantIssued)
def post_grant(
    body: GrantCreate, api_key: ApiKeyDep, database: DatabaseDep, settings: SettingsDep
) -> GrantIssued:
    """Issue a grant for a customer's AI agent. The token is shown here, once."""
    with database.write() as session:
        grant, token = grants.issue(session, settings.secret_key, body, f"api:{api_key.name}")
        return GrantIssued(grant=GrantRead.of(grant), token=token)


@router.get("/grants/{grant_id}", response_model=GrantRead)
def get_grant(grant_id: str, _: ApiKeyDep, database: DatabaseDep) -> GrantRead:
    with database.read() as session:
        return GrantRead.of(grants.get(session, grant_id))


@router.post("/grants/{grant_id}/revoke", response_model=GrantRead)
def revoke_grant(grant_id: str, _: ApiKeyDep, database: DatabaseDep) -> GrantRead:
    """End the grant now: every token of it stops working (idempotent)."""
    with database.write() as session:
        return GrantRead.of(grants.revoke(session, grant_id))


@router.post("/grants/{grant_id}/rotate", response_model=GrantIssued)
def rotate_grant(
    grant_id: str, _: ApiKeyDep, database: DatabaseDep, settings: SettingsDep
) -> GrantIssued:
    """A new token for the grant; the previous one stops working now."""
    with database.write() as session:
        grant, token = grants.rotate(session, settings.secret_key, grant_id)
        return GrantIssued(grant=GrantRead.of(grant), token=token)


@router.get("/approvals", response_model=list[ApprovalRead])
def list_approvals(_: ApiKeyDep, database: DatabaseDep) -> list[ApprovalRead]:
    """Approvals waiting for a person, oldest first."""
    with database.read() as session:
        return [ApprovalRead.model_validate(a) for a in approvals.pending(session)]


@router.get("/approvals/{approval_id}", response_model=ApprovalRead)
def get_approval(approval_id: str, _: ApiKeyDep, database: DatabaseDep) -> ApprovalRead:
    with database.read() as session:
        approval = session.get(Approval, approval_id)
        if approval is None:
            raise NotFound(f"approval {approval_id} does not exist")
        return ApprovalRead.model_validate(approval)


def person(database: DatabaseDep, body: Decision) -> Actor:
    with database.read() as session:
        agent = session.get(Agent, body.agent_id)
    if agent is None:
        raise NotFound(f"agent {body.agent_id} does not exist")
    return Actor.human_agent(agent.id, agent.role, agent.name)


PersonDep = Annotated[Actor, Depends(person)]


@router.post("/approvals/{approval_id}/approve", response_model=ActionTaken)
def approve(
    approval_id: str, body: Decision, approver: PersonDep, runtime: RuntimeDep
) -> ActionTaken:
    """Approve and run the action, as the approving person, exactly once."""
    return runtime.approve(approval_id, approver, body.binding, body.arguments)


@router.post("/approvals/{approval_id}/deny", status_code=204)
def deny(approval_id: str, body: Decision, approver: PersonDep, runtime: RuntimeDep) -> None:
    runtime.deny(approval_id, approver, body.binding)
