"""``relaydesk serve --demo`` as a real process on a free port, for end-to-end tests.

It is started exactly as the README says, and the demo API key and the demo agents' password
are read from what it prints, as a newcomer would read them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.postgres import free_port

START_SECONDS = 60


@dataclass(frozen=True)
class DemoServer:
    url: str
    api_key: str
    password: str  # every demo agent's, e.g. ava@stride.example
    output: list[str]


@contextmanager
def demo_server(workdir: Path, **env: str) -> Iterator[DemoServer]:
    port = free_port()
    command = [sys.executable, "-m", "relaydesk", "serve", "--demo", "--port", str(port)]
    environment = {
        **os.environ,
        "RELAYDESK_DATABASE_URL": f"sqlite:///{workdir / 'demo.db'}",
        "COLUMNS": "200",  # rich must not wrap the printed key
        **env,
    }
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    key = password = None
    deadline = time.monotonic() + START_SECONDS
    url = f"http://127.0.0.1:{port}"
    try:
        while (key is None or password is None) and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            if match := re.search(r"\b(rd_[A-Za-z0-9_-]{20,})", line):
                key = match.group(1)
            if match := re.search(r"with the password (\S+)", line):
                password = match.group(1)
        assert key, "".join(output)
        assert password, "".join(output)
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield DemoServer(url, key, password, output)
    finally:
        process.terminate()
        process.wait(timeout=10)
