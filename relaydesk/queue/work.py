"""What people write on a conversation: replies to the customer, internal notes, and flags on
AI answers that were wrong.

A reply goes to the customer, so only the conversation's owner sends one, and only with the
fencing token of their claim (``check_owner``, in the same transaction as the write): a reply
from someone who does not own the conversation, or whose claim was taken over, is refused
with 409 and nothing is written. Notes are internal: any agent may add one. A flag marks one
AI answer as wrong, with a reason, for the quality loop; any agent may flag.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from relaydesk.conversations.models import Conversation, Event, EventKind, Source
from relaydesk.db import Database, utcnow
from relaydesk.errors import NotFound, Unprocessable
from relaydesk.queue.agents import get_agent
from relaydesk.queue.claims import check_owner
from relaydesk.settings import MAX_MESSAGE_CHARS


def _text(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise Unprocessable(f"a {what} needs some text")
    if len(cleaned) > MAX_MESSAGE_CHARS:
        raise Unprocessable(f"a {what} is limited to {MAX_MESSAGE_CHARS} characters")
    return cleaned


def reply(db: Database, conversation_id: str, token: int, text: str) -> Event:
    """The owner's reply to the customer."""
    body = _text(text, "reply")
    with db.write() as session:
        owner = check_owner(session, conversation_id, token)
        agent = get_agent(session, owner.agent_id)
        conversation = _conversation(session, conversation_id)
        event = Event(
            conversation_id=conversation_id,
            kind=EventKind.MESSAGE_OUT,
            source=Source.HUMAN_AGENT,
            actor=agent.id,
            text=body,
            payload={
                "agent": {"name": agent.name, "team": conversation.team},
                "fencing_token": token,
            },
        )
        session.add(event)
        conversation.updated_at = utcnow()
        session.flush()
        session.expunge(event)
        return event


def note(db: Database, conversation_id: str, agent_id: str, text: str) -> Event:
    """An internal note: seen by people in the workspace, never by the customer."""
    body = _text(text, "note")
    with db.write() as session:
        agent = get_agent(session, agent_id)
        _conversation(session, conversation_id)
        event = Event(
            conversation_id=conversation_id,
            kind=EventKind.NOTE,
            source=Source.HUMAN_AGENT,
            actor=agent.id,
            text=body,
            payload={"agent": {"name": agent.name}},
        )
        session.add(event)
        session.flush()
        session.expunge(event)
        return event


def flag_ai_answer(db: Database, message_id: int, agent_id: str, reason: str) -> Event:
    """Mark an AI answer as wrong. The flag points at the answer and the decision behind it."""
    body = _text(reason, "flag reason")
    with db.write() as session:
        agent = get_agent(session, agent_id)
        answer = session.get(Event, message_id)
        if answer is None or answer.kind != EventKind.MESSAGE_OUT:
            raise NotFound(f"message {message_id} is not a reply that can be flagged")
        if answer.source != Source.AI_AGENT:
            raise Unprocessable(f"message {message_id} was not written by the AI")
        event = Event(
            conversation_id=answer.conversation_id,
            kind=EventKind.FLAG,
            source=Source.HUMAN_AGENT,
            actor=agent.id,
            caused_by=answer.id,
            text=body,
            payload={
                "flagged": answer.id,
                "answered": answer.caused_by,  # the customer message, and so its decision
                "agent": {"name": agent.name, "role": agent.role},
            },
        )
        session.add(event)
        session.flush()
        session.expunge(event)
        return event


def _conversation(session: Session, conversation_id: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    return conversation
