"""The README's first command: ``relaydesk serve --demo`` answers and hands over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.demo_server import demo_server


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with demo_server(tmp_path) as server:
        yield server.url, server.api_key


def test_serve_demo_answers_and_hands_over(demo: tuple[str, str]) -> None:
    url, key = demo
    headers = {"Authorization": f"Bearer {key}"}
    answer = httpx.post(f"{url}/v1/messages", headers=headers,
                        json={"channel": "web", "text": "How do I reset my password?"})  # fmt: skip
    assert answer.status_code == 201
    assert answer.json()["decision"]["route"] == "ai_reply"
    person = httpx.post(f"{url}/v1/messages", headers=headers,
                        json={"channel": "web", "text": "I need to talk to a person"})  # fmt: skip
    assert person.json()["decision"]["route"] == "handoff"
