"""In-process token buckets for the public widget API.

Each key (a client IP, a visitor) has a bucket of ``burst`` tokens that refills at
``per_minute``; a request takes one token, and a request that finds none is refused with the
seconds until one is back (``Retry-After``).

The buckets live in this process's memory. Behind a load balancer with N workers a client gets
up to N times the limit; set the limit to (wanted / N), or let the proxy's own limiter carry the
hard limit and keep this one as a backstop. Memory is bounded: a bucket that has refilled is the
same as no bucket and is dropped, and past ``max_keys`` the longest-idle bucket goes first (that
key starts again with a full bucket).

The client IP is ``request.client.host``: behind a reverse proxy, run uvicorn with
``--forwarded-allow-ips`` set to the proxy's address so that it is the visitor's, not the proxy's.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from relaydesk.errors import RelaydeskError
from relaydesk.settings import Settings

Clock = Callable[[], float]
MAX_KEYS = 50_000


class RateLimited(RelaydeskError):
    """Too many requests; ``retry_after`` is whole seconds until the next one is accepted."""

    status_code: ClassVar[int] = 429
    code: ClassVar[str] = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many requests; try again in {retry_after} seconds", retry_after=retry_after
        )
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key: ``per_minute`` sustained, up to ``burst`` at once. Thread-safe."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_keys: int = MAX_KEYS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}  # least recently used first
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 if there was one, else the seconds until there is."""
        with self._lock:
            now = self.clock()
            bucket = self._buckets.pop(key, None)
            tokens = self.burst if bucket is None else self._refilled(bucket, now)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[key] = _Bucket(tokens - 1 if tokens >= 1 else tokens, now)
            self._evict(now)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)

    def _refilled(self, bucket: _Bucket, now: float) -> float:
        return min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)

    def _evict(self, now: float) -> None:
        # Oldest first; stop at the first bucket that still holds back a key (amortised O(1)).
        while self._buckets:
            key, bucket = next(iter(self._buckets.items()))
            if len(self._buckets) <= self.max_keys and self._refilled(bucket, now) < self.burst:
                return
            del self._buckets[key]


class WidgetLimits:
    """The widget's limits: sends (sessions, messages) and polls, per visitor and per IP."""

    def __init__(self, settings: Settings, clock: Clock = time.monotonic) -> None:
        ip = settings.widget_ip_multiplier
        send, burst = settings.widget_rate_per_minute, settings.widget_burst
        poll = settings.widget_poll_per_minute
        poll_burst = max(1, poll // 6)  # ten seconds' worth
        self.sends = RateLimiter(send, burst, clock=clock)
        self.sends_by_ip = RateLimiter(send * ip, burst * ip, clock=clock)
        self.polls = RateLimiter(poll, poll_burst, clock=clock)
        self.polls_by_ip = RateLimiter(poll * ip, poll_burst * ip, clock=clock)

    def check_send(self, *, ip: str | None = None, visitor: str | None = None) -> None:
        """Take a send token for each key given; ``RateLimited`` (429) if one has none."""
        _check(self.sends_by_ip, ip)
        _check(self.sends, visitor)

    def check_poll(self, *, ip: str | None = None, visitor: str | None = None) -> None:
        _check(self.polls_by_ip, ip)
        _check(self.polls, visitor)


def _check(limiter: RateLimiter, key: str | None) -> None:
    if key is None:
        return
    wait = limiter.take(key)
    if wait > 0:
        raise RateLimited(max(1, math.ceil(wait)))
