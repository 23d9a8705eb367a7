"""The inbox: what waits, in claim order, with SLA timers; claiming the next; status."""

from __future__ import annotations

import re
from collections.abc import Callable

from workspace_support import BrowserFactory

ROW = re.compile(r'<tr class="inbox-row[^"]*" data-conversation-id="([^"]+)" data-state="(\w+)"')


def rows(html: str) -> list[tuple[str, str]]:
    return ROW.findall(html)


def test_the_inbox_lists_a_handed_over_conversation_with_its_sla(
    browser: BrowserFactory, handed_over: Callable[..., str]
) -> None:
    conversation_id = handed_over(name="Dana Reyes")
    maya = browser("Maya")
    page = maya.client.get("/workspace")
    assert page.status_code == 200
    assert rows(page.text) == [(conversation_id, "waiting")]
    assert "Dana Reyes" in page.text
    assert "Customer care" in page.text  # the team's label
    assert 'class="badge sla-ok"' in page.text
    assert "29 min left" in page.text or "30 min left" in page.text  # frontline: 30 min
    assert f'href="/workspace/conversations/{conversation_id}"' in page.text
    assert 'class="inbox-open"' in page.text


def test_waiting_rows_come_in_claim_order(
    browser: BrowserFactory, handed_over: Callable[..., str]
) -> None:
    first, second = handed_over(name="First"), handed_over(name="Second")
    maya = browser("Maya")
    fragment = maya.client.get("/workspace/inbox/rows", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert [cid for cid, _ in rows(fragment.text)] == [first, second]
    maya.post("/workspace/claim-next")
    after = rows(maya.client.get("/workspace/inbox/rows").text)
    assert after == [(second, "waiting"), (first, "mine")]


def test_claim_next_opens_the_top_conversation(
    browser: BrowserFactory, handed_over: Callable[..., str]
) -> None:
    conversation_id = handed_over()
    maya = browser("Maya")
    response = maya.post("/workspace/claim-next", team="mine")
    assert response.status_code == 200
    location = f"/workspace/conversations/{conversation_id}"
    assert response.headers["HX-Redirect"] == location
    plain = maya.post("/workspace/claim-next", htmx=False)
    assert plain.status_code == 422
    assert "Nothing is waiting in your teams" in plain.text


def test_claim_next_says_why_there_is_nothing(browser: BrowserFactory) -> None:
    maya = browser("Maya")
    response = maya.post("/workspace/claim-next")
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#flash"
    assert 'id="flash"' in response.text
    assert 'role="alert"' in response.text
    assert "Nothing is waiting" in response.text


def test_an_away_agent_cannot_claim(
    browser: BrowserFactory, handed_over: Callable[..., str]
) -> None:
    handed_over()
    maya = browser("Maya")
    toggled = maya.post("/workspace/status", status="away")
    assert 'id="status-toggle">Set available<' in toggled.text
    refused = maya.post("/workspace/claim-next")
    assert refused.status_code == 409
    assert "is away, not available" in refused.text
    maya.post("/workspace/status", status="available")
    assert maya.post("/workspace/claim-next").status_code == 200


def test_others_see_who_owns_a_conversation(
    browser: BrowserFactory, handed_over: Callable[..., str]
) -> None:
    conversation_id = handed_over()
    maya, omar = browser("Maya"), browser("Omar")
    maya.post("/workspace/claim-next")
    page = omar.client.get("/workspace").text
    assert rows(page) == [(conversation_id, "others")]
    assert "With others" in page
    assert "Maya" in page


def test_customer_text_is_escaped_in_the_inbox(
    browser: BrowserFactory, handed_over: Callable[..., str]
) -> None:
    handed_over("let me talk to a real person <script>alert(1)</script>", name="<b>Eve</b>")
    page = browser("Maya").client.get("/workspace").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Eve</b>" not in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page
