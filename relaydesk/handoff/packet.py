"""The agent-facing context packet: everything the person taking over needs, in one value.

Who the customer is, everything they wrote, the signals with their evidence, the rules that
sent it to a person, what the AI read and answered, the wait the customer was told, and what
to do next — so that nobody asks the customer to explain again. It is stored with the
handoff event.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from relaydesk.conversations.models import Source
from relaydesk.conversations.turn import CustomerContext, Turn
from relaydesk.handoff.compose import quote_ask
from relaydesk.handoff.relevance import is_relevant, topic_words
from relaydesk.handoff.steps import StepTable, shipped_steps, suggest
from relaydesk.policy.decision import Decision
from relaydesk.queue.wait import WaitEstimate
from relaydesk.resolver.types import ActionTaken, Attempt
from relaydesk.signals.types import Signals

FLAGS = ("human_request", "manager_request", "legal_threat", "urgency", "frustration")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PacketSignal(Frozen):
    name: str
    value: bool | int | float | str
    score: float | None = None
    evidence: tuple[str, ...] = ()


class PacketRule(Frozen):
    id: str
    owner: str
    description: str
    why: str


class PacketDecision(Frozen):
    route: str
    team: str | None
    priority: str
    rules: tuple[PacketRule, ...]  # every rule that fired; the first decided
    policy_name: str
    policy_version: str
    arm: str | None = None


class PacketArticle(Frozen):
    title: str
    heading: str
    url: str | None
    rank: int  # 1 = the best retrieval score
    cited: bool  # the AI's answer quoted it
    relevant: bool  # it bears on the question (named to the customer as checked)


class PacketAttempt(Frozen):
    has_answer: bool
    answer: str | None  # what the AI would have said, if it had an answer
    confidence: float
    coverage: float
    articles: tuple[PacketArticle, ...]


class ContextPacket(Frozen):
    summary: str
    locale: str  # the customer's language: reply in it
    customer: CustomerContext
    messages: tuple[str, ...]  # everything the customer wrote here, oldest first
    signals: tuple[PacketSignal, ...]
    decision: PacketDecision
    ai_attempt: PacketAttempt | None  # None when the path failed before the AI tried
    wait: WaitEstimate | None  # the wait the customer was told
    suggested_next_steps: tuple[str, ...]
    # What the path did with the AI's proposed actions: run, refused or waiting for approval,
    # with the policies that decided and what each returned.
    actions: tuple[ActionTaken, ...] = ()


def build_packet(
    turn: Turn,
    signals: Signals | None,
    attempt: Attempt | None,
    decision: Decision,
    steps: StepTable | None = None,
) -> ContextPacket:
    """The packet for a handoff. ``signals`` and ``attempt`` are None when a stage failed."""
    return ContextPacket(
        summary=summarize(turn, decision),
        locale=turn.locale,
        customer=turn.customer,
        messages=customer_messages(turn),
        signals=packet_signals(signals) if signals is not None else (),
        decision=packet_decision(decision),
        ai_attempt=packet_attempt(turn.text, attempt) if attempt is not None else None,
        wait=turn.waits.get(decision.team) if decision.team else None,
        suggested_next_steps=suggest(steps or shipped_steps(), signals, decision, turn.customer),
        actions=attempt.actions if attempt is not None else (),
    )


def summarize(turn: Turn, decision: Decision) -> str:
    customer = turn.customer
    name = customer.name or customer.attributes.get("name")
    who = str(name) if name else "The customer"
    if customer.vip:
        who += " (VIP)"
    elif customer.tier:
        who += f" ({customer.tier} tier)"
    ask = quote_ask(turn.text)
    asked = f'{who} asked: "{ask}"' + ("" if ask[-1:] in ("?", "!", ".", "…") else ".")
    if not decision.matched_rules:
        return asked
    rule = decision.matched_rules[0]
    return f"{asked} It came to a person because {rule.reason} (rule {rule.id}, {rule.owner})."


def customer_messages(turn: Turn) -> tuple[str, ...]:
    earlier = (entry.text for entry in turn.history if entry.source == Source.CUSTOMER)
    return (*earlier, turn.text)


def packet_signals(signals: Signals) -> tuple[PacketSignal, ...]:
    """The category, and every other signal that fired or found evidence."""
    category = signals.category
    found = [
        PacketSignal(
            name="category",
            value=category.name,
            score=category.confidence,
            evidence=category.evidence,
        )
    ]
    for name in FLAGS:
        signal = getattr(signals, name)
        if signal.value or signal.evidence:
            found.append(PacketSignal(name=name, **signal.model_dump()))
    if signals.repeat_ask.count:
        repeat = signals.repeat_ask
        found.append(PacketSignal(name="repeat_ask", value=repeat.count, evidence=repeat.evidence))
    if signals.amount.value:
        amount = signals.amount
        found.append(PacketSignal(name="amount", value=amount.value, evidence=amount.evidence))
    return tuple(found)


def packet_decision(decision: Decision) -> PacketDecision:
    return PacketDecision(
        route=decision.route.value,
        team=decision.team,
        priority=decision.priority,
        rules=tuple(
            PacketRule(id=r.id, owner=r.owner, description=r.description, why=r.reason)
            for r in decision.matched_rules
        ),
        policy_name=decision.policy_name,
        policy_version=decision.policy_version,
        arm=decision.arm,
    )


def packet_attempt(text: str, attempt: Attempt) -> PacketAttempt:
    asked = topic_words(text)
    articles = tuple(
        PacketArticle(
            title=c.title,
            heading=c.heading,
            url=c.url,
            rank=rank,
            cited=c in attempt.citations,
            relevant=is_relevant(c, asked),
        )
        for rank, c in enumerate(attempt.checked, start=1)
    )
    return PacketAttempt(
        has_answer=attempt.has_answer,
        answer=attempt.answer,
        confidence=attempt.confidence,
        coverage=attempt.coverage,
        articles=articles,
    )
