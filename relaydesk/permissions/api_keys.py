"""API keys for service callers: created by the CLI, shown once, stored as a SHA-256 hash.

A key is 32 random bytes, so a plain hash (no salt, no stretching) is the right tool: there is
nothing to brute-force, and lookup by hash stays one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.db import utcnow
from relaydesk.errors import Conflict, NotFound
from relaydesk.permissions.models import ApiKey

PREFIX = "rd_"


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is never stored."""
    if session.scalar(select(ApiKey).where(ApiKey.name == name)) is not None:
        raise Conflict(f"an API key named {name!r} already exists")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=plaintext[:10], key_hash=hash_key(plaintext))
    session.add(key)
    session.flush()
    return key, plaintext


def authenticate(session: Session, plaintext: str) -> ApiKey | None:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def list_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()


def revoke_key(session: Session, name: str) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise NotFound(f"no API key named {name!r}")
    key.revoked_at = key.revoked_at or utcnow()
    return key
