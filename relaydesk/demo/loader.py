"""Loading the demo shop into a database, so that a newcomer sees Relaydesk work."""

from __future__ import annotations

import json

from relaydesk.conversations import repository
from relaydesk.conversations.models import Customer
from relaydesk.db import Database
from relaydesk.permissions import api_keys
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
    return {"customers": len(customers), "added": added}


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
