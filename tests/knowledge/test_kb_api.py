"""The knowledge base over HTTP, on SQLite and PostgreSQL: import, versions, delete, search,
and the message path answering from what was just imported."""

from __future__ import annotations

from fastapi.testclient import TestClient

GIFT_CARDS = {
    "id": "kb-gift-cards",
    "title": "Gift cards",
    "content": "## Expiry\n\nStride gift cards never expire. You can use a gift card on any order.",
    "url": "https://help.stride.example/gift-cards",
    "category": "billing",
}


def test_import_then_answer_from_it_with_its_version(
    client: TestClient, auth: dict[str, str]
) -> None:
    created = client.post("/v1/kb/articles", json=GIFT_CARDS, headers=auth)
    assert created.status_code == 201
    assert created.json()["articles"] == [
        {"id": "kb-gift-cards", "version": 1, "outcome": "created"}
    ]
    again = client.post("/v1/kb/articles", json=GIFT_CARDS, headers=auth)
    assert (again.status_code, again.json()["unchanged"]) == (200, 1)

    hits = client.get("/v1/kb/search", params={"q": "do gift cards expire"}, headers=auth).json()
    assert hits["hits"][0]["article_id"] == "kb-gift-cards"
    assert hits["hits"][0]["version"] == 1

    edited = {
        **GIFT_CARDS,
        "content": GIFT_CARDS["content"].replace("never expire", "last 5 years"),
    }
    updated = client.post("/v1/kb/articles", json={"articles": [edited]}, headers=auth).json()
    assert updated["articles"] == [{"id": "kb-gift-cards", "version": 2, "outcome": "updated"}]

    reply = client.post(
        "/v1/messages",
        json={"channel": "web", "text": "Do Stride gift cards expire?"},
        headers=auth,
    ).json()
    assert reply["decision"]["route"] == "ai_reply", reply["decision"]
    assert "5 years" in reply["reply"]["text"]
    citation = reply["reply"]["citations"][0]
    assert (citation["article_id"], citation["version"]) == ("kb-gift-cards", 2)

    article = client.get("/v1/kb/articles/kb-gift-cards", headers=auth).json()
    assert [v["version"] for v in article["versions"]] == [1, 2]
    old = client.get("/v1/kb/articles/kb-gift-cards?version=1", headers=auth).json()
    assert "never expire" in old["content"]
    assert old["version"] == 1


def test_delete_stops_answers_but_keeps_versions(client: TestClient, auth: dict[str, str]) -> None:
    client.post("/v1/kb/articles", json=GIFT_CARDS, headers=auth)
    assert client.delete("/v1/kb/articles/kb-gift-cards", headers=auth).status_code == 204
    assert client.delete("/v1/kb/articles/kb-gift-cards", headers=auth).status_code == 404
    hits = client.get("/v1/kb/search", params={"q": "gift cards expire"}, headers=auth).json()
    assert all(hit["article_id"] != "kb-gift-cards" for hit in hits["hits"])
    gone = client.get("/v1/kb/articles/kb-gift-cards", headers=auth)
    assert gone.status_code == 404
    assert "deleted" in gone.json()["error"]["message"]
    kept = client.get("/v1/kb/articles/kb-gift-cards?version=1", headers=auth)
    assert kept.status_code == 200
    assert kept.json()["deleted"] is True


def test_the_demo_articles_are_seeded_and_listed_in_pages(
    client: TestClient, auth: dict[str, str]
) -> None:
    first = client.get("/v1/kb/articles?limit=5", headers=auth).json()
    assert len(first["articles"]) == 5
    assert first["next_cursor"]
    rest = client.get(f"/v1/kb/articles?limit=100&cursor={first['next_cursor']}", headers=auth)
    ids = [a["id"] for a in first["articles"] + rest.json()["articles"]]
    assert "kb-reset-password" in ids
    assert len(ids) == len(set(ids)) == 12


def test_bad_input_is_a_clear_4xx_and_stores_nothing(
    client: TestClient, auth: dict[str, str]
) -> None:
    cases = [
        ({"id": "x", "title": "X"}, "content"),
        ({**GIFT_CARDS, "extra": 1}, "extra"),
        ({**GIFT_CARDS, "id": "y" * 201}, "id"),
        ({**GIFT_CARDS, "title": "bad\u0000title"}, "control character"),
        ({"articles": []}, "articles"),
        ({"articles": [GIFT_CARDS, {**GIFT_CARDS, "id": "z", "content": "a\u0001b"}]}, "'z'"),
    ]
    for body, says in cases:
        response = client.post("/v1/kb/articles", json=body, headers=auth)
        assert response.status_code == 422, body
        assert says in response.json()["error"]["message"], response.json()
    assert client.get("/v1/kb/articles/kb-gift-cards", headers=auth).status_code == 404
    assert client.get("/v1/kb/search?q=", headers=auth).status_code == 422
    assert client.get("/v1/kb/search?q=x&k=0", headers=auth).status_code == 422
    assert client.get("/v1/kb/search?q=x&mode=magic", headers=auth).status_code == 422
    assert client.get("/v1/kb/articles/nope?version=0", headers=auth).status_code == 422
    assert (
        client.get("/v1/kb/articles/kb-reset-password?version=99", headers=auth).status_code == 404
    )
    assert client.post("/v1/kb/articles", json=GIFT_CARDS).status_code == 401
