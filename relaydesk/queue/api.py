"""HTTP routes of the human queue (``/v1``): agents, claims, and what an owner does.

Every write by an owner carries the ``fencing_token`` of their claim. A write with a token
that is not the conversation's active claim (someone else owns it, or it was released) is
refused with 409, naming the owner, and nothing is written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from relaydesk.db import Database, utcnow
from relaydesk.deps import ApiKeyDep, DatabaseDep, PartsDep
from relaydesk.pipeline import Parts
from relaydesk.queue import agents, claims, work
from relaydesk.queue.agents import AgentIn
from relaydesk.queue.inbox import inbox
from relaydesk.queue.models import Agent, AgentStatus, Claim
from relaydesk.queue.schemas import (
    AgentOut,
    AgentPatch,
    ClaimIn,
    ClaimNextIn,
    ClaimOut,
    EventOut,
    FlagIn,
    InboxItem,
    NoteIn,
    ReassignIn,
    ReplyIn,
    TokenIn,
    TransferIn,
)
from relaydesk.queue.wait import WaitEstimate, wait_estimates

router = APIRouter(prefix="/v1", tags=["queue"])


def agent_out(agent: Agent) -> AgentOut:
    return AgentOut.model_validate(agent).model_copy(
        update={"can_sign_in": agent.password_hash is not None}
    )


def auto_assign(database: Database, parts: Parts) -> list[Claim]:
    """Let the teams that assign automatically take what is waiting."""
    auto = [team.name for team in parts.teams.teams if team.assignment == "auto"]
    return claims.assign_waiting(database, auto)


@router.post("/agents", status_code=201, response_model=AgentOut)
def post_agent(body: AgentIn, _: ApiKeyDep, database: DatabaseDep) -> AgentOut:
    """Add a person. With a password they can sign in to the workspace at ``/workspace``."""
    return agent_out(agents.create_agent(database, body))


@router.get("/agents", response_model=list[AgentOut])
def get_agents(_: ApiKeyDep, database: DatabaseDep) -> list[AgentOut]:
    with database.read() as session:
        return [agent_out(agent) for agent in agents.list_agents(session)]


@router.patch("/agents/{agent_id}", response_model=AgentOut)
def patch_agent(
    agent_id: str, body: AgentPatch, _: ApiKeyDep, database: DatabaseDep, parts: PartsDep
) -> AgentOut:
    """Set an agent available, away or offline. An agent coming back takes auto-assigned work."""
    agent = agents.set_status(database, agent_id, body.status)
    if body.status == AgentStatus.AVAILABLE:
        auto_assign(database, parts)
    return agent_out(agent)


@router.get("/queue", response_model=list[InboxItem])
def get_queue(
    _: ApiKeyDep,
    database: DatabaseDep,
    parts: PartsDep,
    team: Annotated[list[str] | None, Query()] = None,
) -> list[InboxItem]:
    """Waiting conversations first, in the order they will be claimed; then owned ones."""
    now = utcnow()
    with database.read() as session:
        rows = inbox(session, parts.teams, team)
    return [
        InboxItem(
            **row.model_dump(include=set(InboxItem.model_fields)),
            sla_state=row.sla_state(now),
            sla_seconds_left=row.sla_seconds_left(now),
        )
        for row in rows
    ]


@router.get("/queue/wait", response_model=dict[str, WaitEstimate])
def get_wait(_: ApiKeyDep, database: DatabaseDep, parts: PartsDep) -> dict[str, WaitEstimate]:
    """The wait a customer handed over now would be told, for every team."""
    with database.read() as session:
        return wait_estimates(
            session, parts.teams, parts.routed_teams(), utcnow().astimezone(parts.timezone)
        )


@router.post("/queue/claim", response_model=ClaimOut)
def post_claim_next(body: ClaimNextIn, _: ApiKeyDep, database: DatabaseDep) -> Response | Claim:
    """Claim the next waiting conversation of the agent's teams; 204 when there is none or the
    agent is at capacity."""
    claim = claims.claim_next(database, body.agent_id, body.teams)
    return Response(status_code=204) if claim is None else claim


@router.post("/conversations/{conversation_id}/claim", response_model=ClaimOut)
def post_claim(conversation_id: str, body: ClaimIn, _: ApiKeyDep, database: DatabaseDep) -> Claim:
    """Claim this conversation; 409 naming the owner if someone has it."""
    return claims.claim(database, body.agent_id, conversation_id)


@router.post("/conversations/{conversation_id}/reply", status_code=201, response_model=EventOut)
def post_reply(
    conversation_id: str, body: ReplyIn, _: ApiKeyDep, database: DatabaseDep
) -> EventOut:
    """The owner's reply to the customer; 409 if the token is not the active claim's."""
    event = work.reply(database, conversation_id, body.fencing_token, body.text)
    return EventOut.model_validate(event)


@router.post("/conversations/{conversation_id}/notes", status_code=201, response_model=EventOut)
def post_note(conversation_id: str, body: NoteIn, _: ApiKeyDep, database: DatabaseDep) -> EventOut:
    """An internal note, never shown to the customer."""
    return EventOut.model_validate(work.note(database, conversation_id, body.agent_id, body.text))


@router.post("/conversations/{conversation_id}/release", response_model=ClaimOut)
def post_release(
    conversation_id: str, body: TokenIn, _: ApiKeyDep, database: DatabaseDep, parts: PartsDep
) -> Claim:
    """Give the conversation back to its team's queue."""
    ended = claims.release(database, conversation_id, body.fencing_token)
    auto_assign(database, parts)
    return ended


@router.post("/conversations/{conversation_id}/transfer", response_model=ClaimOut)
def post_transfer(
    conversation_id: str, body: TransferIn, _: ApiKeyDep, database: DatabaseDep, parts: PartsDep
) -> Claim:
    """Put the conversation in another team's queue."""
    ended = claims.transfer(database, conversation_id, body.fencing_token, body.team)
    auto_assign(database, parts)
    return ended


@router.post("/conversations/{conversation_id}/hand-back", response_model=ClaimOut)
def post_hand_back(
    conversation_id: str, body: TokenIn, _: ApiKeyDep, database: DatabaseDep, parts: PartsDep
) -> Claim:
    """End the claim; the AI answers the customer's next message again."""
    ended = claims.hand_back_to_ai(database, conversation_id, body.fencing_token)
    auto_assign(database, parts)
    return ended


@router.post("/conversations/{conversation_id}/close", response_model=ClaimOut)
def post_close(
    conversation_id: str, body: TokenIn, _: ApiKeyDep, database: DatabaseDep, parts: PartsDep
) -> Claim:
    """The owner resolves the conversation and ends their claim."""
    ended = claims.resolve(database, conversation_id, body.fencing_token)
    auto_assign(database, parts)
    return ended


@router.post("/conversations/{conversation_id}/reassign", response_model=ClaimOut)
def post_reassign(
    conversation_id: str, body: ReassignIn, _: ApiKeyDep, database: DatabaseDep
) -> Claim:
    """Move an owned conversation to another agent (the owner with their token, or an admin)."""
    return claims.reassign(
        database, conversation_id, body.to_agent_id, body.by_agent_id, body.fencing_token
    )


@router.post("/messages/{message_id}/flag", status_code=201, response_model=EventOut)
def post_flag(message_id: int, body: FlagIn, _: ApiKeyDep, database: DatabaseDep) -> EventOut:
    """Mark an AI answer as wrong, with a reason (kept for the quality loop)."""
    return EventOut.model_validate(
        work.flag_ai_answer(database, message_id, body.agent_id, body.reason)
    )
