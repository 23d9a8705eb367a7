"""The queue over HTTP, on SQLite and PostgreSQL: agents, claims, replies, notes, flags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import message
from fastapi.testclient import TestClient

from relaydesk.app import create_app
from relaydesk.db import Database
from relaydesk.permissions.api_keys import create_key
from relaydesk.settings import Settings

ASK_FOR_PERSON = "This is useless, let me talk to a real person"


def add_agent(client: TestClient, auth: dict[str, str], name: str, **fields: Any) -> str:
    body = {"name": name, "email": f"{name.lower()}@stride.example", "teams": ["frontline"]}
    response = client.post("/v1/agents", json=body | fields, headers=auth)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def hand_over(client: TestClient, auth: dict[str, str], text: str = ASK_FOR_PERSON) -> str:
    body = client.post("/v1/messages", json=message(text), headers=auth).json()
    assert body["decision"]["route"] == "handoff"
    return str(body["conversation_id"])


def events(client: TestClient, auth: dict[str, str], conversation_id: str) -> list[dict[str, Any]]:
    detail = client.get(f"/v1/conversations/{conversation_id}", headers=auth).json()
    return list(detail["events"])


def test_claim_reply_and_close(client: TestClient, auth: dict[str, str]) -> None:
    maya = add_agent(client, auth, "Maya", password="correct horse battery")
    agents = client.get("/v1/agents", headers=auth).json()
    assert [(a["name"], a["can_sign_in"]) for a in agents] == [("Maya", True)]
    conversation = hand_over(client, auth)

    queue = client.get("/v1/queue", headers=auth).json()
    assert [row["conversation_id"] for row in queue] == [conversation]
    assert queue[0]["status"] == "waiting_for_human"
    assert queue[0]["team_label"] == "Customer care"
    assert queue[0]["sla_state"] == "ok"
    assert queue[0]["ask"] == ASK_FOR_PERSON

    claim = client.post("/v1/queue/claim", json={"agent_id": maya}, headers=auth).json()
    assert claim["conversation_id"] == conversation
    token = claim["fencing_token"]
    reply = client.post(
        f"/v1/conversations/{conversation}/reply",
        json={"fencing_token": token, "text": "Hi, I'm Maya. I can help."},
        headers=auth,
    )
    assert reply.status_code == 201
    assert (reply.json()["source"], reply.json()["actor"]) == ("human_agent", maya)
    row = client.get("/v1/queue", headers=auth).json()[0]
    assert (row["owner_name"], row["sla_state"], row["sla_seconds_left"]) == ("Maya", "met", None)

    closed = client.post(
        f"/v1/conversations/{conversation}/close", json={"fencing_token": token}, headers=auth
    )
    assert closed.json()["reason"] == "resolved"
    assert client.get("/v1/queue", headers=auth).json() == []
    assert client.post("/v1/queue/claim", json={"agent_id": maya}, headers=auth).status_code == 204


def test_a_reply_to_someone_elses_conversation_is_refused(
    client: TestClient, auth: dict[str, str]
) -> None:
    maya = add_agent(client, auth, "Maya")
    sam = add_agent(client, auth, "Sam")
    conversation = hand_over(client, auth)
    mine = client.post(f"/v1/conversations/{conversation}/claim", json={"agent_id": maya},
                       headers=auth).json()  # fmt: skip
    taken = client.post(
        f"/v1/conversations/{conversation}/claim", json={"agent_id": sam}, headers=auth
    )
    assert taken.status_code == 409
    assert "owned by Maya" in taken.json()["error"]["message"]

    before = events(client, auth, conversation)
    stale = client.post(
        f"/v1/conversations/{conversation}/reply",
        json={"fencing_token": mine["fencing_token"] + 1000, "text": "Sam here!"},
        headers=auth,
    )
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "conflict"
    assert "owned by Maya" in error["message"]
    assert "no longer valid" in error["message"]
    assert events(client, auth, conversation) == before  # nothing written


def test_release_transfer_and_hand_back(client: TestClient, auth: dict[str, str]) -> None:
    maya = add_agent(client, auth, "Maya", teams=["frontline", "billing"])
    conversation = hand_over(client, auth)
    path = f"/v1/conversations/{conversation}"

    def claim() -> int:
        got = client.post(f"{path}/claim", json={"agent_id": maya}, headers=auth).json()
        return int(got["fencing_token"])

    token = claim()
    assert client.post(f"{path}/release", json={"fencing_token": token}, headers=auth).is_success
    assert client.get("/v1/queue", headers=auth).json()[0]["status"] == "waiting_for_human"
    # The released token is dead: the next write with it is refused.
    late = client.post(f"{path}/reply", json={"fencing_token": token, "text": "hi"}, headers=auth)
    assert late.status_code == 409

    token = claim()
    moved = client.post(
        f"{path}/transfer", json={"fencing_token": token, "team": "billing"}, headers=auth
    )
    assert moved.status_code == 200
    assert client.get("/v1/queue?team=billing", headers=auth).json()[0]["team"] == "billing"
    assert client.get("/v1/queue?team=frontline", headers=auth).json() == []

    token = claim()
    back = client.post(f"{path}/hand-back", json={"fencing_token": token}, headers=auth)
    assert back.json()["reason"] == "handed_back_to_ai"
    again = client.post(
        "/v1/messages",
        json=message("How do I reset my password?", conversation_id=conversation),
        headers=auth,
    ).json()
    assert again["decision"]["route"] == "ai_reply"  # the AI answers again


def test_the_ai_stays_silent_while_a_person_owns_it(
    client: TestClient, auth: dict[str, str]
) -> None:
    maya = add_agent(client, auth, "Maya")
    conversation = hand_over(client, auth)
    client.post(f"/v1/conversations/{conversation}/claim", json={"agent_id": maya}, headers=auth)
    body = client.post(
        "/v1/messages",
        json=message("How do I reset my password?", conversation_id=conversation),
        headers=auth,
    ).json()
    assert (body["reply"], body["handoff"]) == (None, None)
    kinds = [e["kind"] for e in events(client, auth, conversation)]
    assert kinds.count("message_out") == 0


def test_notes_and_flags(client: TestClient, auth: dict[str, str]) -> None:
    maya = add_agent(client, auth, "Maya")
    answered = client.post("/v1/messages", json=message(), headers=auth).json()
    conversation = answered["conversation_id"]
    ai_answer = next(e for e in events(client, auth, conversation) if e["kind"] == "message_out")
    note = client.post(
        f"/v1/conversations/{conversation}/notes",
        json={"agent_id": maya, "text": "Customer is on the old app version."},
        headers=auth,
    )
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    flag = client.post(
        f"/v1/messages/{ai_answer['id']}/flag",
        json={"agent_id": maya, "reason": "The reset link expires after 1 hour, not 24."},
        headers=auth,
    )
    assert flag.status_code == 201
    stored = next(e for e in events(client, auth, conversation) if e["kind"] == "flag")
    assert stored["payload"]["flagged"] == ai_answer["id"]
    assert stored["payload"]["answered"] == answered["message_id"]

    customer_message = answered["message_id"]
    refused = client.post(
        f"/v1/messages/{customer_message}/flag", json={"agent_id": maya, "reason": "x"},
        headers=auth,
    )  # fmt: skip
    assert refused.status_code == 404
    assert "not a reply that can be flagged" in refused.json()["error"]["message"]


def test_reassign_by_the_owner_and_by_an_admin(client: TestClient, auth: dict[str, str]) -> None:
    maya = add_agent(client, auth, "Maya")
    sam = add_agent(client, auth, "Sam")
    boss = add_agent(client, auth, "Priya", role="admin")
    conversation = hand_over(client, auth)
    path = f"/v1/conversations/{conversation}"
    token = client.post(f"{path}/claim", json={"agent_id": maya}, headers=auth).json()[
        "fencing_token"
    ]
    refused = client.post(
        f"{path}/reassign", json={"by_agent_id": sam, "to_agent_id": sam}, headers=auth
    )
    assert refused.status_code == 409
    assert "admin" in refused.json()["error"]["message"]
    to_sam = client.post(
        f"{path}/reassign",
        json={"by_agent_id": maya, "to_agent_id": sam, "fencing_token": token},
        headers=auth,
    )
    assert to_sam.json()["agent_id"] == sam
    to_maya = client.post(
        f"{path}/reassign", json={"by_agent_id": boss, "to_agent_id": maya}, headers=auth
    )
    assert to_maya.json()["agent_id"] == maya
    assert client.get("/v1/queue", headers=auth).json()[0]["owner_name"] == "Maya"


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/v1/agents", {"name": "X", "email": "not-an-email"}, 422, "email"),
        ("/v1/agents", {"name": "X", "email": "x@y.example", "capacity": 0}, 422, "capacity"),
        (
            "/v1/agents",
            {"name": "X", "email": "x@y.example", "password": "short"},
            422,
            "password",
        ),
        ("/v1/agents", {"name": "X", "email": "x@y.example", "role": "boss"}, 422, "role"),
        ("/v1/queue/claim", {"agent_id": "nobody"}, 404, "agent nobody does not exist"),
        ("/v1/conversations/nope/claim", {"agent_id": "x"}, 404, "does not exist"),
        ("/v1/conversations/nope/reply", {"fencing_token": 1}, 422, "text"),
        (
            "/v1/conversations/nope/reply",
            {"fencing_token": 1, "text": "hi"},
            404,
            "conversation nope does not exist",
        ),
    ],
)
def test_bad_requests_say_what_is_wrong(
    client: TestClient, auth: dict[str, str], path: str, body: dict[str, Any], status: int,
    says: str,
) -> None:  # fmt: skip
    response = client.post(path, json=body, headers=auth)
    assert response.status_code == status, response.text
    assert says in response.json()["error"]["message"]


def test_the_same_email_twice_is_a_conflict(client: TestClient, auth: dict[str, str]) -> None:
    add_agent(client, auth, "Maya")
    again = client.post(
        "/v1/agents", json={"name": "M", "email": "MAYA@stride.example"}, headers=auth
    )
    assert again.status_code == 409


def test_the_wait_estimates_endpoint_covers_every_team(
    client: TestClient, auth: dict[str, str]
) -> None:
    add_agent(client, auth, "Maya", teams=["billing"], capacity=2)
    waits = client.get("/v1/queue/wait", headers=auth).json()
    assert {"frontline", "billing", "senior", "specialists"} <= set(waits)
    assert (waits["billing"]["minutes"], waits["billing"]["slots"]) == (1, 2)
    assert waits["frontline"]["minutes"] is None  # nobody on shift


@pytest.fixture
def auto_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    teams = tmp_path / "teams.yaml"
    teams.write_text("teams:\n  - {name: frontline, assignment: auto}\n")
    settings = Settings(database_url=database_url, teams_file=teams)
    with TestClient(create_app(settings)) as client:
        yield client


def test_auto_assignment_gives_work_to_the_least_loaded(auto_client: TestClient) -> None:
    database: Database = auto_client.app.state.database  # type: ignore[attr-defined]
    with database.write() as session:
        _, key = create_key(session, "tests")
    auth = {"Authorization": f"Bearer {key}"}
    ann = add_agent(auto_client, auth, "Ann", capacity=1)
    bob = add_agent(auto_client, auth, "Bob", capacity=2)
    owners = []
    for _ in range(4):
        conversation = hand_over(auto_client, auth)
        row = next(
            r for r in auto_client.get("/v1/queue", headers=auth).json()
            if r["conversation_id"] == conversation
        )  # fmt: skip
        owners.append(row["owner_id"])
    # Ann and Bob fill up (least loaded first); the fourth waits.
    assert sorted(filter(None, owners)) == sorted([ann, bob, bob])
    assert owners[3] is None
    # Ann finishes hers: the waiting one goes to her at once.
    ann_row = next(r for r in auto_client.get("/v1/queue", headers=auth).json()
                   if r["owner_id"] == ann)  # fmt: skip
    claims = auto_client.get(f"/v1/conversations/{ann_row['conversation_id']}", headers=auth)
    token = next(
        e["payload"]["fencing_token"] for e in claims.json()["events"]
        if e["kind"] == "assignment"
    )  # fmt: skip
    auto_client.post(
        f"/v1/conversations/{ann_row['conversation_id']}/close",
        json={"fencing_token": token},
        headers=auth,
    )
    rows = auto_client.get("/v1/queue", headers=auth).json()
    assert all(row["owner_id"] is not None for row in rows)
