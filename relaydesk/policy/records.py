"""Decision records: every decision, append-only, with the facts it saw, in a hash chain.

    body  = canonical JSON of the record (its columns, the decision, the facts)
    hash  = sha256(prev_hash + body)

``decision_chain_head`` holds the last seq and hash. Appending locks that row (PostgreSQL:
``FOR UPDATE``; SQLite writers are already serialised), so records get consecutive seq numbers
in commit order, and a deleted, edited, reordered or truncated record breaks the chain.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from relaydesk.db import utcnow
from relaydesk.policy.decision import Decision
from relaydesk.policy.models import DecisionChainHead, DecisionRecord

GENESIS = "0" * 64
HEAD_ID = 1
# The columns a record's body repeats, so editing a column is detected like editing the body.
COLUMNS = (
    "seq",
    "message_id",
    "conversation_id",
    "created_at",
    "policy_name",
    "policy_version",
    "policy_hash",
    "arm",
    "route",
    "team",
    "category",
)


def canonical(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def column_values(record: DecisionRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in COLUMNS}
    values["created_at"] = _timestamp(record.created_at)
    return values


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def append_record(
    session: Session,
    *,
    message_id: int,
    conversation_id: str,
    decision: Decision,
    facts: dict[str, Any],
    created_at: datetime | None = None,
) -> DecisionRecord:
    head = session.get(DecisionChainHead, HEAD_ID, with_for_update=True)
    if head is None:
        raise RuntimeError("decision_chain_head is missing: run `relaydesk db upgrade`")
    category = str(facts.get("signals", {}).get("category", {}).get("name", "unknown"))
    record = DecisionRecord(
        seq=head.seq + 1,
        message_id=message_id,
        conversation_id=conversation_id,
        created_at=created_at or utcnow(),
        policy_name=decision.policy_name,
        policy_version=decision.policy_version,
        policy_hash=decision.policy_hash,
        arm=decision.arm,
        route=str(decision.route),
        team=decision.team,
        category=category[:64],
        prev_hash=head.hash,
    )
    record.body = canonical(
        {**column_values(record), "decision": decision.model_dump(mode="json"), "facts": facts}
    )
    record.hash = chain_hash(record.prev_hash, record.body)
    session.add(record)
    head.seq, head.hash, head.updated_at = record.seq, record.hash, utcnow()
    return record


def read_body(record: DecisionRecord) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(record.body)
    return body
