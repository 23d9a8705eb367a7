"""Storing a message before anything else, running the path, and recording what it decided.

    ingest  ── one transaction: customer, conversation, the message (and its idempotency key)
    run     ── the pure message path (relaydesk.pipeline), outside any transaction
    record  ── one transaction: the decision, the reply or handoff, the conversation's status

A retry (same Idempotency-Key, or same channel + external_id) gets the first result back and
stores nothing new. A message stored but not yet decided (a crash between the two
transactions) is picked up again by ``resume_pending`` or by the next retry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaydesk.conversations import repository
from relaydesk.conversations.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Event,
    EventKind,
    IdempotencyKey,
    Source,
)
from relaydesk.conversations.schemas import CustomerIn, MessageCreate
from relaydesk.conversations.status import change_status
from relaydesk.conversations.turn import CustomerContext, HistoryEntry, Turn
from relaydesk.conversations.vectors import keep_vector, recall_vectors
from relaydesk.db import Database, utcnow
from relaydesk.errors import Conflict, NotFound, Unprocessable
from relaydesk.permissions.actors import Actor
from relaydesk.pipeline import Outcome, Parts, run
from relaydesk.policy import outcomes
from relaydesk.policy.records import append_record
from relaydesk.queue.claims import assign_waiting
from relaydesk.queue.models import Claim
from relaydesk.queue.wait import wait_estimates

INGEST_ATTEMPTS = 3
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Inbound:
    message: MessageCreate
    api_key_id: str | None = None  # scopes the Idempotency-Key (a delegated agent's: its grant)
    idempotency_key: str | None = None
    # Who wrote it when not the customer in person: a delegated agent, from its grant token.
    # It acts for its grant's customer only; the message says nothing about who the customer is.
    actor: Actor | None = None


@dataclass(frozen=True)
class Stored:
    message_id: int
    created: bool


def handle_message(db: Database, parts: Parts, inbound: Inbound, wait: float = 10.0) -> Stored:
    """Store, decide, record. Returns the message id; read the result with ``message_result``."""
    stored = ingest(db, inbound)
    if stored.created:
        process(db, parts, stored.message_id)
    else:
        await_decision(db, parts, stored.message_id, wait)
    return stored


def ingest(db: Database, inbound: Inbound) -> Stored:
    for _ in range(INGEST_ATTEMPTS):
        try:
            with db.write() as session:
                return _ingest_once(session, inbound)
        except IntegrityError:
            # A concurrent request stored the same customer, key or external id first; the
            # next attempt finds it.
            continue
    raise Conflict("the message could not be stored under concurrent retries; retry it")


def _ingest_once(session: Session, inbound: Inbound) -> Stored:
    fingerprint = inbound.message.fingerprint()
    earlier = _earlier_delivery(session, inbound, fingerprint)
    if earlier is not None:
        return Stored(earlier, created=False)
    message = inbound.message
    conversation = _conversation_for(session, message, inbound.actor)
    event = Event(
        conversation_id=conversation.id,
        kind=EventKind.MESSAGE_IN,
        source=inbound.actor.source if inbound.actor else Source.CUSTOMER,
        actor=inbound.actor.label if inbound.actor else None,
        text=message.text,
        channel=message.channel,
        external_id=message.external_id,
        payload={"request_hash": fingerprint, **_actor_payload(inbound.actor)},
    )
    session.add(event)
    session.flush()
    if inbound.idempotency_key is not None and inbound.api_key_id is not None:
        session.add(
            IdempotencyKey(
                api_key_id=inbound.api_key_id,
                key=inbound.idempotency_key,
                request_hash=fingerprint,
                message_id=event.id,
            )
        )
    conversation.updated_at = utcnow()
    session.flush()
    return Stored(event.id, created=True)


def _earlier_delivery(session: Session, inbound: Inbound, fingerprint: str) -> int | None:
    """The message id of an earlier delivery of this request, checking it is the same one."""
    if inbound.idempotency_key is not None and inbound.api_key_id is not None:
        key = repository.find_idempotency_key(session, inbound.api_key_id, inbound.idempotency_key)
        if key is not None:
            if key.request_hash != fingerprint:
                raise Unprocessable(
                    "this Idempotency-Key was already used with a different request body"
                )
            return key.message_id
    message = inbound.message
    if message.external_id is not None:
        event = repository.find_message(session, message.channel, message.external_id)
        if event is not None:
            if event.payload.get("request_hash") != fingerprint:
                raise Unprocessable(
                    f"external_id {message.external_id!r} on channel {message.channel!r} "
                    "was already used for a different message"
                )
            return event.id
    return None


def _actor_payload(actor: Actor | None) -> dict[str, object]:
    """The actor as ``build_turn`` reads it back, and its chain (RFC 8693 ``act`` shape)."""
    if actor is None:
        return {}
    return {"actor": actor.model_dump(mode="json"), "chain": actor.chain()}


def _conversation_for(
    session: Session, message: MessageCreate, actor: Actor | None = None
) -> Conversation:
    if actor is not None and actor.on_behalf_of is not None:
        return _conversation_of(session, actor.on_behalf_of, message)
    if message.conversation_id is None:
        customer = _upsert_customer(session, message.customer)
        conversation = Conversation(customer_id=customer.id, channel=message.channel)
        session.add(conversation)
        session.flush()
        outcomes.on_conversation_started(session, customer.id, conversation.id, utcnow())
        return conversation
    existing = session.get(Conversation, message.conversation_id, with_for_update=True)
    if existing is None:
        raise NotFound(f"conversation {message.conversation_id} does not exist")
    _check_same_customer(session, existing, message.customer)
    conversation = existing
    if conversation.status == ConversationStatus.RESOLVED:
        change_status(session, conversation, ConversationStatus.OPEN, "customer wrote again")
    return conversation


def _conversation_of(session: Session, customer_id: str, message: MessageCreate) -> Conversation:
    """An actor for one customer writes in that customer's conversations only; any other
    is reported as missing, so nothing about it is revealed."""
    if message.conversation_id is None:
        conversation = Conversation(customer_id=customer_id, channel=message.channel)
        session.add(conversation)
        session.flush()
        outcomes.on_conversation_started(session, customer_id, conversation.id, utcnow())
        return conversation
    existing = session.get(Conversation, message.conversation_id, with_for_update=True)
    if existing is None or existing.customer_id != customer_id:
        raise NotFound(f"conversation {message.conversation_id} does not exist")
    if existing.status == ConversationStatus.RESOLVED:
        change_status(session, existing, ConversationStatus.OPEN, f"{message.channel} wrote again")
    return existing


def _check_same_customer(session: Session, conversation: Conversation, given: CustomerIn) -> None:
    if given.id is None and given.email is None:
        return
    owner = session.get(Customer, conversation.customer_id)
    assert owner is not None
    if (given.id is not None and given.id != owner.external_id) or (
        given.email is not None and given.email.lower() != owner.email
    ):
        raise Unprocessable(
            f"conversation {conversation.id} belongs to another customer than the one given"
        )


def _upsert_customer(session: Session, given: CustomerIn) -> Customer:
    email = given.email.lower() if given.email else None
    customer = repository.find_customer(session, given.id, email)
    if customer is None:
        customer = Customer(external_id=given.id, email=email)
        session.add(customer)
    for field in ("name", "tier"):
        if getattr(given, field) is not None:
            setattr(customer, field, getattr(given, field))
    if given.attributes:
        customer.attributes = {**(customer.attributes or {}), **given.attributes}
    customer.updated_at = utcnow()
    session.flush()
    return customer


def resolve_conversation(db: Database, conversation_id: str, actor: str) -> Conversation:
    """Mark a conversation resolved (the customer said it was solved, or the helpdesk closed
    it). If no person ever had it, its last decision is marked resolved by the AI."""
    with db.write() as session:
        conversation = session.get(Conversation, conversation_id, with_for_update=True)
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        if conversation.status != ConversationStatus.RESOLVED:
            _end_active_claim(session, conversation, actor)
            change_status(session, conversation, ConversationStatus.RESOLVED, f"by {actor}")
            conversation.updated_at = utcnow()
            outcomes.on_conversation_resolved(session, conversation.id, actor)
        session.flush()
        session.expunge(conversation)
        return conversation


def _end_active_claim(session: Session, conversation: Conversation, actor: str) -> None:
    """Resolving from outside the workspace (the customer, a helpdesk) ends a person's claim:
    a resolved conversation is owned by nobody."""
    claim = session.scalars(
        select(Claim).where(Claim.conversation_id == conversation.id, Claim.released_at.is_(None))
    ).first()
    if claim is None:
        return
    claim.released_at = utcnow()
    claim.reason = "resolved"
    session.add(
        Event(
            conversation_id=conversation.id,
            kind=EventKind.ASSIGNMENT,
            source=Source.SYSTEM,
            actor=actor,
            payload={"action": "resolved", "agent_id": claim.agent_id, "claim_id": claim.id},
        )
    )


def process(db: Database, parts: Parts, message_id: int) -> None:
    with db.read() as session:
        turn = build_turn(session, message_id, parts)
    outcome = run(turn, parts)
    try:
        with db.write() as session:
            record(session, message_id, outcome)
            keep_vector(session, message_id, turn.text, parts.knowledge.embedder)
    except IntegrityError:
        # Another worker recorded this message's decision first; theirs stands.
        return
    if outcome.handoff is not None and outcome.handoff.team is not None:
        team = parts.teams.get(outcome.handoff.team)
        if team.assignment == "auto":
            assign_waiting(db, [team.name])


def build_turn(session: Session, message_id: int, parts: Parts) -> Turn:
    message = session.get(Event, message_id)
    if message is None or message.kind != EventKind.MESSAGE_IN:
        raise NotFound(f"message {message_id} does not exist")
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation is not None
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    recent, still_open = repository.recent_conversations(
        session, customer.id, conversation.id, utcnow() - repository.RECONTACT_WINDOW
    )
    history = repository.transcript_before(session, conversation.id, message_id)
    recall_vectors(session, history, parts.knowledge.embedder)
    return Turn(
        message_id=message_id,
        conversation_id=conversation.id,
        text=message.text or "",
        channel=message.channel or conversation.channel,
        customer=CustomerContext(
            id=customer.id,
            name=customer.name,
            tier=customer.tier,
            vip=customer.tier == "vip",
            attributes=customer.attributes,
            recent_recontacts=recent,
            open_conversations=still_open,
        ),
        history=tuple(HistoryEntry(source=Source(e.source), text=e.text or "") for e in history),
        handed_over=conversation.status
        in (ConversationStatus.WAITING_FOR_HUMAN, ConversationStatus.ASSIGNED),
        actor=_stored_actor(message),
        received_at=message.created_at.astimezone(parts.timezone),
        locale=_locale(customer),
        waits=wait_estimates(
            session, parts.teams, parts.routed_teams(), utcnow().astimezone(parts.timezone)
        ),
    )


def _stored_actor(message: Event) -> Actor | None:
    stored = (message.payload or {}).get("actor")
    return Actor.model_validate(stored) if stored is not None else None


def _locale(customer: Customer) -> str:
    given = (customer.attributes or {}).get("locale")
    return str(given) if given else "en"


def record(session: Session, message_id: int, outcome: Outcome) -> None:
    message = session.get(Event, message_id)
    assert message is not None
    conversation = session.get(Conversation, message.conversation_id, with_for_update=True)
    assert conversation is not None
    decision = outcome.decision
    decision_event = Event(
        conversation_id=conversation.id,
        kind=EventKind.DECISION,
        source=Source.SYSTEM,
        caused_by=message_id,
        payload={"decision": decision.model_dump(mode="json")},
    )
    session.add(decision_event)
    session.flush()  # the decision's uniqueness is checked before anything else is written
    entry = append_record(
        session,
        message_id=message_id,
        conversation_id=conversation.id,
        decision=decision,
        facts=outcome.facts,
    )
    decision_event.payload = {**decision_event.payload, "record": entry.seq}
    outcomes.on_decision_recorded(session, entry)
    if outcome.reply is not None:
        session.add(
            Event(
                conversation_id=conversation.id,
                kind=EventKind.MESSAGE_OUT,
                source=Source.AI_AGENT,
                caused_by=message_id,
                text=outcome.reply.text,
                payload={"citations": [c.model_dump() for c in outcome.reply.citations]},
            )
        )
    if outcome.handoff is not None:
        session.add(
            Event(
                conversation_id=conversation.id,
                kind=EventKind.HANDOFF,
                source=Source.AI_AGENT,
                caused_by=message_id,
                text=outcome.handoff.text,
                payload=outcome.handoff.model_dump(mode="json")
                | {
                    "priority": decision.priority,
                    "packet": outcome.packet.model_dump(mode="json") if outcome.packet else None,
                },
            )
        )
        conversation.team = decision.team
        change_status(session, conversation, ConversationStatus.WAITING_FOR_HUMAN, "handed over")
    conversation.updated_at = utcnow()


def await_decision(db: Database, parts: Parts, message_id: int, wait: float) -> None:
    """Wait for the first delivery to finish; if it never does (it crashed), finish it."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with db.read() as session:
            if repository.decision_exists(session, message_id):
                return
        time.sleep(POLL_SECONDS)
    process(db, parts, message_id)


def resume_pending(db: Database, parts: Parts) -> int:
    """Decide every stored message that has no decision yet. Returns how many."""
    with db.read() as session:
        pending = repository.pending_messages(session)
    for message_id in pending:
        process(db, parts, message_id)
    return len(pending)


__all__ = ["Inbound", "Stored", "handle_message", "ingest", "process", "resume_pending"]
