"""Visitor tokens: what they carry, and why one is refused."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from relaydesk.channels.visitor import SALT, InvalidVisitorToken, Visitor, VisitorTokens

SECRET = "a-test-secret"


def test_a_token_round_trips_what_the_visitor_gave() -> None:
    tokens = VisitorTokens(SECRET, max_age_days=30)
    visitor = Visitor.new(name="Ada", locale="en")
    read = tokens.read(tokens.issue(visitor))
    assert read == visitor
    assert read.customer_id == f"web:{visitor.id}"
    assert read.conversation_id is None
    assert Visitor.new().id != Visitor.new().id


def test_an_expired_token_says_so() -> None:
    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 31 * 24 * 3600

    old = URLSafeTimedSerializer(SECRET, salt=SALT, signer=Backdated).dumps({"id": "v1"})
    with pytest.raises(InvalidVisitorToken, match="expired"):
        VisitorTokens(SECRET, max_age_days=30).read(old)
    assert VisitorTokens(SECRET, max_age_days=32).read(old).id == "v1"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        URLSafeTimedSerializer("another-secret", salt=SALT).dumps({"id": "v1"}),
        URLSafeTimedSerializer(SECRET, salt="another-salt").dumps({"id": "v1"}),
        URLSafeTimedSerializer(SECRET, salt=SALT).dumps({"id": "v1", "admin": True}),
        URLSafeTimedSerializer(SECRET, salt=SALT).dumps(["v1"]),
    ],
)
def test_a_token_not_issued_by_us_is_refused(token: str) -> None:
    with pytest.raises(InvalidVisitorToken) as refused:
        VisitorTokens(SECRET, max_age_days=30).read(token)
    assert refused.value.status_code == 401
    assert "POST /widget/v1/sessions" in refused.value.message
