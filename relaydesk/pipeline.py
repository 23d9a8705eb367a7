"""The one path of a message: signals → AI attempt → actions → policy → reply or handoff.

``run`` takes a ``Turn`` and returns an ``Outcome``. Every stage is a pure function over typed
values except the actions stage: it runs the AI's proposed actions that authorization allows,
through ``parts.actions`` (``None`` in replays and benchmarks, which keeps ``run`` pure).
Storing the message before it runs, and the outcome after, is the caller's job
(``relaydesk.conversations.service``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from relaydesk.actions.stage import authorize_and_run, to_approving_team
from relaydesk.conversations.turn import Turn
from relaydesk.handoff import (
    ContextPacket,
    HandoffMessage,
    Templates,
    build_packet,
    compose_handoff,
    plain_handoff,
    shipped_templates,
)
from relaydesk.knowledge import KnowledgeIndex
from relaydesk.policy import Decision, Policy, Route, build_facts, decide, fail_safe_decision
from relaydesk.policy.pilots import CANDIDATE, Pilot, choose_arm
from relaydesk.queue.teams import Teams
from relaydesk.resolver import Attempt, Citation, attempt_answer
from relaydesk.resolver.llm import llm_attempt_answer
from relaydesk.resolver.providers import Provider
from relaydesk.signals import Signals, detect_signals
from relaydesk.signals.categories import Category
from relaydesk.signals.repeat import Embed

if TYPE_CHECKING:
    from relaydesk.actions.service import ActionRuntime
    from relaydesk.signals.classifier import CategoryClassifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parts:
    """What the path needs, loaded once at start-up."""

    categories: tuple[Category, ...]
    knowledge: KnowledgeIndex
    policy: Policy
    timezone: tzinfo = UTC  # the company's: rules read a message's local hour and weekday
    pilot: Pilot | None = None  # a candidate policy serving a slice of traffic
    teams: Teams = field(default_factory=Teams)  # hours, SLAs, handle times
    # The handoff's wording per locale (relaydesk/handoff/templates.py).
    handoff_templates: Templates = field(default_factory=shipped_templates)
    # Runs the AI's proposed actions after Cedar authorizes them; None: no actions (replays).
    actions: ActionRuntime | None = None
    # A language model composing the answer from the retrieved passages (its every sentence
    # checked against them); None: the extractive resolver, which quotes them.
    llm: Provider | None = None
    llm_max_tokens: int = 400
    # The trained category/intent/out-of-scope classifier (relaydesk train); None: the
    # keyword matcher over ``categories`` gives the category, with no intent or scope.
    classifier: CategoryClassifier | None = None

    def high_risk(self) -> frozenset[str]:
        """The high-risk categories of the active policy and of a pilot's candidate."""
        policies = (self.policy, self.pilot.candidate if self.pilot else None)
        return frozenset(
            name for p in policies if p is not None for name in p.document.high_risk_categories
        )

    def repeat_embed(self) -> Embed | None:
        """Repeat-ask compares meanings with the knowledge index's embedder, when it has one:
        the process's memoised MiniLM, which holds the earlier messages' vectors (embedded at
        their own turn, or read back from the database when the turn was built)."""
        embedder = self.knowledge.embedder
        return embedder.embed if embedder is not None else None

    def routed_teams(self) -> list[str]:
        """Every team a handoff can go to: the teams file's and those the policies name."""
        names = list(self.teams.names)
        for policy in (self.policy, self.pilot.candidate if self.pilot else None):
            if policy is None:
                continue
            document = policy.document
            names.extend(rule.then.team for rule in document.rules if rule.then.team)
            names.append(document.fail_safe.team)
        return list(dict.fromkeys(names))


class Reply(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    citations: tuple[Citation, ...] = ()


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    facts: dict[str, Any]
    reply: Reply | None = None
    handoff: HandoffMessage | None = None
    packet: ContextPacket | None = None  # for the person taking over, with every handoff
    silent: bool = False  # a person owns the conversation: nothing goes to the customer


AI_ROUTES = (Route.AI_REPLY, Route.AI_REPLY_FLAGGED)
CLARIFY = (
    "To make sure I answer the right question: could you tell me a little more about what "
    "you need, and an order number if it is about an order?"
)


def run(turn: Turn, parts: Parts) -> Outcome:
    try:
        signals = detect_signals(
            turn,
            parts.categories,
            embed=parts.repeat_embed(),
            classifier=parts.classifier,
            high_risk=parts.high_risk(),
        )
        attempt = resolve(turn, signals, parts)
        attempt = authorize_and_run(turn, attempt, parts.actions)
        facts = build_facts(turn, signals, attempt)
        policy, arm = policy_for(turn, facts, parts)
        decision = to_approving_team(decide(facts, policy, arm), attempt, policy.fail_safe_team)
        if decision.route in AI_ROUTES and not attempt.has_answer:
            error = ValueError(f"route {decision.route} chosen but the AI has no answer")
            decision = fail_safe_decision(policy, decision.matched_rules[0].id, error, arm)
        return compose_outcome(turn, signals, attempt, decision, facts, parts.handoff_templates)
    except Exception as error:
        # A broken stage must not strand the customer: a person takes over.
        log.exception("message path failed for message %s", turn.message_id)
        return fail_safe_outcome(turn, parts.policy, error, parts.handoff_templates)


def resolve(turn: Turn, signals: Signals, parts: Parts) -> Attempt:
    """The AI attempt: quoted from the knowledge base, or composed by a model and checked."""
    if parts.llm is None:
        return attempt_answer(turn, signals, parts.knowledge)
    return llm_attempt_answer(
        turn,
        signals,
        parts.knowledge,
        parts.llm,
        embedder=parts.knowledge.embedder,
        max_tokens=parts.llm_max_tokens,
    )


def policy_for(turn: Turn, facts: dict[str, Any], parts: Parts) -> tuple[Policy, str | None]:
    """The active policy, or the pilot's candidate for conversations in its slice."""
    if parts.pilot is None:
        return parts.policy, None
    category = facts["signals"]["category"]["name"]
    arm = choose_arm(parts.pilot, turn.conversation_id, turn.channel, category)
    return (parts.pilot.candidate if arm == CANDIDATE else parts.policy), arm


def compose_outcome(
    turn: Turn,
    signals: Signals,
    attempt: Attempt,
    decision: Decision,
    facts: dict[str, Any],
    templates: Templates | None = None,
) -> Outcome:
    if turn.handed_over:
        return Outcome(decision=decision, facts=facts, silent=True)
    if decision.route in AI_ROUTES and attempt.answer:
        reply = Reply(text=attempt.answer, citations=attempt.citations)
        return Outcome(decision=decision, facts=facts, reply=reply)
    if decision.route == Route.ASK_CLARIFYING:
        question = Reply(text=decision.message or CLARIFY)
        return Outcome(decision=decision, facts=facts, reply=question)
    handoff = compose_handoff(turn, signals, attempt, decision, templates)
    packet = build_packet(turn, signals, attempt, decision)
    return Outcome(decision=decision, facts=facts, handoff=handoff, packet=packet)


def fail_safe_outcome(
    turn: Turn, policy: Policy, error: Exception, templates: Templates | None = None
) -> Outcome:
    decision = fail_safe_decision(policy, "message-path", error)
    facts = {"message": {"text": turn.text, "channel": turn.channel}}
    if turn.handed_over:
        return Outcome(decision=decision, facts=facts, silent=True)
    handoff = plain_handoff(turn, decision, templates)
    packet = build_packet(turn, None, None, decision)
    return Outcome(decision=decision, facts=facts, handoff=handoff, packet=packet)
