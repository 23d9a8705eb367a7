"""The people who take conversations: creating them, their passwords, their status.

Passwords are hashed with scrypt from the standard library (RFC 7914; n=2**14, r=8, p=1, a
16-byte salt), stored as ``scrypt$n$r$p$salt$hash`` so the cost can be raised later without
breaking existing hashes. Checking compares in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaydesk.db import Database
from relaydesk.errors import Conflict, NotFound, Unprocessable
from relaydesk.queue.models import Agent, AgentRole, AgentStatus

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10
# A hash to compare against when the email is unknown, so that a wrong email and a wrong
# password take the same time.
_DUMMY_HASH: str | None = None


class AgentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    role: AgentRole = AgentRole.AGENT
    teams: list[str] = Field(default_factory=list, max_length=50)
    capacity: int = Field(default=3, ge=1, le=50)
    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=256)

    @field_validator("teams")
    @classmethod
    def _clean_teams(cls, teams: list[str]) -> list[str]:
        cleaned = [team.strip() for team in teams]
        if any(not team or len(team) > 64 for team in cleaned):
            raise ValueError("team names must be 1 to 64 characters")
        return list(dict.fromkeys(cleaned))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encoded[0]}${encoded[1]}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def create_agent(db: Database, given: AgentIn) -> Agent:
    with db.write() as session:
        agent = Agent(
            name=given.name,
            email=given.email.lower(),
            role=given.role,
            teams=given.teams,
            capacity=given.capacity,
            status=AgentStatus.AVAILABLE,
            password_hash=hash_password(given.password) if given.password else None,
        )
        session.add(agent)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"an agent with email {given.email} already exists") from None
        session.expunge(agent)
        return agent


def set_password(db: Database, agent_id: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Unprocessable(f"a password needs at least {MIN_PASSWORD} characters")
    with db.write() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} does not exist")
        agent.password_hash = hash_password(password)


def authenticate(session: Session, email: str, password: str) -> Agent | None:
    """The agent with this email and password, or None (same cost either way)."""
    global _DUMMY_HASH
    agent = session.scalars(select(Agent).where(Agent.email == email.strip().lower())).first()
    if agent is None or agent.password_hash is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
        check_password(password, _DUMMY_HASH)
        return None
    return agent if check_password(password, agent.password_hash) else None


def set_status(db: Database, agent_id: str, status: AgentStatus) -> Agent:
    with db.write() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} does not exist")
        agent.status = status
        session.flush()
        session.expunge(agent)
        return agent


def get_agent(session: Session, agent_id: str) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} does not exist")
    return agent


def list_agents(session: Session) -> list[Agent]:
    return list(session.scalars(select(Agent).order_by(func.lower(Agent.name), Agent.id)))
