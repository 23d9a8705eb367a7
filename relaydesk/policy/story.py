"""``relaydesk why MESSAGE_ID``: the story of one decision, in plain words.

Everything here is read back from the store (the message, the decision record with the facts
it saw, what was sent, the outcomes), so the story is what happened, not a re-run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.conversations import repository
from relaydesk.conversations.models import Conversation, Customer, Event, EventKind
from relaydesk.errors import NotFound
from relaydesk.policy.models import DecisionRecord
from relaydesk.policy.outcomes import outcomes_for
from relaydesk.policy.records import chain_hash, read_body

DETECTORS = ("human_request", "manager_request", "legal_threat", "urgency", "frustration")


def _detector(name: str, signal: dict[str, Any]) -> str:
    label = name.replace("_", " ")
    if not signal.get("value") and not signal.get("evidence"):
        return f"{label}: no"
    evidence = ", ".join(f"'{e}'" for e in signal.get("evidence", []))
    verdict = "yes" if signal.get("value") else "no"
    return f"{label}: {verdict} (score {signal.get('score', 0):.2f}: {evidence})"


def _signals(signals: dict[str, Any]) -> list[str]:
    category = signals["category"]
    lines = [f"category: {category['name']} (confidence {category['confidence']:.2f})"]
    lines += [_detector(name, signals[name]) for name in DETECTORS if name in signals]
    lines.append(f"repeat ask: {signals['repeat_ask']['count']} earlier answered asks")
    amount = signals.get("amount")
    if amount and amount["value"]:
        lines.append(f"amount: {amount['value']:.2f} ({', '.join(amount['evidence'])})")
    return lines


def _approvals(session: Session, conversation_id: str, caused: Sequence[Event]) -> list[str]:
    """What people decided about the actions this message asked for."""
    wanted = {e.payload.get("approval_id") for e in caused if e.kind == EventKind.ACTION} - {None}
    if not wanted:
        return []
    events = repository.conversation_events(session, conversation_id)
    return [
        f"Approval ({event.actor or event.source}, {event.created_at:%Y-%m-%d %H:%M}): {event.text}"
        for event in events
        if event.kind == EventKind.APPROVAL and event.payload.get("approval_id") in wanted
    ]


def decision_story(session: Session, message_id: int) -> str:
    message = session.get(Event, message_id)
    if message is None or message.kind != EventKind.MESSAGE_IN:
        raise NotFound(f"message {message_id} does not exist")
    record = session.scalar(select(DecisionRecord).where(DecisionRecord.message_id == message_id))
    if record is None:
        raise NotFound(f"message {message_id} has not been decided yet (`relaydesk resume`)")
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation is not None
    customer = session.get(Customer, conversation.customer_id)
    body = read_body(record)
    facts, decision = body["facts"], body["decision"]
    who = facts.get("customer", {})
    out = [
        f"Message {message_id} in conversation {conversation.id} ({message.channel}), "
        f"{message.created_at:%Y-%m-%d %H:%M:%S %Z}",
        f"  customer: {customer.email or customer.external_id or customer.id if customer else '?'}"
        f" (tier {who.get('tier') or '-'}, {who.get('recent_recontacts', 0)} other conversations"
        " in 7 days)",
        f'  "{message.text}"',
        "",
        "What the signals saw:",
        *(f"  {line}" for line in _signals(facts["signals"])),
        "",
    ]
    attempt = facts.get("attempt", {})
    read = ", ".join(attempt.get("citations", [])) or "nothing relevant"
    out += [
        "What the AI tried:",
        f"  an answer: {'yes' if attempt.get('has_answer') else 'no'}, confidence "
        f"{attempt.get('confidence', 0):.2f}, coverage {attempt.get('coverage', 0):.2f}",
        f"  articles read: {read}",
        "",
        f"The policy: {record.policy_name} {record.policy_version} "
        f"(hash {record.policy_hash[:12]}){f', pilot arm {record.arm}' if record.arm else ''}",
        f"  → {record.route}"
        + (f" to {record.team}" if record.team else "")
        + f" (priority {decision['priority']})",
    ]
    for index, rule in enumerate(decision["matched_rules"]):
        role = "decided" if index == 0 else "also fired"
        out.append(f"  {index + 1}. {rule['id']} [{rule['owner']}] {role}: {rule['reason']}")
        out.append(f"     why the rule exists: {rule['description']}")
    for category, bar in decision.get("thresholds", {}).items():
        out.append(f"  confidence bar for {category}: {bar:.2f}")
    out.append("")
    caused = repository.events_caused_by(session, message_id)
    for event in caused:
        if event.kind == EventKind.MESSAGE_OUT:
            out.append(f'Sent to the customer (AI reply): "{event.text}"')
        elif event.kind == EventKind.HANDOFF:
            out.append(f'Sent to the customer (handoff): "{event.text}"')
        elif event.kind == EventKind.ACTION:
            out.append(f"Action ({event.actor or event.source}): {event.text}")
    out += _approvals(session, conversation.id, caused)
    outcomes = outcomes_for(session, [record.seq]).get(record.seq, [])
    if outcomes:
        out.append("What happened next:")
        for outcome in outcomes:
            value = f" {outcome.value:g}" if outcome.value is not None else ""
            note = f": {outcome.note}" if outcome.note else ""
            out.append(f"  {outcome.created_at:%Y-%m-%d %H:%M} {outcome.kind}{value}{note}")
    else:
        out.append("What happened next: nothing recorded yet")
    intact = chain_hash(record.prev_hash, record.body) == record.hash
    out.append(
        f"\nDecision record #{record.seq}, hash {record.hash[:16]}…: "
        + ("its hash matches its content" if intact else "ITS HASH DOES NOT MATCH ITS CONTENT")
        + " (`relaydesk audit verify` checks the whole chain)"
    )
    return "\n".join(out)
