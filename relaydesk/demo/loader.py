"""Loading the demo shop into a database, so that a newcomer sees Relaydesk work."""

from __future__ import annotations

import json
import secrets

from sqlalchemy import select

from relaydesk.conversations import repository
from relaydesk.conversations.models import Customer
from relaydesk.db import Database
from relaydesk.permissions import api_keys
from relaydesk.queue.agents import hash_password
from relaydesk.queue.models import Agent
from relaydesk.settings import DEMO_DIR

DEMO_KEY_NAME = "demo"


def load_demo(database: Database) -> dict[str, int]:
    """Insert the demo customers that are missing; running it twice changes nothing."""
    customers = json.loads((DEMO_DIR / "customers.json").read_text("utf-8"))
    added = 0
    with database.write() as session:
        for entry in customers:
            if repository.find_customer(session, entry["id"], entry["email"]) is None:
                session.add(
                    Customer(
                        external_id=entry["id"],
                        email=entry["email"],
                        name=entry["name"],
                        tier=entry["tier"],
                        attributes=entry.get("attributes", {}),
                    )
                )
                added += 1
    return {"customers": len(customers), "added": added, "agents": _load_agents(database)}


def _load_agents(database: Database) -> int:
    """The demo shop's support team (missing ones only); they sign in with the demo password."""
    agents = json.loads((DEMO_DIR / "agents.json").read_text("utf-8"))
    with database.write() as session:
        known = set(session.scalars(select(Agent.email)))
        for entry in agents:
            if entry["email"] not in known:
                session.add(Agent(**entry))
    return len(agents)


def rotate_demo_password(database: Database) -> str:
    """A fresh password for every demo agent, shown once, like the demo API key."""
    emails = [entry["email"] for entry in json.loads((DEMO_DIR / "agents.json").read_text("utf-8"))]
    password = "-".join(secrets.token_urlsafe(4) for _ in range(3))
    hashed = hash_password(password)
    with database.write() as session:
        for agent in session.scalars(select(Agent).where(Agent.email.in_(emails))):
            agent.password_hash = hashed
    return password


def rotate_demo_key(database: Database) -> str:
    """A fresh demo API key: the old one is revoked, since a key is only shown once."""
    with database.write() as session:
        for key in api_keys.list_keys(session):
            if key.name.startswith(DEMO_KEY_NAME) and key.revoked_at is None:
                api_keys.revoke_key(session, key.name)
        existing = {key.name for key in api_keys.list_keys(session)}
        name = DEMO_KEY_NAME
        suffix = 1
        while name in existing:
            suffix += 1
            name = f"{DEMO_KEY_NAME}-{suffix}"
        _, plaintext = api_keys.create_key(session, name)
    return plaintext
