"""The README's first command: ``relaydesk serve --demo`` answers and hands over."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.postgres import free_port


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    command = [sys.executable, "-m", "relaydesk", "serve", "--demo", "--port", str(port)]
    env = {**os.environ, "RELAYDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
           "COLUMNS": "200"}  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output, key = [], None
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}"
    try:
        while key is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            output.append(line)
            if match := re.search(r"\b(rd_[A-Za-z0-9_-]{20,})", line):
                key = match.group(1)
        assert key, "".join(output)
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, key
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_demo_answers_and_hands_over(demo_server: tuple[str, str]) -> None:
    url, key = demo_server
    headers = {"Authorization": f"Bearer {key}"}
    answer = httpx.post(f"{url}/v1/messages", headers=headers,
                        json={"channel": "web", "text": "How do I reset my password?"})  # fmt: skip
    assert answer.status_code == 201
    assert answer.json()["decision"]["route"] == "ai_reply"
    person = httpx.post(f"{url}/v1/messages", headers=headers,
                        json={"channel": "web", "text": "I need to talk to a person"})  # fmt: skip
    assert person.json()["decision"]["route"] == "handoff"
