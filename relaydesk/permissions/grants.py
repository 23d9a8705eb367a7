"""Delegated grants: a customer lets an AI agent act for them, within scopes, until a date.

The company's backend issues a grant once its customer has agreed (``POST /v1/grants``) and
hands the token to the agent. The token is signed with the server's secret (itsdangerous),
carries the grant id and its expiry, and is shown once: only its SHA-256 is stored. Rotating
issues a new token and replaces the stored hash, so the old token stops working; revoking or
expiring the grant stops every token. An agent presenting a token becomes an ``Actor`` of
kind ``delegated_agent`` — "agent X acting for customer Y" — whose rights are the grant's,
narrowed further by the Cedar policies.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.conversations.models import Customer
from relaydesk.db import utcnow
from relaydesk.errors import NotFound, Unauthorized
from relaydesk.permissions.actors import Actor, ActorKind, Scope
from relaydesk.permissions.models import Grant

PREFIX = "rdg_"
SALT = "relaydesk.delegated-grant.v1"
MAX_MINUTES = 60 * 24 * 90  # a grant lasts at most 90 days; the agent asks again after


class GrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    agent_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,254}$")]
    agent_name: Annotated[str, StringConstraints(max_length=255)] | None = None
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(Scope))]
    refund_limit: Annotated[Decimal, Field(ge=0, le=10_000, decimal_places=2)] = Decimal(0)
    expires_in_minutes: Annotated[int, Field(ge=1, le=MAX_MINUTES)] = 60 * 24

    @model_validator(mode="after")
    def _consistent(self) -> GrantCreate:
        if len(set(self.scopes)) != len(self.scopes):
            raise ValueError("scopes must not repeat")
        if self.refund_limit > 0 and Scope.REQUEST_REFUND not in self.scopes:
            raise ValueError("refund_limit needs the request_refund scope")
        return self


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def _new_token(secret: str, grant_id: str, expires_at: datetime) -> str:
    payload = {"g": grant_id, "e": int(expires_at.timestamp()), "n": secrets.token_urlsafe(12)}
    return PREFIX + _serializer(secret).dumps(payload)


def issue(session: Session, secret: str, body: GrantCreate, issued_by: str) -> tuple[Grant, str]:
    """A new grant and its token, which is never stored."""
    customer = session.scalar(
        select(Customer).where(
            (Customer.id == body.customer_id) | (Customer.external_id == body.customer_id)
        )
    )
    if customer is None:
        raise NotFound(f"customer {body.customer_id} does not exist")
    expires = utcnow().replace(microsecond=0) + timedelta(minutes=body.expires_in_minutes)
    grant = Grant(
        customer_id=customer.id,
        agent_id=body.agent_id,
        agent_name=body.agent_name,
        scopes=[scope.value for scope in body.scopes],
        refund_limit_cents=int(body.refund_limit * 100),
        issued_by=issued_by,
        expires_at=expires,
        token_hash="",
        token_prefix="",
    )
    session.add(grant)
    session.flush()
    return grant, _set_token(grant, secret)


def _set_token(grant: Grant, secret: str) -> str:
    token = _new_token(secret, grant.id, grant.expires_at)
    grant.token_hash = hash_token(token)
    grant.token_prefix = token[:12]
    return token


def get(session: Session, grant_id: str, *, lock: bool = False) -> Grant:
    query = select(Grant).where(Grant.id == grant_id)
    grant = session.scalar(query.with_for_update() if lock else query)
    if grant is None:
        raise NotFound(f"grant {grant_id} does not exist")
    return grant


def revoke(session: Session, grant_id: str) -> Grant:
    grant = get(session, grant_id, lock=True)
    grant.revoked_at = grant.revoked_at or utcnow()
    return grant


def rotate(session: Session, secret: str, grant_id: str) -> tuple[Grant, str]:
    """A new token for a live grant; the previous token stops working now."""
    grant = get(session, grant_id, lock=True)
    _check_live(grant, utcnow())
    grant.rotated_at = utcnow()
    return grant, _set_token(grant, secret)


def authenticate(session: Session, secret: str, token: str) -> Actor:
    """The delegated agent a token stands for; ``Unauthorized`` (401) says why not."""
    if not token.startswith(PREFIX):
        raise Unauthorized("this is not a Relaydesk grant token (they start with 'rdg_')")
    try:
        payload: Any = _serializer(secret).loads(token[len(PREFIX) :])
    except BadSignature:
        raise Unauthorized("the grant token's signature is invalid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("e"), int):
        raise Unauthorized("the grant token is malformed")
    now = utcnow()
    if payload["e"] <= now.timestamp():
        raise Unauthorized("the grant token has expired")
    grant = session.scalar(select(Grant).where(Grant.token_hash == hash_token(token)))
    if grant is None or grant.id != payload.get("g"):
        raise Unauthorized("the grant token was rotated or never issued")
    _check_live(grant, now)
    return actor_for(grant)


def _check_live(grant: Grant, now: datetime) -> None:
    problem = why_not_live(grant, now)
    if problem is not None:
        raise Unauthorized(problem)


def why_not_live(grant: Grant | None, now: datetime) -> str | None:
    """Why a grant no longer lets its agent act, or None while it does."""
    if grant is None:
        return "the grant does not exist"
    if grant.revoked_at is not None:
        return f"grant {grant.id} was revoked"
    if grant.expires_at <= now:
        return f"grant {grant.id} has expired"
    return None


def actor_for(grant: Grant) -> Actor:
    return Actor(
        kind=ActorKind.DELEGATED_AGENT,
        id=grant.agent_id,
        name=grant.agent_name,
        on_behalf_of=grant.customer_id,
        scopes=tuple(Scope(s) for s in grant.scopes),
        refund_limit_cents=grant.refund_limit_cents,
        grant_id=grant.id,
    )
