"""The demo's "why was I charged twice this month?" through the stored path, with a live queue:
the handoff names the question, what was checked, the billing team, and the queue's wait."""

from __future__ import annotations

from factories import message
from fastapi.testclient import TestClient
from test_queue_api import add_agent

CHARGED_TWICE = "why was I charged twice this month?"


def test_the_charge_question_goes_to_billing_with_the_queues_wait(
    client: TestClient, auth: dict[str, str]
) -> None:
    noah = add_agent(client, auth, "Noah", teams=["billing"], capacity=1)
    ines = add_agent(client, auth, "Ines", teams=["billing"], capacity=1)
    for number in range(3):
        earlier = message(CHARGED_TWICE, customer={"email": f"c{number}@example.com"})
        assert client.post("/v1/messages", json=earlier, headers=auth).json()["handoff"]
    for agent in (noah, ines):
        assert client.post("/v1/queue/claim", json={"agent_id": agent}, headers=auth).is_success

    # Both billing agents busy, one customer waiting, 3 handoffs in the last hour and the
    # team file's 12-minute handle time: the backlog is (1 + 1) * 12 / 2 = 12 minutes, and
    # Erlang C for 0.6 Erlangs on 2 slots only C(2, 0.6) * 12 / 1.4 = 1.19 minutes.
    told = client.get("/v1/queue/wait", headers=auth).json()["billing"]
    assert (told["waiting"], told["slots"], told["free_slots"]) == (1, 2, 0)
    assert abs(told["erlang_minutes"] - 1.187) < 1e-3
    assert told["minutes"] == 12

    body = client.post(
        "/v1/messages", json=message(CHARGED_TWICE, customer={"name": "Maya"}), headers=auth
    ).json()
    decision, handoff = body["decision"], body["handoff"]
    assert (decision["team"], decision["matched_rules"][0]["id"]) == ("billing", "disputed-charge")
    text = handoff["text"]
    assert f'"{CHARGED_TWICE}"' in text  # the customer's own words
    assert "our Billing team" in text
    assert 'help article "Billing, charges and invoices"' in text  # what was checked
    assert "Stride Pro" not in text  # and nothing that was not
    assert "Warranty" not in text
    assert "about 12 minutes" in text
    assert handoff["wait"]["minutes"] == 12
    assert "won't need to repeat anything" in text
