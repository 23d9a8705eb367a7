"""Token buckets with a hand-turned clock: refill, bursts, Retry-After and bounded memory."""

from __future__ import annotations

import pytest

from relaydesk.channels.ratelimit import RateLimited, RateLimiter, WidgetLimits
from relaydesk.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_sustained_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=30, burst=3, clock=clock)  # a token every 2 s
    assert [limiter.take("ip") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("ip") == pytest.approx(2.0)
    clock.now += 1.0
    assert limiter.take("ip") == pytest.approx(1.0)  # half a token back, half to go
    clock.now += 1.0
    assert limiter.take("ip") == 0.0


def test_a_refused_request_costs_nothing_and_keys_are_separate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=1, clock=clock)
    assert limiter.take("a") == 0.0
    for _ in range(5):
        assert limiter.take("a") == pytest.approx(1.0)
    assert limiter.take("b") == 0.0
    clock.now += 1.0
    assert limiter.take("a") == 0.0


def test_a_bucket_never_holds_more_than_its_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    limiter.take("ip")
    clock.now += 3600
    assert [limiter.take("ip") for _ in range(3)][-1] > 0


def test_idle_buckets_are_dropped_and_the_table_is_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, max_keys=100, clock=clock)
    for index in range(50):
        limiter.take(f"visitor-{index}")
    assert len(limiter) == 50
    clock.now += 2.0  # every bucket has refilled: the same as no bucket
    limiter.take("newcomer")
    assert len(limiter) == 1
    for index in range(500):
        limiter.take(f"flood-{index}")
    assert len(limiter) <= 100


def test_widget_limits_name_the_seconds_to_wait() -> None:
    settings = Settings(widget_rate_per_minute=2, widget_burst=1, widget_ip_multiplier=2)
    limits = WidgetLimits(settings, clock=Clock())
    limits.check_send(ip="10.0.0.1", visitor="v1")
    with pytest.raises(RateLimited) as refused:
        limits.check_send(visitor="v1")
    assert refused.value.retry_after == 30
    assert refused.value.status_code == 429
    assert refused.value.to_dict()["error"]["code"] == "rate_limited"
    limits.check_send(ip="10.0.0.1")  # the IP allows two visitors' worth
    with pytest.raises(RateLimited):
        limits.check_send(ip="10.0.0.1")
    limits.check_poll(ip="10.0.0.1", visitor="v1")  # polling is counted apart
