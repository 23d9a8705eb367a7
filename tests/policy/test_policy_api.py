"""The policy and decision endpoints, through the HTTP app, on both databases."""

from __future__ import annotations

from factories import message, policy_source, rule
from fastapi.testclient import TestClient

ALWAYS_PERSON = policy_source(rule("everyone-to-a-person", "true", team="api-team"), version="a1")


def test_the_active_policy_is_the_seeded_default(client: TestClient, auth: dict[str, str]) -> None:
    body = client.get("/v1/policy", headers=auth).json()
    assert body["version"]["name"] == "default"
    assert body["rules"][0]["id"] == "already-with-person"  # highest priority first
    assert body["thresholds"]["refunds"] == 0.8
    assert body["high_risk_categories"] == ["account_closure", "fraud"]
    assert body["pilot"] is None


def test_an_invalid_policy_is_refused_with_lines_and_nothing_changes(
    client: TestClient, auth: dict[str, str]
) -> None:
    before = client.get("/v1/policy", headers=auth).json()["version"]["hash"]
    source = policy_source(rule("typo", "signals.human_requets.value"))
    response = client.post("/v1/policy/versions", json={"source": source}, headers=auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_policy"
    problem = error["details"]["problems"][0]
    assert "did you mean 'signals.human_request.value'" in problem["message"]
    assert problem["rule"] == "typo"
    assert problem["line"] > 1
    bad_yaml = client.post("/v1/policy/versions", json={"source": "rules: [a"}, headers=auth)
    assert bad_yaml.status_code == 422
    assert "not valid YAML" in bad_yaml.json()["error"]["details"]["problems"][0]["message"]
    assert client.get("/v1/policy", headers=auth).json()["version"]["hash"] == before


def test_a_loaded_version_serves_the_next_message_and_rollback_restores(
    client: TestClient, auth: dict[str, str]
) -> None:
    loaded = client.post("/v1/policy/versions", json={"source": ALWAYS_PERSON}, headers=auth)
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["created"]
    assert loaded.json()["version"]["created_by"] == "api:tests"
    result = client.post("/v1/messages", json=message(), headers=auth).json()
    assert (result["decision"]["route"], result["decision"]["team"]) == ("handoff", "api-team")
    assert result["decision"]["policy_version"] == "a1"
    history = client.get("/v1/policy/versions", headers=auth).json()
    assert [entry["reason"] for entry in history] == ["load", "seed"]
    detail = client.get(f"/v1/policy/versions/{loaded.json()['version']['id']}", headers=auth)
    assert "+    when: 'true'" in detail.json()["diff"] or "when: 'true'" in detail.json()["source"]
    back = client.post("/v1/policy/rollback", json={}, headers=auth)
    assert back.status_code == 200
    assert back.json()["name"] == "default"
    again = client.post("/v1/messages", json=message(), headers=auth).json()
    assert again["decision"]["route"] == "ai_reply"


def test_check_reports_problems_without_loading(client: TestClient, auth: dict[str, str]) -> None:
    source = policy_source(rule("no-owner", "true"))
    ok = client.post("/v1/policy/check", json={"source": source}, headers=auth).json()
    assert ok["ok"] is True
    broken = source.replace("owner: qa\n  description: test rule no-owner", "description: x")
    report = client.post("/v1/policy/check", json={"source": broken}, headers=auth).json()
    assert report["ok"] is False
    assert any("owner" in problem["message"] for problem in report["problems"])


def test_decisions_are_listed_explained_and_take_outcomes(
    client: TestClient, auth: dict[str, str]
) -> None:
    answered = client.post("/v1/messages", json=message(), headers=auth).json()
    handed = client.post("/v1/messages", json=message("I want a human"), headers=auth).json()
    page = client.get("/v1/decisions", params={"limit": 1}, headers=auth).json()
    assert [item["seq"] for item in page["items"]] == [handed["decision"]["record"]]
    rest = client.get("/v1/decisions", params={"cursor": page["next_cursor"]}, headers=auth)
    assert [item["seq"] for item in rest.json()["items"]] == [answered["decision"]["record"]]
    only = client.get("/v1/decisions", params={"route": "handoff"}, headers=auth).json()
    assert [item["rules"][0] for item in only["items"]] == ["person-on-request"]

    seq = handed["decision"]["record"]
    detail = client.get(f"/v1/decisions/{seq}", headers=auth).json()
    assert detail["facts"]["signals"]["human_request"]["value"] is True
    assert detail["decision"]["matched_rules"][0]["owner"] == "support-leadership"
    assert len(detail["hash"]) == 64

    verdict = {"kind": "escalation_unnecessary", "note": "the FAQ covered it"}
    posted = client.post(f"/v1/decisions/{seq}/outcomes", json=verdict, headers=auth)
    assert posted.status_code == 201, posted.text
    csat = client.post(f"/v1/decisions/{seq}/outcomes", json={"kind": "csat", "value": 9},
                       headers=auth)  # fmt: skip
    assert csat.status_code == 422
    assert "1" in csat.json()["error"]["message"]
    outcomes = client.get(f"/v1/decisions/{seq}", headers=auth).json()["outcomes"]
    assert [(o["kind"], o["actor"]) for o in outcomes] == [("escalation_unnecessary", "api:tests")]


def test_decision_errors_are_clear(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/v1/decisions/999999", headers=auth).status_code == 404
    bad_cursor = client.get("/v1/decisions", params={"cursor": "abc"}, headers=auth)
    assert bad_cursor.status_code == 400
    naive = client.get("/v1/decisions", params={"since": "2026-01-01T00:00:00"}, headers=auth)
    assert naive.status_code == 400
    assert "time zone" in naive.json()["error"]["message"]
    unknown = client.post("/v1/decisions/1/outcomes", json={"kind": "great"}, headers=auth)
    assert unknown.status_code == 422


def test_a_pilot_starts_reports_and_stops(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/v1/policy/pilot", headers=auth).status_code == 404
    version = client.post("/v1/policy/versions", json={"source": ALWAYS_PERSON}, headers=auth)
    client.post("/v1/policy/rollback", json={}, headers=auth)
    started = client.post(
        "/v1/policy/pilot",
        json={"version_id": version.json()["version"]["id"], "share": 1.0},
        headers=auth,
    )
    assert started.status_code == 201, started.text
    for _ in range(10):
        client.post("/v1/messages", json=message(), headers=auth)
    status = client.get("/v1/policy/pilot", headers=auth).json()
    arms = {arm["arm"]: arm for arm in status["arms"]}
    assert arms["candidate"]["handoff_rate"] == 1.0
    assert sum(arm["decisions"] for arm in arms.values()) == 10
    assert client.post("/v1/policy/pilot", json={"version_id": 1, "share": 0.2},
                       headers=auth).status_code == 409  # fmt: skip
    assert client.post("/v1/policy/pilot", json={"version_id": 1, "share": 0},
                       headers=auth).status_code == 422  # fmt: skip
    assert client.delete("/v1/policy/pilot", headers=auth).status_code == 200
    assert client.get("/v1/policy", headers=auth).json()["pilot"] is None


def test_resolving_a_conversation_the_ai_kept_marks_it_resolved_by_ai(
    client: TestClient, auth: dict[str, str]
) -> None:
    answered = client.post("/v1/messages", json=message(), headers=auth).json()
    conversation = answered["conversation_id"]
    resolved = client.post(f"/v1/conversations/{conversation}/resolve", headers=auth)
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    again = client.post(f"/v1/conversations/{conversation}/resolve", headers=auth)
    assert again.status_code == 200
    detail = client.get(f"/v1/decisions/{answered['decision']['record']}", headers=auth).json()
    assert [o["kind"] for o in detail["outcomes"]] == ["resolved_by_ai"]
    missing = client.post("/v1/conversations/nope/resolve", headers=auth)
    assert missing.status_code == 404


def test_a_dead_rule_or_an_unknown_category_blocks_loading(
    client: TestClient, auth: dict[str, str]
) -> None:
    shadowed = policy_source(
        rule("any-person", "signals.human_request.value || signals.manager_request.value"),
        rule("person-only", "signals.human_request.value", team="never"),
    )
    response = client.post("/v1/policy/versions", json={"source": shadowed}, headers=auth)
    assert response.status_code == 422
    problems = response.json()["error"]["details"]["problems"]
    assert [p["rule"] for p in problems] == ["person-only"]
    assert "can never fire" in problems[0]["message"]
    typo = policy_source(thresholds={"default": 0.6, "categories": {"refund": 0.9}})
    refused = client.post("/v1/policy/versions", json={"source": typo}, headers=auth)
    assert refused.status_code == 422
    assert "did you mean 'refunds'" in refused.json()["error"]["details"]["problems"][0]["message"]
    assert client.get("/v1/policy", headers=auth).json()["version"]["name"] == "default"


def test_out_of_range_and_unstorable_input_is_a_clear_4xx(
    client: TestClient, auth: dict[str, str]
) -> None:
    huge = "99999999999999999999"
    for path in (f"/v1/decisions/{huge}", f"/v1/policy/versions/{huge}"):
        assert client.get(path, headers=auth).status_code == 422, path
    assert client.get("/v1/decisions", params={"cursor": huge}, headers=auth).status_code == 400
    nul = client.post("/v1/policy/check", json={"source": "name: a\x00b"}, headers=auth)
    assert nul.status_code == 422
    surrogate = '{"source": "name: \\ud800"}'
    lone = client.post(
        "/v1/policy/versions",
        content=surrogate,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert lone.status_code == 422
    pilot = {"version_id": 2**40, "share": 0.5}
    assert client.post("/v1/policy/pilot", json=pilot, headers=auth).status_code == 422
    rollback = client.post("/v1/policy/rollback", json={"to": 2**40}, headers=auth)
    assert rollback.status_code == 422
