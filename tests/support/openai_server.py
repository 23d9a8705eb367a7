"""A real HTTP server speaking OpenAI's Chat Completions and Anthropic's Messages wire formats.

Each test scripts the replies (text, an HTTP error, or a stall longer than the client's
timeout) and reads back the requests the SDKs actually sent. It listens on a free port on
127.0.0.1, in a thread, so the providers are exercised through their real SDKs and sockets.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Script:
    """One scripted reply: text, or an HTTP ``status`` error, after ``delay`` seconds."""

    text: str = ""
    status: int = 200
    delay: float = 0.0
    finish_reason: str = "stop"  # OpenAI's; mapped to Anthropic's stop_reason


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]


@dataclass
class FakeModelServer:
    url: str  # http://127.0.0.1:<port>
    replies: deque[Script] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)

    def script(self, *replies: Script | str) -> None:
        self.replies.extend(r if isinstance(r, Script) else Script(text=r) for r in replies)

    def next_reply(self) -> Script:
        return self.replies.popleft() if self.replies else Script(status=500, text="no script")


_ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens"}


def chat_completion(body: dict[str, Any], reply: Script) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
    }


def anthropic_message(body: dict[str, Any], reply: Script) -> dict[str, Any]:
    return {
        "id": f"msg_{time.monotonic_ns()}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "test-model"),
        "content": [{"type": "text", "text": reply.text}],
        "stop_reason": _ANTHROPIC_STOP.get(reply.finish_reason, reply.finish_reason),
        "stop_sequence": None,
        "usage": {"input_tokens": 42, "output_tokens": 7},
    }


def _error(message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": "api_error", "message": message}}


def _handler(server: FakeModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # quiet

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.requests.append(Recorded(self.path, headers, body))
            reply = server.next_reply()
            time.sleep(reply.delay)
            if self.path.endswith("/chat/completions"):
                payload = chat_completion(body, reply)
            elif self.path.endswith("/messages"):
                payload = anthropic_message(body, reply)
            else:
                reply = Script(status=404, text=f"no route {self.path}")
            if reply.status != 200:
                payload = _error(reply.text)
            self._send(reply.status, payload)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to tell it

    return Handler


@contextmanager
def fake_model_server() -> Iterator[FakeModelServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.daemon_threads = True
    server = FakeModelServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(server)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
