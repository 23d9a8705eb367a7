"""Small builders for the values a handoff is composed from."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from relaydesk.conversations.turn import Turn
from relaydesk.policy.decision import Decision, MatchedRule, Route
from relaydesk.queue.wait import WaitEstimate
from relaydesk.resolver.attempt import Attempt, Citation
from relaydesk.signals.types import CategorySignal, RepeatAsk, Signal, Signals

PARIS = ZoneInfo("Europe/Paris")
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=PARIS)
QUIET = Signal(value=False, score=0.0)

BILLING_ARTICLE = Citation(
    article_id="kb-billing-payments",
    title="Billing, charges and invoices",
    version=1,
    url="https://help.example/billing",
    heading="Seeing two charges",
)
SHIPPING_ARTICLE = Citation(
    article_id="kb-shipping",
    title="Shipping times and costs",
    version=1,
    url="https://help.example/shipping",
    heading="How long delivery takes",
)
WARRANTY_ARTICLE = Citation(
    article_id="kb-warranty",
    title="Warranty and faulty shoes",
    version=1,
    url="https://help.example/warranty",
    heading="What our warranty covers",
)


def wait(
    minutes: int | None = 4,
    *,
    team: str = "billing",
    label: str = "Billing",
    open: bool = True,
    opens_at: datetime | None = None,
) -> WaitEstimate:
    return WaitEstimate(
        team=team,
        label=label,
        open=open,
        staffed=minutes is not None,
        minutes=minutes,
        opens_at=opens_at,
    )


def with_waits(turn: Turn, *waits: WaitEstimate, locale: str = "en") -> Turn:
    return turn.model_copy(
        update={"waits": {w.team: w for w in waits}, "locale": locale, "received_at": SATURDAY_NOON}
    )


def signals(
    category: str = "payment_dispute", repeat: int = 0, **fired: tuple[str, ...]
) -> Signals:
    """Quiet signals, except those named, which fire with the given evidence."""
    values = {
        name: Signal(value=True, score=1.0, evidence=fired[name]) if name in fired else QUIET
        for name in ("human_request", "manager_request", "legal_threat", "urgency", "frustration")
    }
    return Signals(
        category=CategorySignal(name=category, confidence=0.7, evidence=("charged twice",)),
        repeat_ask=RepeatAsk(count=repeat, evidence=("asked before",) if repeat else ()),
        **values,
    )


def attempt(*checked: Citation, cited: tuple[Citation, ...] = ()) -> Attempt:
    return Attempt(
        has_answer=bool(cited),
        answer="We charge your card when you order." if cited else None,
        confidence=0.4,
        coverage=0.4,
        citations=cited,
        checked=checked,
    )


def decision(team: str | None = "billing", *rules: MatchedRule) -> Decision:
    return Decision(
        route=Route.HANDOFF,
        team=team,
        priority="high",
        matched_rules=rules
        or (
            MatchedRule(
                id="disputed-charge",
                owner="billing-lead",
                description="A disputed charge needs someone who can see the payments.",
                reason="the customer disputes a charge",
            ),
        ),
        policy_name="default",
        policy_version="7",
    )
