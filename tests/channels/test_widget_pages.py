"""The script, the style, the demo shop, and CORS for sites that embed the widget."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from relaydesk.app import create_app
from relaydesk.channels.pages import STATIC
from relaydesk.settings import Settings

SHOP = "https://shop.example"
# The contract with browser tests and with shops that style the widget.
DOM_IDS = ("relaydesk-widget", "relaydesk-open", "relaydesk-input", "relaydesk-send",
           "relaydesk-messages")  # fmt: skip
CLASSES = ("rd-msg", "rd-customer", "rd-ai", "rd-handoff", "rd-human", "rd-source")


def test_the_script_and_style_are_served(client: TestClient) -> None:
    script = client.get("/widget/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    for dom_id in DOM_IDS:
        assert f'id: "{dom_id}"' in script.text
    style = client.get("/widget/widget.css")
    assert style.headers["content-type"].startswith("text/css")
    for name in CLASSES:
        assert f".{name} {{" in style.text
    assert '"rd-msg rd-" + role' in script.text  # role: customer, ai, handoff or human


def test_the_script_never_renders_text_as_html() -> None:
    script = (STATIC / "widget.js").read_text()
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script
    assert "textContent" in script


def test_the_demo_shop_embeds_the_widget_like_a_customer_site(client: TestClient) -> None:
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (302, "/demo")
    page = client.get("/demo")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Stride Running Co." in page.text
    assert re.search(r'<script src="/widget/widget\.js\?v=[^"]+"[^>]* defer>', page.text)
    external = re.findall(r'<[a-z]+ [^>]*(?:src|href)="(?:https?:)?//|url\(|@import', page.text)
    assert external == [], "the demo page loads nothing from other hosts"


def test_allowed_origins_get_cors_headers_even_on_errors(settings: Settings) -> None:
    shop = settings.model_copy(update={"widget_allowed_origins": [SHOP]})
    with TestClient(create_app(shop)) as client:
        preflight = client.options("/widget/v1/messages", headers={
            "Origin": SHOP, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})  # fmt: skip
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == SHOP
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "Authorization" in preflight.headers["access-control-allow-headers"]

        created = client.post("/widget/v1/sessions", json={}, headers={"Origin": SHOP})
        assert created.headers["access-control-allow-origin"] == SHOP
        assert "access-control-allow-credentials" not in created.headers
        refused = client.post("/widget/v1/messages", json={"text": ""}, headers={"Origin": SHOP})
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == SHOP
        assert refused.headers["access-control-expose-headers"] == "Retry-After"

        elsewhere = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        denied = client.options("/widget/v1/messages", headers=elsewhere)
        assert "access-control-allow-origin" not in denied.headers
        other = client.post(
            "/widget/v1/sessions", json={}, headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
        assert "Origin" in other.headers["vary"]


def test_no_origin_is_allowed_by_default(client: TestClient) -> None:
    response = client.post("/widget/v1/sessions", json={}, headers={"Origin": SHOP})
    assert response.status_code == 201
    assert "access-control-allow-origin" not in response.headers


def test_the_widget_api_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/widget/v1/sessions", "/widget/v1/messages", "/widget/v1/events"} <= set(paths)
    assert "options" not in paths["/widget/v1/messages"]
    assert "/demo" not in paths
