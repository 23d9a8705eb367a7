"""What happened after a decision: outcomes, attached to a decision record by its seq.

Outcomes are append-only; the latest of a kind is current. People add some (``add_outcome``:
csat, escalation_necessary / escalation_unnecessary); the message path adds the others through
the hooks below, each of which attaches an automatic kind at most once to a decision:

    on_decision_recorded      handed_over     after append_record, in the same transaction
    on_conversation_started   recontacted     when a new conversation is created (ingest)
    on_conversation_resolved  resolved_by_ai  when a conversation is set to resolved

Functions take a session; none commits.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from relaydesk.conversations.models import Conversation, Event, EventKind, Source
from relaydesk.conversations.repository import RECONTACT_WINDOW
from relaydesk.errors import NotFound, Unprocessable
from relaydesk.policy.decision import Route
from relaydesk.policy.models import DecisionOutcome, DecisionRecord, OutcomeKind

SYSTEM_ACTOR = "relaydesk"  # the actor of outcomes the hooks attach
CSAT_RANGE = (1, 5)
# The AI kept the conversation: a later handoff means it should have let go earlier.
AI_KEPT = (Route.AI_REPLY, Route.AI_REPLY_FLAGGED, Route.ASK_CLARIFYING)
# A person saw the conversation: approving a reply counts as much as taking it over.
TO_A_PERSON = (Route.HANDOFF, Route.REQUIRE_APPROVAL)
ESCALATION_KINDS = (OutcomeKind.ESCALATION_NECESSARY, OutcomeKind.ESCALATION_UNNECESSARY)
IN_CHUNK = 500  # seqs per IN (...) list: SQLite builds may cap bound parameters at 999


def add_outcome(
    session: Session,
    seq: int,
    kind: OutcomeKind,
    *,
    value: float | None = None,
    note: str | None = None,
    actor: str,
) -> DecisionOutcome:
    """Attach an outcome to decision ``seq``, checking it makes sense for that decision."""
    try:
        kind = OutcomeKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in OutcomeKind)
        raise Unprocessable(f"unknown outcome kind {kind!r}; use one of {known}") from None
    record = session.get(DecisionRecord, seq)
    if record is None:
        raise NotFound(f"decision {seq} does not exist")
    if value is not None and not math.isfinite(value):
        raise Unprocessable("an outcome's value must be a finite number")
    if kind == OutcomeKind.CSAT:
        low, high = CSAT_RANGE
        if value is None or not float(value).is_integer() or not low <= value <= high:
            raise Unprocessable(
                f"csat needs a whole-number value from {low} to {high}, got {value!r}"
            )
    if kind in ESCALATION_KINDS and record.route != Route.HANDOFF:
        raise Unprocessable(
            f"{kind.value} applies only to a decision that handed over; decision {seq} "
            f"routed to {record.route}"
        )
    outcome = DecisionOutcome(
        decision_seq=seq, kind=kind.value, value=value, note=note, actor=actor
    )
    session.add(outcome)
    session.flush()
    return outcome


def outcomes_for(session: Session, seqs: Collection[int]) -> dict[int, list[DecisionOutcome]]:
    """Each given seq's outcomes, oldest first (an empty list if it has none)."""
    found: dict[int, list[DecisionOutcome]] = {seq: [] for seq in seqs}
    wanted = sorted(found)
    for start in range(0, len(wanted), IN_CHUNK):
        query = (
            select(DecisionOutcome)
            .where(DecisionOutcome.decision_seq.in_(wanted[start : start + IN_CHUNK]))
            .order_by(DecisionOutcome.id)
        )
        for outcome in session.scalars(query):
            found[outcome.decision_seq].append(outcome)
    return found


def on_decision_recorded(session: Session, record: DecisionRecord) -> list[DecisionOutcome]:
    """On a handoff, mark the decisions since the previous handoff where the AI kept it."""
    if record.route != Route.HANDOFF:
        return []
    same_conversation = (
        DecisionRecord.conversation_id == record.conversation_id,
        DecisionRecord.seq < record.seq,
    )
    previous_handoff = session.scalar(
        select(func.max(DecisionRecord.seq)).where(
            *same_conversation, DecisionRecord.route == Route.HANDOFF
        )
    )
    query = (
        select(DecisionRecord)
        .where(
            *same_conversation,
            DecisionRecord.seq > (previous_handoff or 0),
            DecisionRecord.route.in_(AI_KEPT),
        )
        .order_by(DecisionRecord.seq)
    )
    kept = _locked(session, query)
    note = f"handed over at decision {record.seq}"
    return _attach_once(session, kept, OutcomeKind.HANDED_OVER, note=note, actor=SYSTEM_ACTOR)


