"""The whole handoff in a real browser: widget → handoff with a wait → workspace → reply.

Runs ``relaydesk serve --demo`` as a process and drives Debian's Chromium through Playwright.
Set ``RELAYDESK_SCREENSHOT_DIR=docs/screenshots`` to refresh the README's screenshots.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from support.demo_server import DemoServer, demo_server

CHROMIUM = Path("/usr/bin/chromium")
ASK = "This is the third time I'm asking. Can I please talk to a real person?"
REPLY = "Hi, I'm Ava from customer care. I've read everything above; let's sort this out."
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with demo_server(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("RELAYDESK_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one


def test_a_customer_asks_for_a_person_and_an_agent_replies(
    server: DemoServer, browser: Browser, tmp_path: Path
) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    viewport = {"width": 1280, "height": 860}

    # The customer, on the demo shop's page, opens the chat and asks for a person.
    customer = browser.new_context(viewport=viewport).new_page()
    customer.goto(f"{server.url}/demo")
    customer.click("#relaydesk-open")
    customer.fill("#relaydesk-input", ASK)
    customer.click("#relaydesk-send")
    handoff = customer.locator(".rd-msg.rd-handoff")
    expect(handoff).to_be_visible()
    expect(handoff).to_contain_text("Customer care")
    expect(handoff).to_contain_text(re.compile(r"about \d+ minutes?"))
    expect(handoff).to_contain_text("won't need to repeat anything")
    expect(customer.locator(".rd-msg.rd-customer").first).to_contain_text(ASK)
    screenshot(customer, "widget-handoff", tmp_path)

    # The wait the customer was told is the one the live queue gives for the team now.
    waits = httpx.get(
        f"{server.url}/v1/queue/wait", headers={"Authorization": f"Bearer {server.api_key}"}
    ).json()
    expect(handoff).to_contain_text(f"about {waits['frontline']['minutes']} minute")

    # An agent signs in; the conversation is at the top of the inbox.
    agent = browser.new_context(viewport=viewport).new_page()
    agent.goto(f"{server.url}/workspace")
    agent.fill("#login-email", "ava@stride.example")
    agent.fill("#login-password", server.password)
    agent.click("#login-submit")
    top = agent.locator(".inbox-row").first
    expect(top).to_contain_text("talk to a real person")
    screenshot(agent, "workspace-inbox", tmp_path)

    # The conversation with its context packet; claim and reply.
    top.locator(".inbox-open").click()
    packet = agent.locator("#context-packet")
    expect(packet).to_be_visible()
    expect(agent.locator("#packet-summary")).to_contain_text("person")
    expect(agent.locator("#packet-rules")).to_contain_text("person-on-request")
    expect(agent.locator("#packet-signals")).to_contain_text("talk to a real person")
    expect(agent.locator("#transcript .event-customer").first).to_contain_text(ASK)
    agent.click("#claim-button")
    expect(agent.locator("#owner-controls")).not_to_have_attribute("data-claim-token", "0")
    expect(agent.locator("#reply-text")).to_be_enabled()
    agent.fill("#reply-text", REPLY)
    agent.click("#reply-send")
    expect(agent.locator("#transcript .event-human").last).to_contain_text(REPLY)
    screenshot(agent, "workspace-conversation", tmp_path)

    # The customer sees the reply, with the agent's name, without reloading.
    human = customer.locator(".rd-msg.rd-human")
    expect(human).to_contain_text(REPLY)
    expect(human).to_contain_text("Ava")
    screenshot(customer, "widget-reply", tmp_path)