def on_conversation_started(
    session: Session, customer_id: str, conversation_id: str, now: datetime
) -> DecisionOutcome | None:
    """Mark the customer's last decision elsewhere as recontacted if it was within the window.

    "Last" is the latest decision across the customer's other conversations, that is the last
    decision of the one most recently decided in.
    """
    # Two indexed steps (the customer's conversations, then their last decision): a join
    # ordered by seq lets SQLite walk the whole decision table for a first-time customer.
    others = list(
        session.scalars(
            select(Conversation.id)
            .where(Conversation.customer_id == customer_id, Conversation.id != conversation_id)
            .order_by(Conversation.updated_at.desc())
            .limit(IN_CHUNK)
        )
    )
    if not others:
        return None
    latest = session.scalar(
        select(func.max(DecisionRecord.seq)).where(
            DecisionRecord.conversation_id.in_(others),
            DecisionRecord.created_at <= now,
        )
    )
    if latest is None:
        return None
    query = select(DecisionRecord).where(DecisionRecord.seq == latest)
    last = _locked(session, query)
    if not last or last[0].created_at < now - RECONTACT_WINDOW:
        return None
    hours = (now - last[0].created_at).total_seconds() / 3600
    attached = _attach_once(
        session,
        last,
        OutcomeKind.RECONTACTED,
        value=round(hours, 3),
        note=f"came back in conversation {conversation_id}",
        actor=SYSTEM_ACTOR,
    )
    return attached[0] if attached else None


def on_conversation_resolved(
    session: Session, conversation_id: str, actor: str
) -> DecisionOutcome | None:
    """Mark the conversation's last decision resolved_by_ai if no person ever had it."""
    in_conversation = DecisionRecord.conversation_id == conversation_id
    to_a_person = session.scalar(
        select(DecisionRecord.seq)
        .where(in_conversation, DecisionRecord.route.in_(TO_A_PERSON))
        .limit(1)
    )
    # A person can also take a conversation without a decision sending it (an assignment, a
    # reply): then it was not resolved by the AI either.
    person_acted = session.scalar(
        select(Event.id)
        .where(
            Event.conversation_id == conversation_id,
            (Event.source == Source.HUMAN_AGENT) | (Event.kind == EventKind.ASSIGNMENT),
        )
        .limit(1)
    )
    if to_a_person is not None or person_acted is not None:
        return None
    last = _locked(
        session,
        select(DecisionRecord).where(in_conversation).order_by(DecisionRecord.seq.desc()).limit(1),
    )
    attached = _attach_once(session, last, OutcomeKind.RESOLVED_BY_AI, actor=actor)
    return attached[0] if attached else None


def _locked(session: Session, query: Select[DecisionRecord]) -> list[DecisionRecord]:
    """The records, locked against a concurrent hook attaching the same outcome.

    FOR NO KEY UPDATE (PostgreSQL; SQLite serialises writers anyway) still lets outcomes
    referencing the records be inserted, and never changes the records themselves.
    """
    locked = query.with_for_update(key_share=True, of=DecisionRecord).execution_options(
        populate_existing=True
    )
    return list(session.scalars(locked).all())


def _attach_once(
    session: Session,
    records: Iterable[DecisionRecord],
    kind: OutcomeKind,
    *,
    value: float | None = None,
    note: str | None = None,
    actor: str,
) -> list[DecisionOutcome]:
    seqs = [record.seq for record in records]
    if not seqs:
        return []
    already = set(
        session.scalars(
            select(DecisionOutcome.decision_seq).where(
                DecisionOutcome.decision_seq.in_(seqs), DecisionOutcome.kind == kind.value
            )
        )
    )
    attached = [
        DecisionOutcome(decision_seq=seq, kind=kind.value, value=value, note=note, actor=actor)
        for seq in seqs
        if seq not in already
    ]
    session.add_all(attached)
    session.flush()
    return attached
